package pipeline

import (
	"path/filepath"
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
)

// A server keeps every run's history: run records, steps, events and the
// inline results they cite. That history is stored compressed: from the 10th
// to the 40th campaign run the database file's used blocks (which DuckDB's
// buffer pool also caches as it writes them) grow by a fraction of the JSON
// those runs added. (DuckDB's default storage format kept these columns
// uncompressed as soon as one value exceeded 4 KiB: the file grew by more than
// the JSON.)
func TestRunHistoryStoredCompressed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.duckdb")
	st := openStore(t, path)
	defer st.Close()
	loadBeverage(t, st)
	m := newScript(nil)
	m.def = behaviour{useTool: true}
	r := newTestRunner(t, st, m, 2)
	req := StartRequest{Dataset: testDataset, Pipeline: campaign(t), Options: Options{Force: true}}
	var raw, used [2]int64
	for i := 1; i <= 40; i++ {
		run, _ := runToEnd(t, r, req)
		if run.Status != RunSucceeded {
			t.Fatalf("run %d: %s %v", i, run.Status, run.Errors)
		}
		if i == 10 || i == 40 {
			k := i / 40
			if err := r.Wait(t.Context(), run.ID); err != nil {
				t.Fatal(err)
			}
			raw[k], used[k] = historyJSON(t, st), usedBytes(t, st)
		}
	}
	grew, added := used[1]-used[0], raw[1]-raw[0]
	t.Logf("runs 11 to 40 added %d bytes of JSON and %d bytes of used blocks (%.1fx)", added, grew, float64(added)/float64(grew))
	if grew*3 > added {
		t.Errorf("runs 11 to 40 added %d bytes of JSON and %d bytes to the database file: want at most a third", added, grew)
	}
}

// historyJSON is the size of the run history's JSON: run records, steps,
// events and results.
func historyJSON(t *testing.T, st *store.Store) int64 {
	t.Helper()
	return queryInt(t, st, `SELECT CAST((SELECT sum(strlen(data)) FROM mrswarm.runs) + (SELECT sum(strlen(data)) FROM mrswarm.run_steps)
		+ (SELECT sum(strlen(data)) FROM mrswarm.run_events)
		+ (SELECT sum(strlen(coalesce(inline_rows, '')) + strlen(head) + strlen(stats) + strlen(text) + strlen(columns)) FROM mrswarm.results) AS BIGINT)`)
}

// usedBytes is the size of the used blocks of the store's database file.
func usedBytes(t *testing.T, st *store.Store) int64 {
	t.Helper()
	queryInt(t, st, `CHECKPOINT`)
	return queryInt(t, st, `SELECT block_size * used_blocks FROM pragma_database_size() WHERE database_name = current_database()`)
}

// queryInt runs trusted SQL and returns the first column of its first row as
// an integer (0 when it returns no integer).
func queryInt(t *testing.T, st *store.Store, q string) int64 {
	t.Helper()
	rows, err := st.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var n any
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	switch v := n.(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	}
	return 0
}
