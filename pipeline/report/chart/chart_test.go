package chart

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// beverage opens a fresh store with the real data/beverage_sales.csv loaded.
func beverage(t *testing.T) *store.Store {
	t.Helper()
	root, err := filepath.Abs("../../../data")
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

// toolInput calls tool on the beverage data and reads its rows.
func toolInput(t *testing.T, st *store.Store, tool, args string) Input {
	t.Helper()
	ctx := context.Background()
	sum, err := tools.Call(ctx, st, "beverage", tool, json.RawMessage(args))
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	page, err := st.GetPage(ctx, sum.Handle, 0, 500, false)
	if err != nil {
		t.Fatal(err)
	}
	return Input{Tool: tool, Page: page}
}

// texts parses an SVG document and returns its text elements' contents.
func texts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var out []string
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				out = append(out, strings.TrimSpace(string(tok)))
			}
		case xml.EndElement:
			inText = false
		}
	}
}

func TestKindsAndSVGOfToolResults(t *testing.T) {
	st := beverage(t)
	tests := []struct {
		tool, args string
		kinds      []Kind
		want       []string // texts the default chart must show
	}{
		{"market_share", `{"dimension":"brand"}`, []Kind{Bar}, []string{"Tropicana", "share_pct by name (top 15 of 17)"}},
		{"brand_performance", `{"top_n":5}`, []Kind{Bar}, []string{"Tropicana", "revenue by brand"}},
		{"roi", `{"dimension":"region"}`, []Kind{Bar}, []string{"roi_pct by name"}},
		{"time_series", `{"bucket":"month"}`, []Kind{Line}, []string{"value by bucket_start", "2022-06-01"}},
		{"sales_forecast", `{"periods":6}`, []Kind{Forecast, Line}, []string{"Forecast with its 95 % interval", "forecast", "95 % interval"}},
		{"seasonality", `{}`, []Kind{Seasonality, Bar}, []string{"Seasonality index by month (100 = average month)", "Jan", "Dec"}},
		{"budget_plan", `{"total_budget":250000}`, []Kind{Budget, Bar}, []string{"Budget allocation by channel"}},
		{"kpi_summary", `{}`, nil, nil},
		{"dataset_profile", `{}`, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.tool, func(t *testing.T) {
			in := toolInput(t, st, tc.tool, tc.args)
			if diff := cmp.Diff(tc.kinds, Kinds(in)); diff != "" {
				t.Errorf("Kinds (-want +got):\n%s", diff)
			}
			if len(tc.kinds) == 0 {
				if _, _, err := SVG(in, ""); !errors.Is(err, ErrNoChart) {
					t.Errorf("SVG of a result no chart fits: err = %v, want ErrNoChart", err)
				}
				return
			}
			for _, k := range tc.kinds {
				got, svg, err := SVG(in, k)
				if err != nil || got != k {
					t.Fatalf("SVG(%s) = %s, %v", k, got, err)
				}
				texts(t, svg)
			}
			kind, svg, err := SVG(in, "")
			if err != nil || kind != tc.kinds[0] {
				t.Fatalf("SVG default = %s, %v; want %s", kind, err, tc.kinds[0])
			}
			shown := texts(t, svg)
			for _, w := range tc.want {
				if !slices.Contains(shown, w) {
					t.Errorf("the %s chart lacks the text %q; it shows %q", kind, w, shown)
				}
			}
		})
	}
}

func TestSVGErrors(t *testing.T) {
	st := beverage(t)
	share := toolInput(t, st, "market_share", `{}`)
	share.Page.Handle = "res_1"
	_, _, err := SVG(share, Forecast)
	if !errors.Is(err, ErrKind) || !strings.Contains(err.Error(), "kinds that fit: bar") {
		t.Errorf("a forecast chart of market shares: err = %v, want ErrKind naming the kinds that fit", err)
	}
	findings := Input{Page: store.Page{Handle: "res_2", Columns: []store.Column{{Name: "kind", Type: "VARCHAR"}, {Name: "text", Type: "VARCHAR"}},
		Rows: [][]any{{"summary", "x"}, {"finding", "y"}}}}
	if _, _, err := SVG(findings, ""); !errors.Is(err, ErrNoChart) || !strings.Contains(err.Error(), "res_2") {
		t.Errorf("a chart of text rows: err = %v, want ErrNoChart naming the handle", err)
	}
	if _, _, err := SVG(Input{Tool: "market_share", Page: store.Page{Columns: share.Page.Columns}}, ""); !errors.Is(err, ErrNoChart) {
		t.Errorf("a chart of no rows: err = %v, want ErrNoChart", err)
	}
}

// TestBarsOfASection: market_overview mixes a totals section (no shares) with
// rankings; its bars show the largest ranked section, never the totals.
func TestBarsOfASection(t *testing.T) {
	st := beverage(t)
	in := toolInput(t, st, "market_overview", `{}`)
	kind, svg, err := SVG(in, "")
	if err != nil || kind != Bar {
		t.Fatalf("SVG = %s, %v; want a bar chart", kind, err)
	}
	shown := texts(t, svg)
	if slices.Contains(shown, "total_revenue") || !slices.Contains(shown, "Tropicana") {
		t.Errorf("the chart shows %q: want a ranked section (Tropicana among it), not the totals", shown)
	}
}
