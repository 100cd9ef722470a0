package server

import (
	"encoding/csv"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// brandUnits sums units_sold per brand straight from the CSV file, as the
// reference the SQL results are checked against.
func brandUnits(t *testing.T, path string) ([]string, map[string]float64) {
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
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	sums := map[string]float64{}
	for _, r := range recs[1:] {
		n, err := strconv.ParseFloat(r[col["units_sold"]], 64)
		if err != nil {
			t.Fatal(err)
		}
		sums[r[col["brand"]]] += n
	}
	brands := make([]string, 0, len(sums))
	for b := range sums {
		brands = append(brands, b)
	}
	sort.Strings(brands)
	return brands, sums
}

const brandSQL = "SELECT brand, sum(units_sold) AS units FROM sales GROUP BY brand ORDER BY brand"

func TestRunSQLPagesAndStreams(t *testing.T) {
	cfg := testConfig(t)
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	brands, units := brandUnits(t, beverageCSV(t))
	ts := startServer(t, cfg)
	ctx := t.Context()
	if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	run, err := ts.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: brandSQL})
	if err != nil {
		t.Fatalf("RunSQL: %v", err)
	}
	sum := run.GetResult()
	if sum.GetRowCount() != int64(len(brands)) || !strings.HasPrefix(sum.GetHandle(), "res_") {
		t.Fatalf("summary: handle %q, %d rows; want res_..., %d rows", sum.GetHandle(), sum.GetRowCount(), len(brands))
	}
	if len(sum.GetHead()) >= len(brands) {
		t.Errorf("summary carries %d head rows, want only the first few of %d", len(sum.GetHead()), len(brands))
	}
	h := sum.GetHandle()

	t.Run("grpc pages", func(t *testing.T) {
		var got []string
		for off := int64(0); ; {
			p, err := ts.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: h, Offset: off, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.GetRows() {
				got = append(got, r.GetValues()[0].GetStringValue())
				if b := r.GetValues()[0].GetStringValue(); r.GetValues()[1].GetNumberValue() != units[b] {
					t.Errorf("%s units = %v, want %v", b, r.GetValues()[1].GetNumberValue(), units[b])
				}
			}
			if p.GetDone() {
				break
			}
			off = p.GetNextOffset()
		}
		if diff := cmp.Diff(brands, got); diff != "" {
			t.Errorf("brands over pages (-want +got):\n%s", diff)
		}
	})
	t.Run("grpc stream", func(t *testing.T) {
		stream, err := ts.results.StreamResult(ctx, &mrswarmv1.StreamResultRequest{Handle: h, ChunkRows: 4})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		chunks := 0
		for {
			p, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			chunks++
			for _, r := range p.GetRows() {
				got = append(got, r.GetValues()[0].GetStringValue())
			}
		}
		if diff := cmp.Diff(brands, got); diff != "" {
			t.Errorf("streamed brands (-want +got):\n%s", diff)
		}
		if want := int(math.Ceil(float64(len(brands)) / 4)); chunks != want {
			t.Errorf("%d chunks of 4 rows, want %d", chunks, want)
		}
	})
	t.Run("rest ndjson stream", func(t *testing.T) {
		code, b := ts.do(t, "GET", "/v1/results/"+h+"/stream?chunk_rows=5", nil, "")
		if code != http.StatusOK {
			t.Fatalf("= %d %s", code, b)
		}
		var got []string
		for _, line := range ndjsonLines(t, b) {
			res, ok := line["result"].(map[string]any)
			if !ok {
				t.Fatalf("stream line without result: %v", line)
			}
			for _, r := range res["rows"].([]any) {
				row := r.([]any)
				got = append(got, row[0].(string))
				if row[1].(float64) != units[row[0].(string)] {
					t.Errorf("%s units = %v, want %v", row[0], row[1], units[row[0].(string)])
				}
			}
		}
		if diff := cmp.Diff(brands, got); diff != "" {
			t.Errorf("NDJSON brands (-want +got):\n%s", diff)
		}
	})
	t.Run("rest stream of unknown handle", func(t *testing.T) {
		code, b := ts.do(t, "GET", "/v1/results/res_00000000/stream", nil, "")
		if code != http.StatusNotFound {
			t.Errorf("= %d %s, want 404", code, b)
		}
	})
	t.Run("list and delete", func(t *testing.T) {
		code, body := ts.doJSON(t, "GET", "/v1/results", nil)
		if code != http.StatusOK || len(body["results"].([]any)) != 1 {
			t.Fatalf("list = %d %v, want one result", code, body)
		}
		if code, body := ts.doJSON(t, "DELETE", "/v1/results/"+h, nil); code != http.StatusOK {
			t.Fatalf("delete = %d %v", code, body)
		}
		if code, _ := ts.doJSON(t, "GET", "/v1/results/"+h, nil); code != http.StatusNotFound {
			t.Errorf("after delete GET = %d, want 404", code)
		}
	})
}
