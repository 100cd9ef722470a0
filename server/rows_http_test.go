package server

import (
	"encoding/csv"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// get fetches path from the gateway like curl: status, headers and body.
func (ts *testServer) get(t testing.TB, path string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://mrswarm"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.http.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// brandsCSV is the CSV of brandSQL's rows from index lo to hi, header first.
func brandsCSV(brands []string, units map[string]float64, lo, hi int) [][]string {
	want := [][]string{{"brand", "units"}}
	for _, b := range brands[lo:hi] {
		want = append(want, []string{b, strconv.FormatFloat(units[b], 'f', -1, 64)})
	}
	return want
}

func TestRowsAsCSVOverREST(t *testing.T) {
	cfg := testConfig(t)
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	brands, units := brandUnits(t, beverageCSV(t))
	ts := startServer(t, cfg)
	if _, err := ts.datasets.LoadDataset(t.Context(), &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	run, err := ts.results.RunSQL(t.Context(), &mrswarmv1.RunSQLRequest{Sql: brandSQL})
	if err != nil {
		t.Fatal(err)
	}
	h := run.GetResult().GetHandle()
	n := len(brands)

	for _, format := range []string{"csv", "CSV", "PAGE_FORMAT_CSV"} {
		t.Run("page format="+format, func(t *testing.T) {
			code, hdr, body := ts.get(t, "/v1/results/"+h+"/rows?limit=3&offset=2&format="+format)
			if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
				t.Fatalf("= %d %q %s, want 200 text/csv", code, hdr.Get("Content-Type"), body)
			}
			file := filepath.Join(t.TempDir(), "x.csv") // curl ... > x.csv
			if err := os.WriteFile(file, body, 0o644); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(brandsCSV(brands, units, 2, 5), readCSVFile(t, file)); diff != "" {
				t.Errorf("x.csv (-want +got):\n%s", diff)
			}
			want := http.Header{"X-Total-Rows": {strconv.Itoa(n)}, "X-Next-Offset": {"5"}, "X-Done": {"false"}}
			for k, v := range want {
				if hdr.Get(k) != v[0] {
					t.Errorf("%s = %q, want %q", k, hdr.Get(k), v[0])
				}
			}
		})
	}
	for _, format := range []string{"", "json", "PAGE_FORMAT_JSON"} {
		t.Run("page format="+format, func(t *testing.T) {
			code, body := ts.doJSON(t, "GET", "/v1/results/"+h+"/rows?limit=2&format="+format, nil)
			if code != http.StatusOK || len(body["rows"].([]any)) != 2 || body["csv"] != "" || body["total_rows"] != strconv.Itoa(n) {
				t.Errorf("= %d %v, want a JSON page of 2 rows", code, body)
			}
		})
	}
	t.Run("stream format=csv", func(t *testing.T) {
		code, hdr, body := ts.get(t, "/v1/results/"+h+"/stream?chunk_rows=4&format=csv")
		if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
			t.Fatalf("= %d %q %s, want 200 text/csv", code, hdr.Get("Content-Type"), body)
		}
		recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(brandsCSV(brands, units, 0, n), recs); diff != "" {
			t.Errorf("streamed CSV, one header line (-want +got):\n%s", diff)
		}
	})
	t.Run("stream is ndjson", func(t *testing.T) {
		code, hdr, body := ts.get(t, "/v1/results/"+h+"/stream?chunk_rows=4&format=json")
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("= %d %q %s, want 200 application/x-ndjson", code, hdr.Get("Content-Type"), body)
		}
		if lines := ndjsonLines(t, body); len(lines) != (n+3)/4 {
			t.Errorf("%d NDJSON lines, want %d", len(lines), (n+3)/4)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for path, want := range map[string]int{
			"/v1/results/" + h + "/rows?format=xml":        http.StatusBadRequest,
			"/v1/results/" + h + "/rows?limit=ten":         http.StatusBadRequest,
			"/v1/results/res_00000000/rows?format=csv":     http.StatusNotFound,
			"/v1/results/res_00000000/stream?format=csv":   http.StatusNotFound,
			"/v1/results/" + h + "/stream?format=parquet":  http.StatusBadRequest,
			"/v1/results/" + h + "/rows?limit=3&offset=-1": http.StatusBadRequest,
		} {
			code, hdr, body := ts.get(t, path)
			if code != want || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("GET %s = %d %q %s, want %d with a JSON error", path, code, hdr.Get("Content-Type"), body, want)
			}
		}
	})
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
