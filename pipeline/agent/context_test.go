package agent

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// upstreamResults runs real tools to make upstream results on the beverage data.
func upstreamResults(t testing.TB, st *store.Store) []Upstream {
	t.Helper()
	call := func(tool, args string) store.Summary {
		s, err := tools.Call(t.Context(), st, "beverage", tool, json.RawMessage(args))
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		return s
	}
	return []Upstream{
		{StepID: "research", Agent: "market_research_analyst", Output: "Tropicana leads revenue.",
			Results: []store.Summary{call("market_share", `{}`), call("time_series", `{"bucket":"month"}`)}},
		{StepID: "sql_cell", Results: []store.Summary{call("cross_sectional", `{"dimension":"country"}`)}},
	}
}

// firstPrompt runs a tool-less agent with ctxMode over ups and returns its first request's user message.
func firstPrompt(t *testing.T, st *store.Store, ups []Upstream, mode ContextMode, budget int) string {
	t.Helper()
	m := &scriptLLM{replies: []reply{say(finalJSON("done", ups[0].Results[0].Handle))}}
	task := testTask(testDef(0))
	task.Upstream, task.Context, task.TokenBudget = ups, mode, budget
	if _, err := Run(t.Context(), m, st, task, Observer{}); err != nil {
		t.Fatal(err)
	}
	return m.requests()[0].Messages[1].Content
}

func TestContextHandlesVsFull(t *testing.T) {
	st := beverageStore(t)
	ups := upstreamResults(t, st)
	handles := firstPrompt(t, st, ups, ContextHandles, 100000)
	full := firstPrompt(t, st, ups, ContextFull, 0)
	for _, u := range ups {
		for _, r := range u.Results {
			if !strings.Contains(handles, promptSummary(r)) {
				t.Errorf("handles prompt lacks the summary of %s", r.Handle)
			}
			if !strings.Contains(full, "Result "+r.Handle) {
				t.Errorf("full prompt lacks %s", r.Handle)
			}
			page, err := st.GetPage(t.Context(), r.Handle, 0, int(r.Rows), true)
			if err != nil {
				t.Fatal(err)
			}
			if lines := strings.Split(strings.TrimSpace(page.CSV), "\n"); len(lines) != int(r.Rows)+1 {
				t.Fatalf("%s: %d CSV lines for %d rows", r.Handle, len(lines), r.Rows)
			} else if last := lines[len(lines)-1]; !strings.Contains(full, last) || strings.Contains(handles, last) {
				t.Errorf("%s: last row %q: in full %v, in handles %v (want true, false)", r.Handle, last,
					strings.Contains(full, last), strings.Contains(handles, last))
			}
		}
	}
	if !strings.Contains(handles, "Tropicana leads revenue.") || !strings.Contains(full, "Tropicana leads revenue.") {
		t.Error("upstream output missing")
	}
	if len(handles) >= len(full) {
		t.Errorf("handles prompt %d bytes is not smaller than full %d", len(handles), len(full))
	}
	t.Logf("first user prompt: handles %d bytes (~%d tokens), full %d bytes (~%d tokens), %.1fx",
		len(handles), approxTokens(handles), len(full), approxTokens(full), float64(len(full))/float64(len(handles)))
}

func TestContextTrimmedToBudget(t *testing.T) {
	st := beverageStore(t)
	ups := upstreamResults(t, st)
	var sizes []int
	for _, u := range ups {
		for _, r := range u.Results {
			sizes = append(sizes, len(promptSummary(r)))
		}
	}
	largest := ups[0].Results[0]
	for _, u := range ups {
		for _, r := range u.Results {
			if len(promptSummary(r)) > len(promptSummary(largest)) {
				largest = r
			}
		}
	}
	total := 0
	for _, s := range sizes {
		total += s
	}
	// A budget that fits everything but the largest summary.
	budget := approxTokens(strings.Repeat("x", total-len(promptSummary(largest)))) + 60
	got := handlesContext(ups, budget)
	if strings.Contains(got, promptSummary(largest)) {
		t.Errorf("largest summary %s kept over budget", largest.Handle)
	}
	note := fmt.Sprintf("left out the summary of %s", largest.Handle)
	if !strings.Contains(got, note) {
		t.Errorf("no note naming the dropped summary; context:\n%s", got)
	}
	if approxTokens(got) > budget+approxTokens(note)+40 {
		t.Errorf("context ~%d tokens over budget %d", approxTokens(got), budget)
	}
	for _, u := range ups {
		for _, r := range u.Results {
			if r.Handle != largest.Handle && !strings.Contains(got, promptSummary(r)) {
				t.Errorf("summary of %s dropped though it fits", r.Handle)
			}
		}
	}
	// A tiny budget drops every summary and then the outputs, all named.
	tiny := handlesContext(ups, 1)
	for _, s := range []string{"output of step research", "summary of " + largest.Handle} {
		if !strings.Contains(tiny, s) {
			t.Errorf("tiny budget note lacks %q:\n%s", s, tiny)
		}
	}
	// Dropped handles stay citable: the final answer may cite them.
	m := &scriptLLM{replies: []reply{say(finalJSON("done", largest.Handle))}}
	task := testTask(testDef(0))
	task.Upstream, task.TokenBudget = ups, 1
	if _, err := Run(t.Context(), m, st, task, Observer{}); err != nil {
		t.Fatalf("citing a trimmed handle: %v", err)
	}
}
