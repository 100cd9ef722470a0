package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGetPage(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{MaxPageSize: 500})
	sum, err := s.RunSQL(ctx, "SELECT range AS i, 'r' || range AS s FROM range(100000) ORDER BY i DESC")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		offset  int64
		limit   int
		first   int64 // value of i in the first row
		rows    int
		next    int64
		done    bool
		wantErr error
	}{
		{"default size", 0, 0, 99999, 100, 100, false, nil},
		{"middle", 50000, 3, 49999, 3, 50003, false, nil},
		{"max size", 1000, 500, 98999, 500, 1500, false, nil},
		{"last rows", 99998, 10, 1, 2, 100000, true, nil},
		{"past the end", 200000, 10, 0, 0, 200000, true, nil},
		{"over max", 0, 501, 0, 0, 0, false, ErrLimit},
		{"negative limit", 0, -1, 0, 0, 0, false, ErrInvalid},
		{"negative offset", -1, 10, 0, 0, 0, false, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.GetPage(ctx, sum.Handle, tc.offset, tc.limit, false)
			if tc.wantErr != nil {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rows) != tc.rows || p.NextOffset != tc.next || p.Done != tc.done || p.TotalRows != 100000 {
				t.Fatalf("rows %d next %d done %v total %d", len(p.Rows), p.NextOffset, p.Done, p.TotalRows)
			}
			if tc.rows > 0 {
				want := []any{tc.first, fmt.Sprintf("r%d", tc.first)}
				if diff := cmp.Diff(want, p.Rows[0]); diff != "" {
					t.Errorf("first row (-want +got):\n%s", diff)
				}
			}
		})
	}
	if _, err := s.GetPage(ctx, sum.Handle, 0, 501, false); !strings.Contains(err.Error(), "maximum 500") {
		t.Errorf("limit error does not name the maximum: %v", err)
	}
}

