package report

import (
	"fmt"
	"strings"

	"github.com/mrswarm/mrswarm/pipeline/report/cells"
	"github.com/mrswarm/mrswarm/sql/store"
)

// Fact is a headline fact written from a tool result's rows, without the LLM.
type Fact struct {
	Tool, Handle, Text string
}

// table reads a page's cells by column name, with the facts' readings.
type table struct{ cells.Table }

func newTable(p store.Page) table { return table{cells.New(p)} }

// f is the number in row r, column c (0 when missing or not a number).
func (t table) f(r int, c string) float64 { v, _ := t.Num(r, c); return v }

// s is the cell in row r, column c as the report writes it ("" when missing).
func (t table) s(r int, c string) string { return FormatValue(t.Cell(r, c)) }

// argmax is the row with the largest value of c.
func (t table) argmax(c string) int {
	best := 0
	for r := range t.Rows() {
		if t.f(r, c) > t.f(best, c) {
			best = r
		}
	}
	return best
}

// factWriter writes a tool's facts; it needs the columns it names.
type factWriter struct {
	needs []string
	write func(t table) []string
}

// factWriters are the headline fact writers per tool name.
func factWriters() map[string]factWriter {
	return map[string]factWriter{
		"market_share":         {[]string{"name", "value", "share_pct", "top3_share_pct", "hhi"}, marketShareFacts},
		"brand_performance":    {[]string{"brand", "revenue", "margin_pct", "share_pct"}, brandFacts},
		"profitability":        {[]string{"name", "profit", "margin_pct", "profit_share_pct"}, profitabilityFacts},
		"roi":                  {[]string{"name", "roi_pct", "profit", "cost"}, roiFacts},
		"sales_forecast":       {[]string{"period_start", "period_end", "forecast", "lower", "upper", "confidence_pct", "model"}, forecastFacts},
		"time_series":          {[]string{"bucket_start", "value", "trend_slope", "volatility_pct", "buckets"}, timeSeriesFacts},
		"kpi_summary":          {[]string{"total_revenue", "total_profit", "margin_pct", "transactions"}, kpiFacts},
		"budget_plan":          {[]string{"channel", "segment", "allocation", "allocation_pct"}, budgetFacts},
		"regional_performance": {[]string{"region", "revenue", "share_pct", "leading_brand"}, regionalFacts},
		"seasonality":          {[]string{"group_name", "month_name", "season_index", "is_peak", "is_low"}, seasonalityFacts},
	}
}

// Facts writes the headline facts of each tool result among rs, in order.
// Results from other sources, without rows, or with unexpected columns have
// none; a fact already written from an earlier result (the same tool call made
// twice) is not repeated.
func Facts(rs []Result) []Fact {
	ws := factWriters()
	var out []Fact
	seen := map[string]bool{}
	for _, res := range rs {
		tool := toolName(res)
		w, ok := ws[tool]
		t := newTable(res.Page)
		if !ok || res.PageErr != nil || t.Rows() == 0 || !t.Has(w.needs...) {
			continue
		}
		for _, s := range w.write(t) {
			if !seen[s] {
				out = append(out, Fact{Tool: tool, Handle: res.Handle, Text: s})
			}
			seen[s] = true
		}
	}
	return out
}

// toolName is the tool that made a result ("" when not a tool).
func toolName(res Result) string {
	if res.Summary == nil {
		return ""
	}
	name, _ := strings.CutPrefix(res.Summary.Source, "tool:")
	if name == res.Summary.Source {
		return ""
	}
	return name
}

// hhiClass names a Herfindahl–Hirschman index's concentration (US DoJ bands).
func hhiClass(h float64) string {
	switch {
	case h < 1500:
		return "unconcentrated"
	case h <= 2500:
		return "moderately concentrated"
	}
	return "highly concentrated"
}

func marketShareFacts(t table) []string {
	return []string{fmt.Sprintf("%s leads with %s of the total (%s); top-3 hold %s; HHI %s, %s",
		t.s(0, "name"), Pct(t.f(0, "share_pct")), Num(t.f(0, "value")), Pct(t.f(0, "top3_share_pct")),
		Int(t.f(0, "hhi")), hhiClass(t.f(0, "hhi")))}
}

