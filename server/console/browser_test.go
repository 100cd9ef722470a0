package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mrswarm/mrswarm/internal/browsertest"
	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/pipeline"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

// budget bounds the whole browser test, Ollama run included: two minutes, or
// MRSWARM_BROWSER_BUDGET (a duration) on a machine too loaded for that.
func budget(t *testing.T) time.Duration {
	if v := os.Getenv("MRSWARM_BROWSER_BUDGET"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("MRSWARM_BROWSER_BUDGET: %v", err)
		}
		return d
	}
	return 2 * time.Minute
}

// TestConsoleInBrowser drives the console in a real headless Chromium against
// a real server, DuckDB and Ollama with the tiny model: upload a CSV, call a
// tool through the form generated from its schema and page its result, start
// campaign_optimization from the runs page and watch it live until every node
// of the graph has succeeded, with one timeline bar per step, tokens per
// agent and the report; then page through a handle on its own page.
//
// With MRSWARM_SCREENSHOTS=<folder> it also saves the run page there as
// console-run.png (make screenshots).
func TestConsoleInBrowser(t *testing.T) {
	llm := ollamatest.Shared(t)
	url := startServer(t, llm)
	t.Logf("console at %s", url)
	csvPath, rows, weeks := beverage(t)
	start, browserBudget := time.Now(), budget(t)
	// The browser outlives the budget, so a failure still gets its screenshot.
	runTab := browsertest.New(t, 1280, 1400)
	browsertest.ScreenshotOnFailure(t, runTab, "run-tab")
	ctx, cancel := context.WithTimeout(runTab, browserBudget)
	defer cancel()

	uploadCSV(t, ctx, url, csvPath, rows)
	runID := startCampaign(t, ctx, url)
	t.Logf("%v: uploaded and started %s", time.Since(start).Round(time.Millisecond), runID)

	// While the run goes on, a second tab calls a tool and pages handles.
	toolTab, closeTab := chromedp.NewContext(runTab)
	defer closeTab()
	browsertest.ScreenshotOnFailure(t, toolTab, "tool-tab")
	toolCtx, cancelTool := context.WithDeadline(toolTab, start.Add(browserBudget))
	defer cancelTool()
	handle := callTimeSeries(t, toolCtx, url, weeks)
	pageHandle(t, toolCtx, url, handle, weeks)
	t.Logf("%v: called a tool and paged %s", time.Since(start).Round(time.Millisecond), handle)

	watchRun(t, ctx, url, runID)
	t.Logf("%v: watched %s succeed", time.Since(start).Round(time.Millisecond), runID)
	if dir := os.Getenv("MRSWARM_SCREENSHOTS"); dir != "" {
		shot(t, ctx, filepath.Join(dir, "console-run.png"))
	}
}

// do runs browser actions and fails the test on error, naming what it did.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the tab.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate until it holds or timeout passes.
func waitFor(t *testing.T, ctx context.Context, what, predicate string, timeout time.Duration) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(100*time.Millisecond)))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func uploadCSV(t *testing.T, tab context.Context, url, csvPath string, rows int) {
	do(t, tab, "open the datasets page",
		chromedp.Navigate(url+"/#/datasets"),
		chromedp.WaitVisible(`[data-testid=upload-form]`),
		chromedp.SetUploadFiles(`[data-testid=upload-form] input[type=file]`, []string{csvPath}),
		chromedp.SetValue(`[data-testid=upload-form] input[name=name]`, "beverage"),
		chromedp.Click(`[data-testid=upload-form] button[type=submit]`))
	waitFor(t, tab, "the new dataset's page", `location.hash === '#/datasets/beverage' && document.querySelector('[data-testid=roles-form]')`, 30*time.Second)
	if role := eval[string](t, tab, `document.querySelector('select[data-column="brand"]').value`); role != "brand" {
		t.Errorf("column brand shows role %q, want brand", role)
	}
	var d struct {
		RowCount string `json:"row_count"`
	}
	getJSON(t, url+"/v1/datasets/beverage", &d)
	if d.RowCount != strconv.Itoa(rows) {
		t.Errorf("uploaded dataset has %s rows, the file %d", d.RowCount, rows)
	}
	heading := eval[string](t, tab, `document.querySelector('h1').textContent`)
	if !strings.Contains(heading, fmt.Sprintf("%s rows", thousands(rows))) {
		t.Errorf("dataset page heading %q does not show %d rows", heading, rows)
	}
}

func startCampaign(t *testing.T, tab context.Context, url string) string {
	do(t, tab, "start campaign_optimization from the runs page",
		chromedp.Navigate(url+"/#/runs?dataset=beverage"),
		chromedp.WaitVisible(`[data-testid=start-form]`),
		chromedp.SetValue(`[data-testid=start-form] select[name=preset]`, "campaign_optimization"),
		chromedp.SetValue(`[data-testid=start-form] input[name=target_audience]`, "health-conscious adults"),
		chromedp.SetValue(`[data-testid=start-form] input[name=budget]`, "100000"),
		chromedp.Click(`[data-testid=start-form] button[type=submit]`))
	waitFor(t, tab, "the run page", `location.hash.startsWith('#/runs/run_') && document.querySelector('svg.dag .node')`, 15*time.Second)
	return strings.TrimPrefix(eval[string](t, tab, `location.hash`), "#/runs/")
}

