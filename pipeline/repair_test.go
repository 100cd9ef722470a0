package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/report"
	"github.com/mrswarm/mrswarm/sql/store"
)

// finalsLLM plays one agent: its first turn calls market_share, each later
// turn answers with the next of finals (a summary and one finding citing the
// market share handle), made by a function of the leader's share in that
// handle's first row. It records every request.
type finalsLLM struct {
	st     *store.Store
	finals []func(share float64) string

	mu   sync.Mutex // guards reqs
	reqs []llm.Request
}

func (s *finalsLLM) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	n := len(s.reqs)
	s.mu.Unlock()
	content := `{"action":"call_tool","tool":"market_share","args":{}}`
	if n > 1 {
		hs := handleRE.FindAllString(string(req.Format), -1)
		h := hs[len(hs)-1]
		page, err := s.st.GetPage(ctx, h, 0, 1, false)
		if err != nil {
			return llm.Response{}, err
		}
		text := s.finals[min(n-2, len(s.finals)-1)](page.Rows[0][3].(float64))
		content = fmt.Sprintf(`{"action":"final","summary":"Shares are known.","findings":[{"text":%q,"handles":[%q]}]}`, text, h)
	}
	return llm.Response{Model: req.Model, Message: llm.Message{Role: "assistant", Content: content}, DoneReason: "stop",
		Usage: llm.Usage{PromptTokens: 100, CompletionTokens: 10}}, nil
}

func (s *finalsLLM) Capabilities(context.Context, string) ([]string, error) {
	return []string{llm.CapabilityCompletion}, nil
}

func (s *finalsLLM) requests() []llm.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]llm.Request(nil), s.reqs...)
}

// TestRepairTurn: an agent whose final answer has a number the handle it cites
// does not hold gets one repair turn that lists the discrepancy; the repaired
// answer is what the step keeps. A repair that is still wrong ends the step
// all the same, marked unverified (no second repair), and an answer that
// checks out gets none. The repair's tokens count like any call.
func TestRepairTurn(t *testing.T) {
	wrong := func(float64) string { return "Tropicana leads with 42.5 % of revenue" }
	stillWrong := func(float64) string { return "Tropicana leads with 43.5 % of revenue" }
	right := func(share float64) string { return fmt.Sprintf("Tropicana leads with %.2f %% of revenue", share) }
	tests := []struct {
		name   string
		finals []func(float64) string
		calls  int
		mark   report.Mark
		kept   string // the finding the step keeps
	}{
		{"repaired", []func(float64) string{wrong, right}, 3, report.Verified, "Tropicana leads with 10.98 % of revenue"},
		{"still wrong", []func(float64) string{wrong, stillWrong, right}, 3, report.Unverified, "Tropicana leads with 43.5 % of revenue"},
		{"right at once", []func(float64) string{right, wrong}, 2, report.Verified, "Tropicana leads with 10.98 % of revenue"},
		{"random model", []func(float64) string{wrong, right}, 2, report.Unverified, "Tropicana leads with 42.5 % of revenue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			m := &finalsLLM{st: st, finals: tc.finals}
			r := newTestRunner(t, st, m, 1)
			if tc.name == "random model" { // the generated test model: no repair, the mark stays
				r = NewRunner(st, m, Config{MaxParallel: 1, DefaultModel: "scripted", RandomModels: []string{"scripted"}, Logger: quietLogger()})
				t.Cleanup(func() { r.Close(context.Background()) })
			}
			p := chain("analyst:market_research_analyst")
			p.Steps = append(p.Steps, Step{ID: "report", DependsOn: []string{"analyst"}, Report: &ReportStep{}})
			run, events := runToEnd(t, r, StartRequest{Pipeline: p})
			if run.Status != RunSucceeded {
				t.Fatalf("status %s: %v", run.Status, run.Errors)
			}
			reqs := m.requests()
			if len(reqs) != tc.calls {
				t.Fatalf("%d LLM calls, want %d (a tool call, the answer, at most one repair)", len(reqs), tc.calls)
			}
			s := step(t, run, "analyst")
			if s.Tokens.LLMCalls != tc.calls || run.Tokens.LLMCalls != tc.calls || s.Tokens.PromptTokens != int64(100*tc.calls) {
				t.Errorf("step tokens %+v, run tokens %+v; want %d calls counted in both", s.Tokens, run.Tokens, tc.calls)
			}
			if !strings.Contains(s.Output, tc.kept) {
				t.Errorf("step output %q, want the finding %q", s.Output, tc.kept)
			}
			if tc.calls == 3 {
				last := reqs[2].Messages[len(reqs[2].Messages)-1].Content
				h := handleRE.FindString(s.Output)
				if want := `finding 1 "Tropicana leads with 42.5 % of revenue": 42.5 % not in ` + h; !strings.Contains(last, want) {
					t.Errorf("the repair prompt lacks %q:\n%s", want, last)
				}
				if strings.Contains(string(reqs[2].Format), `"call_tool"`) {
					t.Error("the repair turn offers tool calls; it asks for the final answer only")
				}
				var msgs []string
				for _, ev := range events {
					if ev.Type == EventLLMCall {
						msgs = append(msgs, ev.Message)
					}
				}
				if len(msgs) != 3 || !strings.Contains(msgs[2], "turn 3 (repair of unverified numbers)") {
					t.Errorf("llm_call events %q: want the third to name the repair", msgs)
				}
			}
			want := ClaimCounts{Verified: 1}
			if tc.mark == report.Unverified {
				want = ClaimCounts{Unverified: 1}
			}
			if run.Claims != want {
				t.Errorf("claims %+v, want %+v", run.Claims, want)
			}
		})
	}
}