func brandFacts(t table) []string {
	return []string{fmt.Sprintf("%s ranks first with revenue %s (%s of revenue), margin %s",
		t.s(0, "brand"), Num(t.f(0, "revenue")), Pct(t.f(0, "share_pct")), Pct(t.f(0, "margin_pct")))}
}

func profitabilityFacts(t table) []string {
	return []string{fmt.Sprintf("%s earns the most profit: %s (%s of profit), margin %s",
		t.s(0, "name"), Num(t.f(0, "profit")), Pct(t.f(0, "profit_share_pct")), Pct(t.f(0, "margin_pct")))}
}

func roiFacts(t table) []string {
	out := []string{fmt.Sprintf("%s has the highest ROI: %s (profit %s on cost %s)",
		t.s(0, "name"), Pct(t.f(0, "roi_pct")), Num(t.f(0, "profit")), Num(t.f(0, "cost")))}
	if n := t.Rows() - 1; n > 0 {
		out = append(out, fmt.Sprintf("%s has the lowest ROI shown: %s", t.s(n, "name"), Pct(t.f(n, "roi_pct"))))
	}
	return out
}

func forecastFacts(t table) []string {
	total := 0.0
	for r := range t.Rows() {
		total += t.f(r, "forecast")
	}
	n := t.Rows() - 1
	return []string{
		fmt.Sprintf("Forecast %s to %s: %s in total over %d periods (%s model)",
			t.s(0, "period_start"), t.s(n, "period_end"), Num(total), t.Rows(), t.s(0, "model")),
		fmt.Sprintf("First period %s: %s (%s interval %s to %s)", t.s(0, "period_start"),
			Num(t.f(0, "forecast")), Pct(t.f(0, "confidence_pct")), Num(t.f(0, "lower")), Num(t.f(0, "upper"))),
	}
}

func timeSeriesFacts(t table) []string {
	return []string{fmt.Sprintf("%s buckets from %s; trend %s per bucket; growth volatility %s",
		Int(t.f(0, "buckets")), t.s(0, "bucket_start"), Num(t.f(0, "trend_slope")), Pct(t.f(0, "volatility_pct")))}
}

func kpiFacts(t table) []string {
	out := []string{fmt.Sprintf("Revenue %s, profit %s (margin %s) over %s transactions",
		Num(t.f(0, "total_revenue")), Num(t.f(0, "total_profit")), Pct(t.f(0, "margin_pct")), Int(t.f(0, "transactions")))}
	if g, ok := t.Num(0, "revenue_growth_pct"); ok {
		out = append(out, fmt.Sprintf("Revenue in %s changed %s vs %s", t.s(0, "last_period"), Pct(g), t.s(0, "previous_period")))
	}
	return out
}

func budgetFacts(t table) []string {
	b := t.argmax("allocation")
	total := 0.0
	for r := range t.Rows() {
		total += t.f(r, "allocation")
	}
	return []string{fmt.Sprintf("Largest allocation: %s (%s) to %s via %s, of %s over %d channel × segment cells",
		Num(t.f(b, "allocation")), Pct(t.f(b, "allocation_pct")), t.s(b, "segment"), t.s(b, "channel"), Num(total), t.Rows())}
}

func regionalFacts(t table) []string {
	return []string{fmt.Sprintf("%s leads the regions with %s of revenue (%s); its leading brand is %s",
		t.s(0, "region"), Pct(t.f(0, "share_pct")), Num(t.f(0, "revenue")), t.s(0, "leading_brand"))}
}

func seasonalityFacts(t table) []string {
	var out []string
	for r := range t.Rows() {
		if t.s(r, "is_peak") == "true" {
			out = append(out, fmt.Sprintf("%s peaks in %s (index %s)", t.s(r, "group_name"), t.s(r, "month_name"), Num(t.f(r, "season_index"))))
		}
	}
	return out[:min(len(out), 3)]
}
