package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// recorder collects observer callbacks.
type recorder struct {
	mu    sync.Mutex
	calls []Call
	tools []ToolUse
}

func (r *recorder) observer() Observer {
	return Observer{
		OnLLMCall:  func(c Call) { r.mu.Lock(); r.calls = append(r.calls, c); r.mu.Unlock() },
		OnToolCall: func(u ToolUse) { r.mu.Lock(); r.tools = append(r.tools, u); r.mu.Unlock() },
	}
}

func TestRunToolCallThenFinal(t *testing.T) {
	st := beverageStore(t)
	m := &scriptLLM{replies: []reply{
		say(callJSON("market_share", `{}`)),
		sayFn(func(req llm.Request) string { return finalJSON("Leaders found.", lastHandle(req)) }),
	}}
	var rec recorder
	res, err := Run(t.Context(), m, st, testTask(testDef(2, "market_share", "roi")), rec.observer())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Handles) != 1 || res.ToolCalls != 1 || res.Turns != 2 || res.Summary != "Leaders found." {
		t.Fatalf("result = %+v", res)
	}
	h := res.Handles[0]
	if diff := cmp.Diff([]Finding{{Text: "finding", Handles: []string{h}}}, res.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	sum, err := st.Result(t.Context(), h)
	if err != nil || sum.Rows == 0 || sum.Source != "tool:market_share" {
		t.Fatalf("stored result %s: %+v, %v", h, sum, err)
	}
	reqs := m.requests()
	// The second turn sees the tool's summary and may cite the new handle.
	second := reqs[1]
	if last := second.Messages[len(second.Messages)-1]; !strings.Contains(last.Content, "result "+h+": "+shape(sum)+"\n"+summaryBody(sum)) {
		t.Errorf("second turn lacks the result summary; last message %q", last.Content)
	}
	if !strings.Contains(string(second.Format), `"enum":["`+h+`"]`) {
		t.Errorf("second turn format does not offer handle %s: %s", h, second.Format)
	}
	if !strings.Contains(string(reqs[0].Format), `"const":"market_share"`) || !strings.Contains(string(reqs[0].Format), `"const":"roi"`) {
		t.Errorf("first format lacks the tool branches: %s", reqs[0].Format)
	}
	want := []Call{{Turn: 1, Model: "scripted"}, {Turn: 2, Model: "scripted"}}
	if diff := cmp.Diff(want, rec.calls, cmpIgnoreUsage); diff != "" {
		t.Errorf("LLM calls (-want +got):\n%s", diff)
	}
	if len(rec.tools) != 1 || rec.tools[0].Handle != h || rec.tools[0].Tool != "market_share" || rec.tools[0].Err != nil {
		t.Errorf("tool calls = %+v", rec.tools)
	}
	if res.SQLTime <= 0 || res.LLMTime <= 0 {
		t.Errorf("times: LLM %v SQL %v", res.LLMTime, res.SQLTime)
	}
}

// cmpIgnoreUsage compares calls without usage (checked elsewhere).
var cmpIgnoreUsage = cmp.Transformer("noUsage", func(c Call) Call { c.Usage = llm.Usage{}; return c })

