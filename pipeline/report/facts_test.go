package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// beverage opens a fresh store with the real data/beverage_sales.csv loaded.
func beverage(t *testing.T) *store.Store {
	t.Helper()
	root, err := filepath.Abs("../../data")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), "", store.Options{DataRoot: root, StagingDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.LoadFile(t.Context(), "beverage", "beverage_sales.csv", store.FormatAuto, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

// toolResult calls tool on the beverage data and reads its first rows.
func toolResult(t *testing.T, st *store.Store, tool, args string) Result {
	t.Helper()
	ctx := context.Background()
	sum, err := tools.Call(ctx, st, "beverage", tool, json.RawMessage(args))
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	page, err := st.GetPage(ctx, sum.Handle, 0, FactRows, false)
	return Result{Handle: sum.Handle, Summary: &sum, Page: page, PageErr: err}
}

// revenueByBrand sums total_revenue per brand straight from the CSV file.
func revenueByBrand(t *testing.T) map[string]float64 {
	t.Helper()
	f, err := os.Open("../../data/beverage_sales.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	brand, rev := slices.Index(recs[0], "brand"), slices.Index(recs[0], "total_revenue")
	out := map[string]float64{}
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[rev], 64)
		if err != nil {
			t.Fatal(err)
		}
		out[r[brand]] += v
	}
	return out
}

// TestMarketShareFactsMatchTheData checks the market share headline against
// shares computed here from the CSV file, not from SQL.
func TestMarketShareFactsMatchTheData(t *testing.T) {
	byBrand := revenueByBrand(t)
	var total float64
	var vals []float64
	leader := ""
	for b, v := range byBrand {
		total += v
		vals = append(vals, v)
		if leader == "" || v > byBrand[leader] {
			leader = b
		}
	}
	slices.Sort(vals)
	slices.Reverse(vals)
	hhi := 0.0
	for _, v := range vals {
		hhi += (v / total * 100) * (v / total * 100)
	}
	want := leader + " leads with " + Pct(byBrand[leader]/total*100) + " of the total (" + Num(byBrand[leader]) +
		"); top-3 hold " + Pct((vals[0]+vals[1]+vals[2])/total*100) + "; HHI " + Int(hhi) + ", " + hhiClass(hhi)
	res := toolResult(t, beverage(t), "market_share", `{}`)
	facts := Facts([]Result{res})
	if len(facts) != 1 || facts[0].Text != want || facts[0].Handle != res.Handle || facts[0].Tool != "market_share" {
		t.Fatalf("facts %+v\nwant %q", facts, want)
	}
	if again := Facts([]Result{res, res}); len(again) != 1 {
		t.Errorf("the same result twice gives facts %v, want one", again)
	}
	if leader != "Tropicana" || !strings.Contains(want, "10.98 %") {
		t.Errorf("the real data's leader is %s: %s", leader, want)
	}
}

// TestEveryToolFactWriterFits runs each tool with a fact writer on the real
// data: its columns fit the writer and the facts carry numbers from its rows.
func TestEveryToolFactWriterFits(t *testing.T) {
	st := beverage(t)
	for tool := range factWriters() {
		res := toolResult(t, st, tool, `{}`)
		facts := Facts([]Result{res})
		if len(facts) == 0 {
			t.Errorf("%s: no facts from columns %v", tool, res.Page.Columns)
			continue
		}
		for _, f := range facts {
			if f.Handle != res.Handle || !strings.ContainsAny(f.Text, "0123456789") {
				t.Errorf("%s: fact %+v", tool, f)
			}
		}
	}
}

// TestFactsSkipNonTools gives no facts for SQL results or missing pages.
func TestFactsSkipNonTools(t *testing.T) {
	page := store.Page{Columns: []store.Column{{Name: "name"}}, Rows: [][]any{{"x"}}}
	rs := []Result{{Handle: "a", Summary: &store.Summary{Source: "sql"}, Page: page},
		{Handle: "b", Summary: &store.Summary{Source: "tool:market_share"}, Page: page}, {Handle: "c"}}
	if f := Facts(rs); len(f) != 0 {
		t.Errorf("facts %v", f)
	}
}

func TestNumberFormats(t *testing.T) {
	tests := []struct {
		col  string
		in   any
		want string
	}{
		{"revenue", 1186418.25, "1,186,418.25"}, {"margin_pct", 34.8793, "34.88 %"}, {"units", int64(1234567), "1,234,567"},
		{"year", int64(2024), "2024"}, {"name", "a", "a"}, {"x", nil, ""}, {"value", -0.005, "-0.01"},
	}
	for _, tt := range tests {
		if got := FormatCell(tt.col, tt.in); got != tt.want {
			t.Errorf("FormatCell(%s, %v) = %q, want %q", tt.col, tt.in, got, tt.want)
		}
	}
}
