package report

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/sql/store"
)

func TestRender(t *testing.T) {
	r := Run{Title: "T", RunID: "run_1", Pipeline: "p", Dataset: "d", Fingerprint: "0123456789abcdef",
		Generated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Agents: []Agent{
			{Step: "a", Name: "analyst", Summary: "first look", Own: "res_own1", Handles: []string{"res_tool", "res_own1"},
				Findings: []Finding{{Text: "sales rose", Handles: []string{"res_cited"}}}},
			{Step: "b", Name: "optimizer", Final: true, Summary: "do more", Own: "res_own2", Handles: []string{"res_own2"},
				Findings: []Finding{{Text: "spend on X"}}},
		},
		Data: []string{"res_data", "res_cited"}}
	if diff := cmp.Diff([]string{"res_cited", "res_tool", "res_data"}, Tables(r)); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	page := store.Page{Handle: "res_x", Columns: []store.Column{{Name: "brand"}, {Name: "revenue"}, {Name: "margin_pct"}},
		Rows: [][]any{{"A|B", 1186418.25}, {"C", 34.8793, 12.345}}, TotalRows: 3}
	tables := []Result{
		{Handle: "res_cited", Summary: &store.Summary{Source: "tool:roi", Rows: 3}, Page: page},
		{Handle: "res_tool", Summary: &store.Summary{Source: "sql", Rows: 1}, Page: page},
		{Handle: "res_data", PageErr: errors.New("gone")},
	}
	r.Model, r.ModelOptions, r.RandomModel = "tiny", "temperature 0", true
	r.Inputs, r.Method = []string{"budget: 100,000.00"}, []string{"`a`: agent analyst"}
	secs := Render(r, tables, Result{Handle: "res_prof", Summary: &store.Summary{Source: "report", Rows: 2}, Page: page})
	var names []string
	md := map[string]string{}
	for _, s := range secs {
		names = append(names, s.Name)
		md[s.Name] = s.Markdown
	}
	want := []string{"title", "executive_summary", "analysis", "data", "recommendations", "appendix"}
	if !slices.Equal(names, want) {
		t.Fatalf("sections %v, want %v", names, want)
	}
	checks := map[string][]string{
		"title": {"# T\n", "fingerprint `0123456789ab`", "generated 2026-01-02T03:04:05Z", "Model: `tiny` (temperature 0)",
			"**Test model.**", "- budget: 100,000.00"},
		"executive_summary": {"- **optimizer**: do more\n- **analyst**: first look\n"},
		"analysis": {"### analyst (step `a`)", "- [no numbers] sales rose (source: [`res_cited`](#res_cited))",
			"<a id=\"res_cited\"></a>\n#### tool roi (`res_cited`)", "| A\\|B | 1,186,418.25 |", "| C | 34.88 | 12.35 % |",
			"_Top 2 of 3 rows; the full result is handle `res_x`._", "#### SQL query (`res_tool`)", "### optimizer (step `b`)"},
		"data":            {"<a id=\"res_data\"></a>\n#### `res_data`\n\n_not available: gone_"},
		"recommendations": {"From **optimizer**:\n\n- [no numbers] spend on X\n"},
		"appendix": {"- `a`: agent analyst", "- `res_cited`: tool roi, 3 rows", "- `res_data`: not available",
			"- `res_prof`: execution profile, 2 rows", "### Tokens and execution profile"},
	}
	for name, wants := range checks {
		for _, w := range wants {
			if !strings.Contains(md[name], w) {
				t.Errorf("section %s lacks %q:\n%s", name, w, md[name])
			}
		}
	}
	all := strings.Join([]string{md["analysis"], md["data"], md["recommendations"]}, "")
	for _, h := range []string{"res_cited", "res_tool"} {
		if n := strings.Count(all, "(`"+h+"`)\n"); n != 1 {
			t.Errorf("%s rendered %d times, want once", h, n)
		}
	}
	if strings.Contains(all, "res_own") {
		t.Error("an agent's own findings handle is rendered as a table")
	}
}

func TestLongTablesAndRecommendations(t *testing.T) {
	p := store.Page{Handle: "res_long", TotalRows: 1234}
	for i := range 12 {
		p.Columns = append(p.Columns, store.Column{Name: fmt.Sprintf("c%d", i)})
	}
	for range 20 {
		row := make([]any, 12)
		p.Rows = append(p.Rows, row)
	}
	md := MarkdownTable(p)
	for _, w := range []string{"_Top 10 of 1,234 rows; the full result is handle `res_long`._", "_Hidden columns: c10, c11._"} {
		if !strings.Contains(md, w) {
			t.Errorf("table lacks %q:\n%s", w, md)
		}
	}
	if n := strings.Count(md, "\n|"); n != 11 {
		t.Errorf("%d table lines after the header, want 10 rows + separator", n)
	}
	secs := Render(Run{Agents: []Agent{{Step: "a", Name: "x", Final: true}}}, nil, Result{Handle: "p"})
	if rec := secs[4].Markdown; rec != "## Recommendations\n\nNone: no final agent reported findings.\n\n" {
		t.Errorf("recommendations %q", rec)
	}
}

func TestMarkdownHelpers(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""}, {int64(42), "42"}, {1234567.891234, "1234567.8912"}, {0.1 + 0.2, "0.3"}, {"a|b", "a|b"}, {true, "true"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.in); got != tt.want {
			t.Errorf("FormatValue(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Cell("a|b\nc"); got != `a\|b c` {
		t.Errorf("cell = %q", got)
	}
}
