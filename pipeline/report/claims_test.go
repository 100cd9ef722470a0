package report

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/sql/store"
)

// shares is a market share result as the tool returns it.
func shares() Result {
	return Result{Handle: "res_share", Summary: &store.Summary{Source: "tool:market_share", Rows: 17,
		Stats: []store.ColumnStats{{Column: "value", Sum: 9234567.89}}},
		Page: store.Page{Handle: "res_share", Columns: []store.Column{{Name: "rank"}, {Name: "name"}, {Name: "value"}, {Name: "share_pct"}},
			Rows: [][]any{{int64(1), "Tropicana", 1013685.4321, 10.9768}, {int64(2), "Coca-Cola", 987654.5, 10.6953}}, TotalRows: 17}}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		text string
		want Mark
	}{
		{"Tropicana leads with 10.98% of revenue (1,013,685.43).", Verified},
		{"Tropicana leads with about 11 % share, roughly $1.01M in revenue.", Verified},
		{"Tropicana holds 10.9768 percent; Coca-Cola follows with 987,654.5.", Verified},
		{"Revenue totals 9.23 million across 17 brands in Q4 2024.", Verified},
		{"Coca-Cola revenue fell 10.70 % (−10.70) against top-3 rivals.", Verified},
		{"Tropicana leads with 10.98% while Coca-Cola has 23.4%.", Partly},
		{"Tropicana leads with 42.5 % of revenue (2,500,000).", Unverified},
		{"Tropicana leads the market.", NoNumbers},
		{"See res_3f9a1c2e and step-2 results for 2023.", NoNumbers},
	}
	for _, tt := range tests {
		c := CheckText(tt.text, []Result{shares()})
		if got := c.Mark(); got != tt.want {
			t.Errorf("%q: %s, want %s (claims %+v)", tt.text, got, tt.want, c.Claims)
		}
	}
}

// TestCheckedOnlyAgainstCitedHandles: a number from a handle the finding does
// not cite is unverified.
func TestCheckedOnlyAgainstCitedHandles(t *testing.T) {
	other := Result{Handle: "res_other", Page: store.Page{Columns: []store.Column{{Name: "x"}}, Rows: [][]any{{42.5}}}}
	r := Run{Agents: []Agent{{Step: "a", Name: "analyst", Final: true, Handles: []string{"res_share", "res_other"},
		Summary: "Tropicana has 10.98 % and 99.1 %.",
		Findings: []Finding{
			{Text: "Tropicana has 10.98 %", Handles: []string{"res_share"}},
			{Text: "Something is 42.5", Handles: []string{"res_share"}},
			{Text: "Something is 42.5", Handles: []string{"res_other"}},
		}}}}
	tables := []Result{shares(), other}
	c := CheckRun(r, tables)
	if want := (Counts{Verified: 2, Unverified: 1}); c.Counts != want {
		t.Errorf("counts %+v, want %+v", c.Counts, want)
	}
	if got := c.Agents[0].Summary.Mark(); got != Partly {
		t.Errorf("summary %s, want partly verified", got)
	}
	md := ""
	for _, s := range Render(r, tables, Result{Handle: "res_prof"}) {
		md += s.Markdown
	}
	for _, w := range []string{"- [unverified] Something is **42.5** ⚠unverified (source: [`res_share`](#res_share))",
		"- [verified] Tropicana has 10.98 %", "99.1 %** ⚠unverified", "2 findings verified, 0 partly verified, 1 unverified"} {
		if !strings.Contains(md, w) {
			t.Errorf("report lacks %q:\n%s", w, md)
		}
	}
}

func TestDiscrepancies(t *testing.T) {
	other := Result{Handle: "res_other", Page: store.Page{Columns: []store.Column{{Name: "x"}}, Rows: [][]any{{42.5}}}}
	a := Agent{Step: "a", Name: "analyst", Handles: []string{"res_share"},
		Summary: "Tropicana has 10.98 % and 99.1 %.",
		Findings: []Finding{
			{Text: "Tropicana has 10.98 %", Handles: []string{"res_share"}},
			{Text: "Something is 42.5 and 7", Handles: []string{"res_share"}},
			{Text: "Something is 42.5", Handles: []string{"res_other"}},
			{Text: "Nothing cited: 3.5"},
		}}
	got := Discrepancies(a, []Result{shares(), other})
	want := []string{
		"summary: 99.1 % not in res_share, res_other",
		`finding 2 "Something is 42.5 and 7": 42.5, 7 not in res_share`,
		`finding 4 "Nothing cited: 3.5": 3.5 not in any cited result (it cites none)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Discrepancies (-want +got):\n%s", diff)
	}
	a.Summary, a.Findings = "Tropicana leads with 10.98 %.", a.Findings[:1]
	if got := Discrepancies(a, []Result{shares()}); got != nil {
		t.Errorf("a verified answer has discrepancies %q", got)
	}
}