func TestGetPageCSVAndTypes(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	sum, err := s.RunSQL(ctx, `SELECT 1::TINYINT AS t, 12345678901234567890::HUGEINT AS h, 2.50::DECIMAL(5,2) AS d,
		DATE '2024-01-02' AS day, TIMESTAMP '2024-01-02 03:04:05' AS ts, true AS b, NULL AS n,
		'a,"b"' AS s, [1, 2] AS l, 'NaN'::DOUBLE AS nan`)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.GetPage(ctx, sum.Handle, 0, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{{int64(1), "12345678901234567890", 2.5, "2024-01-02", "2024-01-02T03:04:05Z", true, nil,
		`a,"b"`, []any{int64(1), int64(2)}, "NaN"}}
	if diff := cmp.Diff(want, p.Rows); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	c, err := s.GetPage(ctx, sum.Handle, 0, 10, true)
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "t,h,d,day,ts,b,n,s,l,nan\n1,12345678901234567890,2.5,2024-01-02,2024-01-02T03:04:05Z,true,,\"a,\"\"b\"\"\",\"[1,2]\",NaN\n"
	if c.CSV != wantCSV || c.Rows != nil {
		t.Errorf("csv page %q, rows %v", c.CSV, c.Rows)
	}
}

func TestStreamRows(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	sum, err := s.RunSQL(ctx, "SELECT range AS i FROM range(2500)")
	if err != nil {
		t.Fatal(err)
	}
	var offsets []int64
	var next int64
	var csvRows int
	err = s.StreamRows(ctx, sum.Handle, 1000, true, func(p Page) error {
		offsets = append(offsets, p.Offset)
		csvRows += strings.Count(p.CSV, "\n") - 1
		next = p.NextOffset
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{0, 1000, 2000}, offsets); diff != "" || csvRows != 2500 || next != 2500 {
		t.Errorf("csv rows %d next %d offsets (-want +got):\n%s", csvRows, next, diff)
	}
	var seen int64
	err = s.StreamRows(ctx, sum.Handle, 0, false, func(p Page) error {
		for _, r := range p.Rows {
			if r[0] != seen {
				return fmt.Errorf("row %v at position %d", r[0], seen)
			}
			seen++
		}
		return nil
	})
	if err != nil || seen != 2500 {
		t.Errorf("seen %d err %v", seen, err)
	}
	stop := errors.New("stop")
	if err := s.StreamRows(ctx, sum.Handle, 10, false, func(Page) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	err = s.StreamRows(cctx, sum.Handle, 10, false, func(Page) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled stream: %v", err)
	}
	if err := s.StreamRows(ctx, sum.Handle, 20000, false, func(Page) error { return nil }); !errors.Is(err, ErrLimit) {
		t.Errorf("oversized chunks: %v", err)
	}
}

func TestRestartKeepsDatasetsAndHandles(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	root := filepath.Join(dir, "data")
	writeFile(t, root, "sales.csv", "region,units\nEU,10\nUS,20\n")
	db := filepath.Join(dir, "mrswarm.duckdb")
	s, err := Open(ctx, db, Options{DataRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := s.LoadFile(ctx, "sales", "sales.csv", FormatAuto, map[Role]string{RoleRegion: "region"})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.RunSQL(ctx, "SELECT * FROM sales ORDER BY units DESC")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, db, Options{DataRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds, err := s.Dataset(ctx, "sales")
	if diff := cmp.Diff(loaded.Dataset, ds); diff != "" || err != nil {
		t.Errorf("dataset after restart (-before +after) err %v:\n%s", err, diff)
	}
	got, err := s.Result(ctx, sum.Handle)
	if diff := cmp.Diff(sum, got); diff != "" || err != nil {
		t.Errorf("summary after restart (-before +after) err %v:\n%s", err, diff)
	}
	p, err := s.GetPage(ctx, sum.Handle, 0, 10, false)
	if err != nil || len(p.Rows) != 2 || p.Rows[0][0] != "US" {
		t.Errorf("page after restart: %+v %v", p.Rows, err)
	}
	again, err := s.LoadFile(ctx, "sales", "sales.csv", FormatAuto, nil)
	if err != nil || !again.CacheHit || again.BytesRead != 0 {
		t.Errorf("reload after restart: hit %v read %d err %v", again.CacheHit, again.BytesRead, err)
	}
	if _, err := s.RunSQL(ctx, "SELECT * FROM read_csv('/etc/passwd')"); !errors.Is(err, ErrPermission) {
		t.Errorf("file confinement after restart: %v", err)
	}
}

func TestAtomicReplaceUnderReaders(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	root := s.DataRoot()
	sizes := []int{1000, 3000}
	for i, n := range sizes {
		var b strings.Builder
		b.WriteString("id,units\n")
		for j := range n {
			fmt.Fprintf(&b, "%d,%d\n", j, i)
		}
		writeFile(t, root, fmt.Sprintf("v%d.csv", i), b.String())
	}
	if _, err := s.LoadFile(ctx, "ds", "v0.csv", FormatAuto, nil); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make([]error, 4)
	for r := range errs {
		wg.Go(func() {
			for !stop.Load() {
				var n int64
				if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM ds").Scan(&n); err != nil {
					errs[r] = err
					return
				}
				if n != 1000 && n != 3000 {
					errs[r] = fmt.Errorf("reader saw %d rows", n)
					return
				}
				reads.Add(1)
			}
		})
	}
	for i := range 10 {
		if _, err := s.LoadFile(ctx, "ds", fmt.Sprintf("v%d.csv", (i+1)%2), FormatAuto, nil); err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if reads.Load() == 0 {
		t.Fatal("no reads ran")
	}
	if n := count(t, s, "ds"); n != 1000 {
		t.Errorf("final table has %d rows, want 1000", n)
	}
}

// TestSpillsAndCleansUp runs in a process of its own: the memory watchdog
// reads the whole process's resident memory, and what the package's earlier
// tests left behind (more so under the race detector) would count against
// this test's 64 MB limit.
func TestSpillsAndCleansUp(t *testing.T) {
	if os.Getenv("MRSWARM_TEST_SPILL_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSpillsAndCleansUp$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "MRSWARM_TEST_SPILL_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestSpillsAndCleansUp") {
			t.Fatalf("the test in its own process: %v\n%s", err, out)
		}
		return
	}
	ctx := t.Context()
	dir := t.TempDir()
	root := filepath.Join(dir, "data")
	writeFile(t, root, "a.csv", "x\n1\n")
	db := filepath.Join(dir, "mrswarm.duckdb")
	// A generous statement timeout: the spill is slow on a loaded machine, and
	// this test is about spilling, not about time.
	opts := Options{DataRoot: root, MemoryLimit: 64 << 20, StatementTimeout: 5 * time.Minute}
	s, err := Open(ctx, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Sorting ~150 MB of strings under a 64 MB limit must spill to the temp folder.
	sum, err := s.RunSQL(ctx, "SELECT range AS i, repeat('x', 40) || range AS pad FROM range(3000000) ORDER BY pad DESC")
	if err != nil {
		s.Close()
		t.Fatalf("large sort under a small memory limit: %v", err)
	}
	// Simulate a crash mid-load and mid-result: a staging table and an unrecorded result.
	for _, q := range []string{"CREATE TABLE main._load_deadbeef AS SELECT 1 AS a",
		"CREATE TABLE results.res_0badf00d AS SELECT 1 AS a"} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int64
	err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_name IN ('_load_deadbeef', 'res_0badf00d')`).Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("%d leftovers after reopening (err %v)", n, err)
	}
	if got, err := s.Result(ctx, sum.Handle); err != nil || got.Rows != 3000000 {
		t.Errorf("the recorded result is gone: %v", err)
	}
}