func TestRunObserverUsage(t *testing.T) {
	st := beverageStore(t)
	usages := []llm.Usage{{PromptTokens: 101, CompletionTokens: 7}, {PromptTokens: 250, CompletionTokens: 30}}
	i := 0
	answer := func(content string) reply {
		return func(req llm.Request) (llm.Response, error) {
			u := usages[i]
			i++
			return llm.Response{Model: "m-reported", Message: llm.Message{Content: content}, DoneReason: "stop", Usage: u}, nil
		}
	}
	m := &scriptLLM{replies: []reply{answer(`{"action":"final"`), answer(finalJSON("done"))}}
	var rec recorder
	if _, err := Run(t.Context(), m, st, testTask(testDef(0)), rec.observer()); err != nil {
		t.Fatal(err)
	}
	want := []Call{{Turn: 1, Model: "m-reported", Usage: usages[0]}, {Turn: 1, Model: "m-reported", Usage: usages[1], Retry: true}}
	if diff := cmp.Diff(want, rec.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestRunRetries(t *testing.T) {
	st := beverageStore(t)
	tests := []struct {
		name     string
		replies  []reply
		wantErr  bool
		feedback string // in the retry's last user message
	}{
		{"invalid json then ok", []reply{say(`{"action": "final", "summ`), say(finalJSON("ok"))}, false, "not one JSON object"},
		{"unknown handle then ok", []reply{say(finalJSON("x", "res_deadbeef")), say(finalJSON("ok"))}, false, `unknown handle "res_deadbeef"`},
		{"unknown tool then ok", []reply{say(callJSON("nope", `{}`)), say(finalJSON("ok"))}, false, `unknown tool "nope"`},
		{"bad args then ok", []reply{say(callJSON("market_share", `{"top_n":"many"}`)), say(finalJSON("ok"))}, false, "call of market_share does not match the schema"},
		{"summary too long", []reply{say(finalJSON(strings.Repeat("x", 301))), say(finalJSON("ok"))}, false, "maxLength"},
		{"truncated", []reply{func(req llm.Request) (llm.Response, error) {
			return llm.Response{Message: llm.Message{Content: `{"action":"final","summary":"abc`}, DoneReason: "length", Usage: llm.Usage{CompletionTokens: 12}}, nil
		}, say(finalJSON("ok"))}, false, "cut off at the token limit after 12 tokens"},
		{"exhausted", []reply{say("nope"), say("still no"), say(`{"action":"dance"}`)}, true, `"action" is "dance"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &scriptLLM{replies: tt.replies}
			res, err := Run(t.Context(), m, st, testTask(testDef(1, "market_share")), Observer{})
			reqs := m.requests()
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidOutput) || errors.Is(err, ErrBudgetExhausted) {
					t.Fatalf("err = %v, want ErrInvalidOutput only", err)
				}
				for _, s := range []string{`agent "tester" turn 1`, "3 attempts", tt.feedback} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				if len(reqs) != 3 {
					t.Errorf("%d calls, want 3 (1 + 2 retries)", len(reqs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Summary != "ok" || len(reqs) != 2 {
				t.Fatalf("summary %q after %d calls", res.Summary, len(reqs))
			}
			retry := reqs[1].Messages
			if got := retry[len(retry)-1]; got.Role != "user" || !strings.Contains(got.Content, tt.feedback) {
				t.Errorf("retry feedback = %q, want it to contain %q", got.Content, tt.feedback)
			}
			if got := retry[len(retry)-2]; got.Role != "assistant" {
				t.Errorf("retry echoes the bad answer as %q", got.Role)
			}
			if len(retry) != len(reqs[0].Messages)+2 {
				t.Errorf("retry has %d messages, first call %d", len(retry), len(reqs[0].Messages))
			}
		})
	}
}

func TestRunMaxRetries(t *testing.T) {
	st := beverageStore(t)
	m := &scriptLLM{replies: []reply{say("a"), say("b"), say("c"), say("d"), say("e")}}
	task := testTask(testDef(0))
	task.MaxRetries = 4
	_, err := Run(t.Context(), m, st, task, Observer{})
	if !errors.Is(err, ErrInvalidOutput) || len(m.requests()) != 5 {
		t.Fatalf("err = %v after %d calls, want ErrInvalidOutput after 5", err, len(m.requests()))
	}
}

func TestRunBudgetExhausted(t *testing.T) {
	st := beverageStore(t)
	m := &scriptLLM{replies: []reply{
		say(callJSON("market_share", `{}`)),
		say(callJSON("roi", `{}`)),
		say(callJSON("roi", `{}`)), // over budget: refused
		sayFn(func(req llm.Request) string { return finalJSON("done", lastHandle(req)) }),
	}}
	res, err := Run(t.Context(), m, st, testTask(testDef(2, "market_share", "roi")), Observer{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ToolCalls != 2 || len(res.Handles) != 2 || res.Turns != 3 {
		t.Fatalf("result = %+v", res)
	}
	reqs := m.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d calls, want 4", len(reqs))
	}
	for i, req := range reqs {
		finalOnly := !strings.Contains(string(req.Format), "call_tool")
		if want := i >= 2; finalOnly != want {
			t.Errorf("call %d: final-only format = %v, want %v: %s", i, finalOnly, want, req.Format)
		}
	}
	last := reqs[3].Messages[len(reqs[3].Messages)-1].Content
	if !strings.Contains(last, "tool budget is used up") {
		t.Errorf("refused call feedback = %q", last)
	}
	// Both handles are citable in the final-only format.
	for _, h := range res.Handles {
		if !strings.Contains(string(reqs[2].Format), h) {
			t.Errorf("final format lacks %s", h)
		}
	}
}

func TestRunBudgetExhaustedFinalFails(t *testing.T) {
	st := beverageStore(t)
	m := &scriptLLM{replies: []reply{say(callJSON("roi", `{}`)), say("x"), say("y"), say("z")}}
	_, err := Run(t.Context(), m, st, testTask(testDef(1, "roi")), Observer{})
	if !errors.Is(err, ErrBudgetExhausted) || !errors.Is(err, ErrInvalidOutput) {
		t.Fatalf("err = %v, want ErrBudgetExhausted and ErrInvalidOutput", err)
	}
}

func TestRunLLMErrorPropagates(t *testing.T) {
	st := beverageStore(t)
	down := fmt.Errorf("chat at http://127.0.0.1:1: %w", llm.ErrUnavailable)
	m := &scriptLLM{replies: []reply{func(llm.Request) (llm.Response, error) { return llm.Response{}, down }}}
	_, err := Run(t.Context(), m, st, testTask(testDef(1, "roi")), Observer{})
	if !errors.Is(err, llm.ErrUnavailable) || errors.Is(err, ErrInvalidOutput) {
		t.Fatalf("err = %v, want llm.ErrUnavailable", err)
	}
	if len(m.requests()) != 1 {
		t.Errorf("%d calls after an unavailable server, want 1", len(m.requests()))
	}
}

func TestRunToolErrorIsObservation(t *testing.T) {
	st := beverageStore(t)
	// A date that passes the schema's pattern but is no date: the tool rejects it.
	m := &scriptLLM{replies: []reply{
		say(callJSON("market_share", `{"start_date":"2024-13-45"}`)),
		say(finalJSON("gave up")),
	}}
	var rec recorder
	res, err := Run(t.Context(), m, st, testTask(testDef(2, "market_share")), rec.observer())
	if err != nil {
		t.Fatal(err)
	}
	if res.ToolCalls != 1 || len(res.Handles) != 0 || len(rec.tools) != 1 || rec.tools[0].Err == nil {
		t.Fatalf("result %+v, tools %+v", res, rec.tools)
	}
	msgs := m.requests()[1].Messages
	if last := msgs[len(msgs)-1].Content; !strings.HasPrefix(last, "Tool market_share error: ") || len(last) > 500 {
		t.Errorf("observation = %q", last)
	}
}

func TestRunCancel(t *testing.T) {
	st := beverageStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	m := &scriptLLM{replies: []reply{
		func(req llm.Request) (llm.Response, error) {
			cancel()
			return say(callJSON("roi", `{}`))(req)
		},
		say(finalJSON("never")),
	}}
	_, err := Run(ctx, m, st, testTask(testDef(2, "roi")), Observer{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(m.requests()); n != 1 {
		t.Errorf("%d LLM calls after cancel, want 1", n)
	}
}

func TestRunRejectsBadTask(t *testing.T) {
	st := beverageStore(t)
	tests := []struct {
		name string
		edit func(*Task)
		want error
	}{
		{"invalid definition", func(tk *Task) { tk.Def.Name = "" }, ErrInvalidDefinition},
		{"no model", func(tk *Task) { tk.Model = "" }, ErrInvalidDefinition},
		{"unknown field in the task template", func(tk *Task) { tk.Def.Task = "Rank {{.Nope}}" }, ErrInvalidDefinition},
		{"unparsable task template", func(tk *Task) { tk.Def.Task = "Rank {{.Brands" }, ErrInvalidDefinition},
		{"bad task template under a given prompt", func(tk *Task) { tk.Def.Task, tk.Prompt = "Rank {{.Nope}}", "Rank brands" }, ErrInvalidDefinition},
		{"unknown dataset", func(tk *Task) { tk.Dataset = "nope" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := testTask(testDef(1, "roi"))
			tt.edit(&task)
			m := &scriptLLM{}
			_, err := Run(t.Context(), m, st, task, Observer{})
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if len(m.requests()) != 0 {
				t.Errorf("LLM called for a bad task")
			}
		})
	}
}

func TestRunNoToolsFinalOnly(t *testing.T) {
	st := beverageStore(t)
	m := &scriptLLM{replies: []reply{say(finalJSON("summary"))}}
	if _, err := Run(t.Context(), m, st, testTask(testDef(0)), Observer{}); err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(m.requests()[0].Format, &f); err != nil {
		t.Fatal(err)
	}
	if _, ok := f["anyOf"]; ok {
		t.Errorf("a tool-less agent got a tool-call branch: %s", m.requests()[0].Format)
	}
}

func TestRunMinToolCalls(t *testing.T) {
	st := beverageStore(t)
	m := &scriptLLM{replies: []reply{
		say(finalJSON("too early")),
		say(callJSON("roi", `{}`)),
		sayFn(func(req llm.Request) string { return finalJSON("done", lastHandle(req)) }),
	}}
	task := testTask(testDef(2, "roi"))
	task.MinToolCalls = 1
	res, err := Run(t.Context(), m, st, task, Observer{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ToolCalls != 1 || res.Summary != "done" {
		t.Fatalf("result %+v", res)
	}
	reqs := m.requests()
	if strings.Contains(string(reqs[0].Format), `"final"`) || !strings.Contains(string(reqs[2].Format), `"final"`) {
		t.Errorf("formats: first %s\nlast %s", reqs[0].Format, reqs[2].Format)
	}
	if fb := reqs[1].Messages[len(reqs[1].Messages)-1].Content; !strings.Contains(fb, "call a tool before the final answer") {
		t.Errorf("feedback = %q", fb)
	}
}

func TestRunDedupesUniqueArgs(t *testing.T) {
	st := beverageStore(t)
	m := &scriptLLM{replies: []reply{
		say(callJSON("market_share", `{"regions":["Europe","Europe","Africa"],"top_n":3}`)),
		sayFn(func(req llm.Request) string { return finalJSON("done", lastHandle(req)) }),
	}}
	var rec recorder
	if _, err := Run(t.Context(), m, st, testTask(testDef(1, "market_share")), rec.observer()); err != nil {
		t.Fatal(err)
	}
	if len(m.requests()) != 2 || len(rec.tools) != 1 {
		t.Fatalf("%d calls, tools %+v", len(m.requests()), rec.tools)
	}
	if got, want := string(rec.tools[0].Args), `{"regions":["Europe","Africa"],"top_n":3}`; got != want {
		t.Errorf("args = %s, want %s", got, want)
	}
	msgs := m.requests()[1].Messages
	if got := msgs[len(msgs)-2].Content; !strings.Contains(got, `"regions":["Europe","Africa"]`) {
		t.Errorf("assistant message keeps the repeats: %s", got)
	}
}

func TestRunBadResponseRetried(t *testing.T) {
	st := beverageStore(t)
	broken := fmt.Errorf("ollama: chat m: %w: no final answer", llm.ErrBadResponse)
	fail := func(llm.Request) (llm.Response, error) { return llm.Response{}, broken }
	tests := []struct {
		name    string
		replies []reply
		wantErr bool
	}{
		{"then valid", []reply{fail, say(finalJSON("ok"))}, false},
		{"always", []reply{fail, fail, fail}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &scriptLLM{replies: tt.replies}
			res, err := Run(t.Context(), m, st, testTask(testDef(0)), Observer{})
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidOutput) || !errors.Is(err, llm.ErrBadResponse) {
					t.Fatalf("err = %v, want ErrInvalidOutput wrapping llm.ErrBadResponse", err)
				}
				return
			}
			if err != nil || res.Summary != "ok" {
				t.Fatalf("summary %q, err %v", res.Summary, err)
			}
			msgs := m.requests()[1].Messages
			if fb := msgs[len(msgs)-1].Content; !strings.Contains(fb, "broke off") {
				t.Errorf("feedback = %q", fb)
			}
		})
	}
}

// TestRepairTurnBounded: Verify's discrepancies get one final-only repair turn
// whose prompt lists them; a repair whose output stays invalid leaves the first
// answer in place, and the repaired answer is not verified again.
func TestRepairTurnBounded(t *testing.T) {
	st := beverageStore(t)
	final := func(summary string) reply {
		return sayFn(func(req llm.Request) string { return finalJSON(summary, lastHandle(req)) })
	}
	tests := []struct {
		name        string
		replies     []reply
		wantSummary string
		wantCalls   int
	}{
		{"repaired", []reply{say(callJSON("market_share", `{}`)), final("first"), final("second"), final("third")}, "second", 3},
		{"repair stays invalid", []reply{say(callJSON("market_share", `{}`)), final("first"), say("{"), say("{"), say("{"), final("late")}, "first", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &scriptLLM{replies: tc.replies}
			task := testTask(testDef(2, "market_share"))
			verified := 0
			task.Verify = func(_ context.Context, res Result) []string {
				verified++
				return []string{fmt.Sprintf("finding 1 %q: 42.5 not in %s", res.Summary, res.Findings[0].Handles[0])}
			}
			var rec recorder
			res, err := Run(t.Context(), m, st, task, rec.observer())
			if err != nil {
				t.Fatal(err)
			}
			if res.Summary != tc.wantSummary || verified != 1 || len(m.requests()) != tc.wantCalls {
				t.Fatalf("summary %q after %d checks and %d calls; want %q, 1 check, %d calls", res.Summary, verified, len(m.requests()), tc.wantSummary, tc.wantCalls)
			}
			repair := m.requests()[2]
			if last := repair.Messages[len(repair.Messages)-1].Content; !strings.Contains(last, `- finding 1 "first": 42.5 not in res_`) {
				t.Errorf("the repair prompt does not list the discrepancy:\n%s", last)
			}
			if strings.Contains(string(repair.Format), "call_tool") {
				t.Error("the repair turn offers tool calls")
			}
			if len(res.Repairs) != 1 || !rec.calls[2].Repair || rec.calls[1].Repair {
				t.Errorf("repairs %q, calls %+v: want the repair recorded on the third call only", res.Repairs, rec.calls)
			}
		})
	}
}
