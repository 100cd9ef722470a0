package agent

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// lastCSVRow is the last row of a result as the full context pastes it.
func lastCSVRow(t *testing.T, st *store.Store, h string) string {
	t.Helper()
	rows, err := allRowsCSV(t.Context(), st, h)
	if err != nil {
		t.Fatal(err)
	}
	return rows[strings.LastIndex(rows, "\n")+1:]
}

func TestPromptSummary(t *testing.T) {
	st := beverageStore(t)
	call := func(tool, args string) store.Summary {
		s, err := tools.Call(t.Context(), st, "beverage", tool, json.RawMessage(args))
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		return s
	}
	t.Run("a tiny result is shown whole", func(t *testing.T) {
		s, err := st.SaveQuery(t.Context(), "sql", "beverage",
			"SELECT region, round(sum(total_revenue), 2) AS revenue FROM beverage GROUP BY region ORDER BY region LIMIT 3")
		if err != nil {
			t.Fatal(err)
		}
		got := promptSummary(s)
		// The last row as the prompt writes it: revenue over 1000 without cents.
		region, revenue, _ := strings.Cut(lastCSVRow(t, st, s.Handle), ",")
		v, err := strconv.ParseFloat(revenue, 64)
		if err != nil || v < 1000 {
			t.Fatalf("last row %s,%s: want revenue over 1000", region, revenue)
		}
		last := region + "," + strconv.FormatFloat(math.Round(v), 'f', 0, 64) + "\n"
		for _, want := range []string{s.Handle + " (sql): 3 rows x 2 cols\n", "region,revenue\n", last} {
			if !strings.Contains(got, want) {
				t.Errorf("summary lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "top ") || strings.Contains(got, "..") {
			t.Errorf("a whole result needs no stats or top rows:\n%s", got)
		}
	})
	t.Run("a large result is shape, stats and top rows", func(t *testing.T) {
		s := call("market_share", `{}`)
		got := promptSummary(s)
		for _, want := range []string{s.Handle + " (tool:market_share): 17 rows x 10 cols\n", "value ", " sum ", "top 3 rows:\n",
			"rank,name,value,share_pct,cumulative_share_pct,position,+4\n", "1,Tropicana,"} {
			if !strings.Contains(got, want) {
				t.Errorf("summary lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "rank 1..") || strings.Contains(got, "\n4,") || strings.Contains(got, lastCSVRow(t, st, s.Handle)) {
			t.Errorf("summary shows rank stats or rows past the third:\n%s", got)
		}
		if strings.Contains(got, "share_pct 3.01..10.98 sum") {
			t.Errorf("summary sums shares:\n%s", got)
		}
		if len(got) > len(s.Text)/2 {
			t.Errorf("prompt summary %d bytes, the store's text %d: want at most half", len(got), len(s.Text))
		}
	})
}

func TestSystemPromptCompact(t *testing.T) {
	env := beverageTools(t)
	d := testDef(3, "market_share", "brand_performance", "cross_sectional", "brand_churn")
	defs, _, err := agentTools(env, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	schema := systemPrompt(d, defs, nil, false)
	for _, td := range defs {
		line := "- " + td.name + ": "
		if strings.Count(schema, line) != 1 {
			t.Errorf("tool %s is not one line %q:\n%s", td.name, line, schema)
		}
		for _, p := range td.params {
			if strings.Contains(schema, p+",") || strings.Contains(schema, "("+p) {
				t.Errorf("the prompt lists argument %q of %s; the schema goes to the grammar:\n%s", p, td.name, schema)
			}
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(schema), "\n") {
		if strings.HasPrefix(line, "- ") && len(line) > len("- brand_performance: ")+maxToolLine+len("…") {
			t.Errorf("tool line of %d bytes: %s", len(line), line)
		}
	}
	if strings.Contains(schema, `"action"`) {
		t.Errorf("schema mode repeats the answer schema in text:\n%s", schema)
	}
	// With native tools the final answer is not constrained by a grammar: its shape is stated.
	if native := systemPrompt(d, defs, nil, true); !strings.Contains(native, `{"action":"final"`) {
		t.Errorf("native prompt lacks the final answer's shape:\n%s", native)
	}
	t.Logf("system prompt, 4 tools: %d bytes\n%s", len(schema), schema)
}

// TestReadResultsCollapse: once the model has answered after reading a tool
// result, later turns see only the result's handle line; with full context,
// every turn keeps every row.
func TestReadResultsCollapse(t *testing.T) {
	st := beverageStore(t)
	for _, mode := range []ContextMode{ContextHandles, ContextFull} {
		m := &scriptLLM{replies: []reply{
			say(callJSON("market_share", `{}`)),
			say(callJSON("brand_performance", `{}`)),
			sayFn(func(req llm.Request) string { return finalJSON("done", lastHandle(req)) }),
		}}
		task := testTask(testDef(3, "market_share", "brand_performance"))
		task.Context = mode
		res, err := Run(t.Context(), m, st, task, Observer{})
		if err != nil {
			t.Fatal(err)
		}
		share, err := st.Result(t.Context(), res.Handles[0])
		if err != nil {
			t.Fatal(err)
		}
		reqs := m.requests()
		text := func(req llm.Request) string {
			var b strings.Builder
			for _, msg := range req.Messages {
				b.WriteString(msg.Content + "\n")
			}
			return b.String()
		}
		second, third := text(reqs[1]), text(reqs[2])
		line := "Tool market_share result " + share.Handle + ": " + shape(share)
		last := lastCSVRow(t, st, share.Handle)
		switch mode {
		case ContextHandles:
			if !strings.Contains(second, line+"\n"+summaryBody(share)) {
				t.Errorf("turn 2 lacks the summary of the result it reads:\n%s", second)
			}
			if !strings.Contains(third, line+"\n") || strings.Contains(third, summaryBody(share)) {
				t.Errorf("turn 3 shows the read result beyond its handle line:\n%s", third)
			}
			if !strings.Contains(string(reqs[2].Format), share.Handle) {
				t.Errorf("the collapsed handle %s is no longer citable: %s", share.Handle, reqs[2].Format)
			}
		case ContextFull:
			if !strings.Contains(second, last) || !strings.Contains(third, last) {
				t.Errorf("full context lost the rows of %s by turn 3 (last row %q)", share.Handle, last)
			}
		}
		if len(third) >= len(text(reqs[1]))*3 && mode == ContextHandles {
			t.Errorf("turn 3 prompt %d bytes grew past 3× turn 2's %d", len(third), len(second))
		}
	}
}

// TestRepeatedResultSummarisedOnce: a tool called twice with the same
// arguments upstream costs one summary; the repeat names the first handle.
func TestRepeatedResultSummarisedOnce(t *testing.T) {
	st := beverageStore(t)
	a, err := tools.Call(t.Context(), st, "beverage", "market_share", json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tools.Call(t.Context(), st, "beverage", "market_share", json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tools.Call(t.Context(), st, "beverage", "market_share", json.RawMessage(`{"top_n":3}`))
	if err != nil {
		t.Fatal(err)
	}
	got := handlesContext([]Upstream{{StepID: "x", Results: []store.Summary{a, b, c}}}, 100000)
	if !strings.Contains(got, promptSummary(a)) || !strings.Contains(got, promptSummary(c)) {
		t.Errorf("distinct results lost their summaries:\n%s", got)
	}
	if !strings.Contains(got, b.Handle+": the same summary as "+a.Handle+"\n") || strings.Contains(got, promptSummary(b)) {
		t.Errorf("the repeated result %s is not reduced to a line naming %s:\n%s", b.Handle, a.Handle, got)
	}
}

// TestSharedResultListedOnce: a result that two upstream steps hand on (both
// cite it) is summarised once with handles and pasted once with full context.
func TestSharedResultListedOnce(t *testing.T) {
	st := beverageStore(t)
	ups := upstreamResults(t, st)
	shared := ups[0].Results[0]
	ups[1].Results = append(ups[1].Results, shared)
	handles := firstPrompt(t, st, ups, ContextHandles, 100000)
	if n := strings.Count(handles, shared.Handle); n != 1 {
		t.Errorf("handles prompt names %s %d times, want once:\n%s", shared.Handle, n, handles)
	}
	full := firstPrompt(t, st, ups, ContextFull, 0)
	if n := strings.Count(full, "Result "+shared.Handle); n != 1 {
		t.Errorf("full prompt pastes %s %d times, want once", shared.Handle, n)
	}
	if last := lastCSVRow(t, st, shared.Handle); strings.Count(full, last) != 1 {
		t.Errorf("full prompt has the last row of %s %d times, want once", shared.Handle, strings.Count(full, last))
	}
}

// TestToolResultSameAsUpstream: a tool call that returns what an upstream
// result shows (the same tool, the same arguments) costs one line naming that
// result, and both handles stay citable.
func TestToolResultSameAsUpstream(t *testing.T) {
	st := beverageStore(t)
	up, err := tools.Call(t.Context(), st, "beverage", "market_share", json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	m := &scriptLLM{replies: []reply{
		say(callJSON("market_share", `{}`)),
		sayFn(func(req llm.Request) string { return finalJSON("done", lastHandle(req), up.Handle) }),
	}}
	task := testTask(testDef(2, "market_share"))
	task.Upstream = []Upstream{{StepID: "share", Results: []store.Summary{up}}}
	res, err := Run(t.Context(), m, st, task, Observer{})
	if err != nil {
		t.Fatal(err)
	}
	second := m.requests()[1]
	got := second.Messages[len(second.Messages)-1].Content
	want := "Tool market_share result " + res.Handles[0] + ": " + shape(up) + ", the same summary as " + up.Handle
	if got != want {
		t.Errorf("tool result message %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{res.Handles[0], up.Handle}, res.Findings[0].Handles); diff != "" {
		t.Errorf("cited handles (-want +got):\n%s", diff)
	}
}

// TestInputsNotRepeated: run inputs the task text states are not listed again;
// the others are.
func TestInputsNotRepeated(t *testing.T) {
	in := Inputs{TargetAudience: "young adults", Budget: 50000, Duration: "6 months", Brands: []string{"Cola"}}
	task := "Plan for young adults with 50000.00 over 16 months, Colas included."
	got := userPrompt(task, Task{Dataset: "beverage", Inputs: in}, "")
	if strings.Count(got, "young adults") != 1 || strings.Count(got, "50000.00") != 1 {
		t.Errorf("inputs stated in the task are repeated:\n%s", got)
	}
	if !strings.Contains(got, "Inputs: Duration: 6 months; Brands: Cola\n") {
		t.Errorf("an input the task does not state is missing:\n%s", got)
	}
}
