package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/mrswarm/mrswarm/internal/browsertest"
)

// gate stands in front of the server like an access-checking middleware: it
// answers 401 to /v1/ requests without the bearer token, records every
// request, and cuts the first event stream of a run after cutAfter events to
// play a dropped connection.
type gate struct {
	token    string
	cutAfter int
	upstream *url.URL
	proxy    *httputil.ReverseProxy

	mu       sync.Mutex // guards the fields below
	requests []*http.Request
	cut      bool
}

func newGate(t *testing.T, upstream, token string, cutAfter int) *gate {
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{token: token, cutAfter: cutAfter, upstream: u, proxy: httputil.NewSingleHostReverseProxy(u)}
	g.proxy.FlushInterval = -1 // streams pass through as they come
	return g
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.requests = append(g.requests, r.Clone(context.Background()))
	cut := !g.cut && strings.HasSuffix(r.URL.Path, "/events")
	g.cut = g.cut || cut
	g.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/v1/") && r.Header.Get("Authorization") != "Bearer "+g.token {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"code":16,"message":"missing or wrong bearer token","details":[]}`)
		return
	}
	if cut {
		g.cutStream(w, r)
		return
	}
	g.proxy.ServeHTTP(w, r)
}

// cutStream forwards the first cutAfter lines of an event stream, then drops
// the connection mid-response.
func (g *gate) cutStream(w http.ResponseWriter, r *http.Request) {
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, g.upstream.String()+r.URL.RequestURI(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	sc := bufio.NewScanner(resp.Body)
	for n := 0; n < g.cutAfter && sc.Scan(); n++ {
		fmt.Fprintf(w, "%s\n", sc.Bytes())
		w.(http.Flusher).Flush()
	}
	// Let the browser take the lines in before the reset, which can discard
	// what it has received but not yet read.
	time.Sleep(500 * time.Millisecond)
	panic(http.ErrAbortHandler) // the connection drops without the stream's end
}

func (g *gate) seen() []*http.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*http.Request(nil), g.requests...)
}

// TestConsoleTokenAndReattach: behind an access check, the console asks for
// the token once, sends it as a header on every call and never in a URL,
// keeps it for the browser session; a pipeline started as JSON is watched
// live, and when its event stream drops the page re-attaches from the last
// event it saw and shows every event exactly once.
func TestConsoleTokenAndReattach(t *testing.T) {
	upstream := startServer(t, nil)
	csvPath, _, _ := beverage(t)
	uploadDirect(t, upstream, "beverage", csvPath)
	g := newGate(t, upstream, "s3cret-token", 3)
	front := httptest.NewServer(g)
	defer front.Close()
	tab := browsertest.New(t, 1280, 1000)
	browsertest.ScreenshotOnFailure(t, tab, "tab")
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()

	do(t, ctx, "open the runs page and enter the token",
		chromedp.Navigate(front.URL+"/#/runs"),
		chromedp.WaitVisible(`#token-dialog[open] #token-input`),
		chromedp.SetValue(`#token-input`, "s3cret-token"),
		chromedp.Click(`#token-dialog button[value=ok]`),
		chromedp.WaitVisible(`[data-testid=start-form]`))
	pipeline := `{"name": "reattach", "steps": [
		{"id": "kpis", "tool": {"tool": "kpi_summary"}},
		{"id": "top", "depends_on": ["kpis"], "sql": {"sql": "SELECT brand, sum(total_revenue) AS revenue FROM beverage GROUP BY brand"}},
		{"id": "all", "sql": {"sql": "SELECT * FROM beverage ORDER BY ALL"}},
		{"id": "report", "depends_on": ["top", "all"], "report": {"title": "Reattach"}}]}`
	do(t, ctx, "start a pipeline written as JSON",
		chromedp.SetValue(`[data-testid=start-form] select[name=mode]`, "pipeline"),
		chromedp.SetValue(`[data-testid=start-form] textarea[name=pipeline]`, pipeline),
		chromedp.Click(`[data-testid=start-form] button[type=submit]`))
	waitFor(t, ctx, "the run to finish on the page", `document.querySelector('[data-testid=link]')?.textContent === 'finished'
		&& [...document.querySelectorAll('svg.dag .node')].every((n) => n.dataset.status === 'succeeded')`, 30*time.Second)
	runID := strings.TrimPrefix(eval[string](t, ctx, `location.hash`), "#/runs/")

	want := eventCount(t, upstream, runID)
	seqs := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=events] .seq')].map((e) => e.textContent)`)
	if len(seqs) != want {
		t.Errorf("event log has %d lines, the run %d events: %v", len(seqs), want, seqs)
	}
	for i, s := range seqs {
		if s != fmt.Sprintf("#%d", i+1) {
			t.Fatalf("event log line %d is %s, want #%d (each event once, in order): %v", i+1, s, i+1, seqs)
		}
	}
	var afters []string
	for _, r := range g.seen() {
		if strings.HasSuffix(r.URL.Path, "/events") {
			afters = append(afters, r.URL.Query().Get("after_seq"))
		}
	}
	if len(afters) < 2 || afters[0] != "0" || afters[1] != "3" {
		t.Errorf("event requests after_seq = %v, want 0 then 3 (re-attached after the third event)", afters)
	}

	setRole(t, ctx, front.URL, upstream)
	downloadCSV(t, ctx, front.URL, upstream, stepHandle(t, upstream, runID, "all"))

	// Once per session: a reload asks no more.
	do(t, ctx, "reload", chromedp.Navigate(front.URL+"/#/runs"), chromedp.WaitVisible(`[data-testid=runs]`))
	if open := eval[bool](t, ctx, `document.getElementById('token-dialog').open`); open {
		t.Error("the token dialog opened again in the same session")
	}
	checkTokenUse(t, g.seen(), "s3cret-token")
}

