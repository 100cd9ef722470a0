package report

import (
	"errors"
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
	if diff := cmp.Diff([]string{"res_cited", "res_data", "res_tool"}, Tables(r)); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	page := store.Page{Columns: []store.Column{{Name: "brand"}, {Name: "revenue"}}, Rows: [][]any{{"A|B", 1.23456}}, TotalRows: 3}
	tables := []Result{
		{Handle: "res_cited", Summary: &store.Summary{Source: "tool:roi", Rows: 3}, Page: page},
		{Handle: "res_data", PageErr: errors.New("gone")},
		{Handle: "res_tool", Summary: &store.Summary{Source: "sql", Rows: 1}, Page: page},
	}
	secs := Render(r, tables, Result{Handle: "res_prof", Summary: &store.Summary{Source: "report", Rows: 2}, Page: page})
	var names []string
	md := map[string]string{}
	for _, s := range secs {
		names = append(names, s.Name)
		md[s.Name] = s.Markdown
	}
	want := []string{"title", "executive_summary", "findings", "recommendations", "tables", "handles", "profile"}
	if !slices.Equal(names, want) {
		t.Fatalf("sections %v, want %v", names, want)
	}
	checks := map[string][]string{
		"title":             {"# T\n", "fingerprint `0123456789ab`", "generated 2026-01-02T03:04:05Z"},
		"executive_summary": {"- **optimizer**: do more\n- **analyst**: first look\n"},
		"findings":          {"### analyst (step `a`)", "- sales rose (source: `res_cited`)"},
		"recommendations":   {"From **optimizer**:\n\n- spend on X\n"},
		"tables":            {"### tool:roi (`res_cited`)", "| A\\|B | 1.2346 |", "_1 of 3 rows._", "### `res_data`\n\n_not available: gone_"},
		"handles":           {"- `res_cited`: tool:roi, 3 rows", "- `res_data`: not available", "- `res_prof`: report, 2 rows"},
		"profile":           {"## Execution profile", "### report (`res_prof`)"},
	}
	for name, wants := range checks {
		for _, w := range wants {
			if !strings.Contains(md[name], w) {
				t.Errorf("section %s lacks %q:\n%s", name, w, md[name])
			}
		}
	}
	if strings.Contains(md["tables"], "res_own") {
		t.Error("an agent's own findings handle is rendered as a table")
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
