package bench

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunsRSSRowsStoredData: BenchmarkRunsRSS's DuckDB and on-disk sizes after
// 10 and 200 runs become rows of their own beside the RSS, in the section's
// order, without a headline key, and so does the number of new DuckDB
// instances the store opened over the runs.
func TestRunsRSSRowsStoredData(t *testing.T) {
	out := `BenchmarkRunsRSS-2   	       1	141841017618 ns/op	        80.95 after-1-run-MiB	        85.51 after-10-runs-MiB	       103.9 after-200-runs-MiB	         7.012 db-after-10-runs-MiB	        35.51 db-after-200-runs-MiB	         3.500 duckdb-after-10-runs-MiB	        12.75 duckdb-after-200-runs-MiB	        62.41 idle-MiB	        70.99 loaded-MiB	         4.000 reopens-in-200-runs
`
	rows, err := ParseGoBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	got := RunsRSSRows(rows)
	var values []float64
	names := map[float64]string{}
	units := map[float64]string{}
	for _, r := range got {
		values = append(values, r.Value)
		names[r.Value] = r.Name
		units[r.Value] = r.Unit
	}
	want := []float64{62.41, 70.99, 80.95, 85.51, 103.9, 3.5, 12.75, 7.012, 35.51, 4}
	if diff := cmp.Diff(want, values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if n := names[35.51]; !strings.Contains(n, "on disk after 200 runs") {
		t.Errorf("35.51 MiB row is %q", n)
	}
	if n := names[12.75]; !strings.Contains(n, "duckdb_memory") {
		t.Errorf("12.75 MiB row is %q", n)
	}
	if n, u := names[4], units[4]; !strings.Contains(n, "new DuckDB instances") || u != "instances" {
		t.Errorf("the 4 reopens row is %q in %q", n, u)
	}
	if u := units[103.9]; u != "MiB" {
		t.Errorf("the RSS row is in %q, want MiB", u)
	}
	if keys := (Report{Rows: got}).Keys(); len(keys) != 1 || keys[KeyRSSAfter200RunsMiB] != 103.9 {
		t.Errorf("keys %v, want only %s = 103.9", keys, KeyRSSAfter200RunsMiB)
	}
}
