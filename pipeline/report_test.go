package pipeline

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/pipeline/report"
)

func TestReport(t *testing.T) {
	st := newStore(t)
	m := newScript(nil)
	m.def = behaviour{useTool: true}
	r := newTestRunner(t, st, m, 2)
	run, _ := runToEnd(t, r, StartRequest{Pipeline: campaign(t)})
	if run.Status != RunSucceeded {
		t.Fatalf("status %s: %v", run.Status, run.Errors)
	}
	handle, md, err := r.Report(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if handle != run.ReportHandle {
		t.Errorf("handle %s, run says %s", handle, run.ReportHandle)
	}
	for _, w := range []string{"# Campaign optimization report", "## Executive summary",
		"- **campaign_optimizer**: campaign_optimizer summary", "## Analysis by agent",
		"### market_research_analyst (step `market_research_analyst`)", "## Recommendations",
		"From **campaign_optimizer**", "### Handles", "### Tokens and execution profile", "(run so far)",
		"Model: `scripted`", "### Method", "`campaign_optimizer` (succeeded): agent `campaign_optimizer`"} {
		if !strings.Contains(md, w) {
			t.Errorf("report lacks %q", w)
		}
	}
	// The run counts the report's findings by claim check, as the report says.
	findings := 0
	for _, s := range run.Steps {
		if s.Kind == KindAgent {
			findings += strings.Count("\n"+s.Output, "\n- ")
		}
	}
	c := run.Claims
	if c.Verified+c.PartlyVerified+c.Unverified+c.NoNumbers != findings || findings == 0 {
		t.Errorf("claims %+v, want %d findings counted", c, findings)
	}
	if w := fmt.Sprintf("%d findings verified, %d partly verified, %d unverified", c.Verified, c.PartlyVerified, c.Unverified); !strings.Contains(md, w) {
		t.Errorf("report lacks %q", w)
	}
	// Every handle a finding cites is rendered as a table whose first row is the
	// handle's own first row, and is listed.
	var cited []string
	for _, s := range run.Steps {
		if s.Kind != KindAgent {
			continue
		}
		cited = append(cited, handleRE.FindAllString(s.Output, -1)...)
	}
	if len(cited) == 0 {
		t.Fatal("no finding cites a handle")
	}
	for _, h := range uniq(cited) {
		page, err := st.GetPage(t.Context(), h, 0, 1, false)
		if err != nil {
			t.Fatal(err)
		}
		var row []string
		for i, v := range page.Rows[0][:min(len(page.Rows[0]), report.MaxColumns)] {
			row = append(row, report.Cell(report.FormatCell(page.Columns[i].Name, v)))
		}
		if line := "| " + strings.Join(row, " | ") + " |"; strings.Count(md, "(`"+h+"`)\n\n") != 1 || !strings.Contains(md, line) {
			t.Errorf("report lacks the table of %s (once) with first row %s", h, line)
		}
		if !strings.Contains(md, "- `"+h+"`: ") {
			t.Errorf("handle list lacks %s", h)
		}
	}
	// The report is itself a handle with one row per section.
	page, err := st.GetPage(t.Context(), handle, 0, 100, false)
	if err != nil {
		t.Fatal(err)
	}
	if page.TotalRows != 6 {
		t.Errorf("report handle has %d rows, want 6 sections", page.TotalRows)
	}
}

func TestReportErrors(t *testing.T) {
	st := newStore(t)
	m := newScript(map[string]behaviour{"data_analyst": {block: true}})
	r := newTestRunner(t, st, m, 2)
	run, err := r.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: chain("a:data_analyst")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Report(t.Context(), run.ID); !errors.Is(err, ErrNotFinished) {
		t.Errorf("report of a running run: %v, want ErrNotFinished", err)
	}
	if _, err := r.Cancel(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Report(t.Context(), run.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("report of a run without report step: %v, want ErrNotFound", err)
	}
	if _, _, err := r.Report(t.Context(), "run_nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("report of an unknown run: %v, want ErrNotFound", err)
	}
}

// TestCanceledRunHasPartialReport cancels campaign_optimization while its
// final agent runs: the report says what is missing and still shows the facts
// of the tool steps and the findings of the agents that finished.
func TestCanceledRunHasPartialReport(t *testing.T) {
	st := newStore(t)
	m := newScript(map[string]behaviour{"campaign_optimizer": {block: true}})
	m.def = behaviour{useTool: true}
	r := newTestRunner(t, st, m, 2)
	run, err := r.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: campaign(t)})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Watch(t.Context(), run.ID, 0, func(ev Event) error {
		if ev.Type == EventStepStarted && ev.StepID == "campaign_optimizer" {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("watch: %v", err)
	}
	if _, err := r.Cancel(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.Watch(t.Context(), run.ID, 0, func(Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	handle, md, err := r.Report(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if handle != "" {
		t.Errorf("a partial report is not stored, got handle %s", handle)
	}
	for _, w := range []string{"# Partial report: campaign_optimization", "**Partial report.** Missing:",
		"step `campaign_optimizer` canceled", "step `report` ", "has the highest ROI", "Largest allocation",
		"### market_research_analyst (step `market_research_analyst`)", "tool roi"} {
		if !strings.Contains(md, w) {
			t.Errorf("partial report lacks %q:\n%s", w, md)
		}
	}
	_, doc, err := r.ReportHTML(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkHTML(t, md, doc)
	if !strings.Contains(doc, "<title>Partial report: campaign_optimization</title>") {
		t.Errorf("the HTML partial report has no title naming it:\n%.500s", doc)
	}
}

// TestForecastPresetShowsForecast: the sales_forecast preset's report has the
// forecast tool's rows and its headline facts, whatever the agents chose.
func TestForecastPresetShowsForecast(t *testing.T) {
	st := newStore(t)
	r := newTestRunner(t, st, newScript(nil), 2)
	p, _ := Preset("sales_forecast")
	run, _ := runToEnd(t, r, StartRequest{Pipeline: p})
	if run.Status != RunSucceeded {
		t.Fatalf("status %s: %v", run.Status, run.Errors)
	}
	_, md, err := r.Report(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	fc := step(t, run, "forecast").ResultHandle
	page, err := st.GetPage(t.Context(), fc, 0, 1, false)
	if err != nil || len(page.Rows) == 0 {
		t.Fatalf("forecast rows: %v, %v", page.Rows, err)
	}
	first := report.FormatCell("forecast", page.Rows[0][2])
	for _, w := range []string{"#### tool sales_forecast (`" + fc + "`)", "| period_start | period_end | forecast | lower | upper |",
		"First period " + report.FormatValue(page.Rows[0][0]) + ": " + first, "#### tool seasonality", "peaks in"} {
		if !strings.Contains(md, w) {
			t.Errorf("report lacks %q", w)
		}
	}
}