func callTimeSeries(t *testing.T, tab context.Context, url string, weeks int) string {
	form := `form[data-tool=time_series]`
	do(t, tab, "call time_series by week through its form",
		chromedp.Navigate(url+"/#/tools?dataset=beverage&tool=time_series"),
		chromedp.WaitVisible(form),
		chromedp.SetValue(form+` [data-arg=bucket] select`, `"week"`),
		chromedp.Click(form+` button[type=submit]`))
	info := `document.querySelector('[data-testid=tool-result] [data-testid=page-info]')`
	waitFor(t, tab, "the tool's result table", info+`?.textContent.includes(' of ')`, 20*time.Second)
	if got, want := eval[string](t, tab, info+`.textContent`), fmt.Sprintf("rows 1–20 of %d", weeks); got != want {
		t.Fatalf("time_series by week: %q, want %q (the file has %d weeks)", got, want, weeks)
	}
	do(t, tab, "next page", chromedp.Click(`[data-testid=tool-result] [data-testid=page-next]`))
	waitFor(t, tab, "the second page", info+`.textContent.startsWith('rows 21–40 ')`, 10*time.Second)
	return eval[string](t, tab, `document.querySelector('[data-testid=tool-result] .result-table').dataset.handle`)
}

func pageHandle(t *testing.T, tab context.Context, url, handle string, rows int) {
	do(t, tab, "open the handle's page",
		chromedp.Navigate(url+"/#/results/"+handle),
		chromedp.WaitVisible(`[data-testid=page-info]`))
	info := `document.querySelector('[data-testid=page-info]').textContent`
	waitFor(t, tab, "the first page", info+`.startsWith('rows 1–25 ')`, 10*time.Second)
	do(t, tab, "last page", chromedp.Click(`[data-testid=page-last]`))
	last := (rows - 1) / 25 * 25
	want := fmt.Sprintf("rows %d–%d of %d", last+1, rows, rows)
	waitFor(t, tab, want, fmt.Sprintf(`%s === %q`, info, want), 10*time.Second)
	if n := eval[int](t, tab, `document.querySelectorAll('.result-table tbody tr').length`); n != rows-last {
		t.Errorf("last page shows %d rows, want %d", n, rows-last)
	}
	if src := eval[string](t, tab, `document.querySelector('[data-testid=source]').textContent`); !strings.Contains(src, "tool time_series") {
		t.Errorf("source of %s: %q", handle, src)
	}
}

// presetShape returns the number of steps and of agent steps of preset name.
func presetShape(t *testing.T, name string) (steps, agents int) {
	t.Helper()
	p, ok := pipeline.Preset(name)
	if !ok {
		t.Fatalf("no preset %s", name)
	}
	for _, s := range p.Steps {
		if s.Agent != nil {
			agents++
		}
	}
	return len(p.Steps), agents
}

func watchRun(t *testing.T, tab context.Context, url, runID string) {
	deadline, _ := tab.Deadline()
	steps, agents := presetShape(t, "campaign_optimization")
	nodes := `[...document.querySelectorAll('svg.dag .node')]`
	waitFor(t, tab, "every node of the graph to finish", fmt.Sprintf(`(() => {
		const nodes = %s;
		return nodes.length === %d && nodes.every((n) => !['pending', 'running'].includes(n.dataset.status));
	})()`, nodes, steps), time.Until(deadline))
	states := eval[[]string](t, tab, nodes+`.map((n) => n.dataset.step + ' ' + n.dataset.status)`)
	for _, st := range states {
		if !strings.HasSuffix(st, " succeeded") {
			t.Fatalf("graph nodes: %v, want all succeeded", states)
		}
	}
	var run struct {
		Status string `json:"status"`
		Steps  []struct {
			ID string `json:"id"`
		} `json:"steps"`
		Tokens struct {
			Total string `json:"total_tokens"`
		} `json:"tokens"`
	}
	getJSON(t, url+"/v1/runs/"+runID, &run)
	if run.Status != "RUN_STATUS_SUCCEEDED" || len(run.Steps) != steps {
		t.Fatalf("run %s: %s with %d steps", runID, run.Status, len(run.Steps))
	}
	if bars := eval[int](t, tab, `document.querySelectorAll('svg.gantt g.bar').length`); bars != len(run.Steps) {
		t.Errorf("timeline has %d bars, want one per step (%d)", bars, len(run.Steps))
	}
	if llm := eval[int](t, tab, `document.querySelectorAll('svg.gantt g.bar[data-step=market_research_analyst] .seg-llm').length`); llm != 1 {
		t.Errorf("the agent step's bar has %d LLM segments, want 1", llm)
	}
	if rows := eval[int](t, tab, `document.querySelectorAll('[data-testid=agent-tokens] .bar-row').length`); rows != agents {
		t.Errorf("tokens per agent: %d rows, want %d agents", rows, agents)
	}
	n, _ := strconv.Atoi(run.Tokens.Total)
	if shown := eval[string](t, tab, `[...document.querySelectorAll('.stat')].find((s) => s.textContent.startsWith('tokens')).querySelector('.value').textContent`); shown != thousands(n) {
		t.Errorf("page shows %s tokens, the run has %d", shown, n)
	}
	report := `document.querySelector('[data-testid=report]')`
	waitFor(t, tab, "the report", report+`.dataset.format`, 20*time.Second)
	text := eval[string](t, tab, `(() => { const r = `+report+`; return (r.shadowRoot || r).textContent; })()`)
	if !strings.Contains(text, "Campaign optimization report") {
		t.Errorf("report view: %.300q", text)
	}
	if format := eval[string](t, tab, report+`.dataset.format`); format == "html" {
		if charts := eval[int](t, tab, report+`.shadowRoot.querySelectorAll('svg, img').length`); charts == 0 {
			t.Error("the HTML report shows no chart")
		}
	}
}

func shot(t *testing.T, tab context.Context, path string) {
	if err := browsertest.Screenshot(tab, path); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// thousands formats n as the console does (en-US): 15000 → 15,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