// checkTokenUse: after the first 401, every API call carries the token as a
// header, and no URL ever contains it.
func checkTokenUse(t *testing.T, reqs []*http.Request, token string) {
	t.Helper()
	refused := 0
	for _, r := range reqs {
		if strings.Contains(r.URL.String(), token) || strings.Contains(r.Header.Get("Referer"), token) {
			t.Errorf("the token is in a URL: %s", r.URL)
		}
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			continue
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			refused++
		}
	}
	if refused > 2 { // the first page's calls before the dialog
		t.Errorf("%d API calls went without the token", refused)
	}
}

// uploadDirect uploads a CSV to the server itself, not through the console.
func uploadDirect(t *testing.T, base, name, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	resp, err := http.Post(base+"/v1/datasets/"+name+":upload?format=csv", "text/csv", f)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %s", resp.Status)
	}
}

// eventCount replays a finished run's events from the server itself.
func eventCount(t *testing.T, base, runID string) int {
	t.Helper()
	resp, err := http.Get(base + "/v1/runs/" + runID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n := 0
	for dec := json.NewDecoder(resp.Body); dec.More(); n++ {
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// setRole gives the price role to another column on the dataset's page and
// checks the server took it.
func setRole(t *testing.T, ctx context.Context, front, upstream string) {
	t.Helper()
	do(t, ctx, "give price to cost_per_unit and save",
		chromedp.Navigate(front+"/#/datasets/beverage"),
		chromedp.WaitVisible(`[data-testid=roles-form]`),
		chromedp.SetValue(`select[data-column=cost_per_unit]`, "price"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('select[data-column=cost_per_unit]').dispatchEvent(new Event('change'))`),
		chromedp.Click(`[data-testid=roles-form] button[type=submit]`))
	waitFor(t, ctx, "the saved toast", `document.querySelector('.toast')?.textContent === 'Roles saved'`, 10*time.Second)
	var d struct {
		Roles map[string]string `json:"roles"`
	}
	getJSON(t, upstream+"/v1/datasets/beverage", &d)
	if d.Roles["price"] != "cost_per_unit" || d.Roles["revenue"] != "total_revenue" {
		t.Errorf("roles after saving: %v, want price=cost_per_unit and the others kept", d.Roles)
	}
	if v := eval[string](t, ctx, `document.querySelector('select[data-column=price_per_unit]').value`); v != "" {
		t.Errorf("price_per_unit still shows role %q after price went to cost_per_unit", v)
	}
}

// stepHandle is the result handle of a run's step, asked of the server.
func stepHandle(t *testing.T, base, runID, step string) string {
	t.Helper()
	var run struct {
		Steps []struct {
			ID     string `json:"id"`
			Handle string `json:"result_handle"`
		} `json:"steps"`
	}
	getJSON(t, base+"/v1/runs/"+runID, &run)
	for _, s := range run.Steps {
		if s.ID == step {
			return s.Handle
		}
	}
	t.Fatalf("run %s has no step %s", runID, step)
	return ""
}

// downloadCSV downloads a handle as CSV from its page (the console streams
// it) and compares the file with the server's CSV read page by page.
func downloadCSV(t *testing.T, ctx context.Context, front, upstream, handle string) {
	t.Helper()
	dir := t.TempDir()
	allow := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior,
			browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	})
	do(t, ctx, "download the handle as CSV", allow,
		chromedp.Navigate(front+"/#/results/"+handle),
		chromedp.WaitVisible(`[data-testid=download-csv]`),
		chromedp.Click(`[data-testid=download-csv]`))
	path := filepath.Join(dir, handle+".csv")
	var got []byte
	for range 200 {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			got = b
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := serverCSV(t, upstream, handle)
	if string(got) != want {
		t.Errorf("downloaded %d bytes (%d lines), the server's CSV is %d bytes (%d lines)",
			len(got), strings.Count(string(got), "\n"), len(want), strings.Count(want, "\n"))
	}
}

// serverCSV reads a whole result as CSV from the server, 10,000 rows a page
// (GET .../rows?format=csv, the position in X-Next-Offset and X-Done).
func serverCSV(t *testing.T, base, handle string) string {
	t.Helper()
	var b strings.Builder
	for offset := 0; ; {
		resp, err := http.Get(fmt.Sprintf("%s/v1/results/%s/rows?format=csv&limit=10000&offset=%d", base, handle, offset))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("CSV page at %d: %d %v", offset, resp.StatusCode, err)
		}
		text := string(body)
		if offset > 0 {
			_, text, _ = strings.Cut(text, "\n")
		}
		b.WriteString(text)
		next, _ := strconv.Atoi(resp.Header.Get("X-Next-Offset"))
		if resp.Header.Get("X-Done") == "true" || next <= offset {
			return b.String()
		}
		offset = next
	}
}
