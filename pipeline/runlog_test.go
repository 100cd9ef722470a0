package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
func historyJSON(t testing.TB, st *store.Store) int64 {
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
func queryInt(t testing.TB, st *store.Store, q string) int64 {
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

// Events that repeat a record stored beside them — run_finished the final run,
// step_finished (failed, skipped) the step's state — are stored without the
// copy and rebuilt from that record when they are read, so a replay from
// storage is byte for byte the live stream.
func TestStoredEventsReplayAsLive(t *testing.T) {
	st := newStore(t)
	m := newScript(map[string]behaviour{"competitive_analyst": {fail: errors.New("scripted failure")}})
	m.def = behaviour{useTool: true}
	r := newTestRunner(t, st, m, 2)
	run, live := runToEnd(t, r, StartRequest{Dataset: testDataset, Pipeline: campaign(t), Options: Options{Force: true}})
	if err := r.Wait(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
	types := map[EventType]bool{}
	for _, ev := range live {
		types[ev.Type] = true
	}
	for _, want := range []EventType{EventRunFinished, EventStepFinished, EventStepFailed, EventStepSkipped} {
		if !types[want] {
			t.Fatalf("the run emitted no %s event: the test needs one", want)
		}
	}
	var stored []Event
	if err := newTestRunner(t, st, m, 2).Watch(t.Context(), run.ID, 0, func(ev Event) error {
		stored = append(stored, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(eventJSON(t, live), eventJSON(t, stored)); diff != "" {
		t.Errorf("replay from storage differs from the live stream (-live +stored):\n%s", diff)
	}
	copies := queryInt(t, st, `SELECT count(*) FROM mrswarm.run_events
		WHERE (type = 'run_finished' AND data LIKE '%"run":{%') OR (type LIKE 'step_%' AND type <> 'step_started' AND data LIKE '%"step":{%')`)
	if copies > 0 {
		t.Errorf("%d stored events repeat the run or step record stored beside them", copies)
	}
}

// eventJSON is each event as the API sends it.
func eventJSON(t *testing.T, evs []Event) []string {
	t.Helper()
	out := make([]string, len(evs))
	for i, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// TestFlushHurriesTheWriter: the writer waits writeDelay before it takes a
// batch, but not when someone flushes: a run that is not forced (it looks for
// memos among stored steps), Close and Wait find their records stored at once.
func TestFlushHurriesTheWriter(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(nil), 2)
	r.runs.writeDelay = 30 * time.Second // longer than the waits below
	first, _ := runToEnd(t, r, StartRequest{Pipeline: chain("a:data_analyst")})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := r.Wait(ctx, first.ID); err != nil {
		t.Fatalf("wait for the run's records: %v", err)
	}
	// The second run finds the first's step as a memo only if it was stored.
	second, _ := runToEnd(t, r, StartRequest{Pipeline: chain("a:data_analyst")})
	if second.Status != RunSucceeded || second.Steps[0].Status != StepCached {
		t.Fatalf("second run: %s, step %s; want succeeded with the step cached", second.Status, second.Steps[0].Status)
	}
	if err := r.runs.flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	stored, err := r.runs.load(ctx, second.ID)
	if err != nil || stored.Status != RunSucceeded {
		t.Errorf("stored second run: %s, %v", stored.Status, err)
	}
}
