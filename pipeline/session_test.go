package pipeline

import (
	"context"
	"sync"
	"testing"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// sessionLLM records the session of every call by agent, and whether the
// session had ended when the call was made.
type sessionLLM struct {
	*scriptLLM
	mu       sync.Mutex
	sessions map[string][]*llm.Session
	ended    int
}

func (s *sessionLLM) Chat(ctx context.Context, req llm.Request) (llm.Response, error) {
	sess := llm.SessionOf(ctx)
	s.mu.Lock()
	name := s.agentOf(req)
	s.sessions[name] = append(s.sessions[name], sess)
	if sess != nil && sess.Ended() {
		s.ended++
	}
	s.mu.Unlock()
	return s.scriptLLM.Chat(ctx, req)
}

// Every agent step's LLM calls share one session, its own, which ends with
// the step: the pool keeps a slot for a conversation's next turn by it.
func TestAgentStepIsOneSession(t *testing.T) {
	st := newStore(t)
	loadBeverage(t, st)
	m := &sessionLLM{scriptLLM: newScript(map[string]behaviour{"market_research_analyst": {useTool: true},
		"competitive_analyst": {useTool: true}}), sessions: map[string][]*llm.Session{}}
	r := newTestRunner(t, st, m, 2)
	run, _ := runToEnd(t, r, StartRequest{Pipeline: campaign(t)})
	if run.Status != RunSucceeded {
		t.Fatalf("run %s: %v", run.Status, run.Errors)
	}
	seen := map[*llm.Session]string{}
	for name, ss := range m.sessions {
		if len(ss) < 2 && (name == "market_research_analyst" || name == "competitive_analyst") {
			t.Errorf("%s made %d calls; want a tool call and an answer", name, len(ss))
		}
		for _, s := range ss {
			if s == nil || s != ss[0] {
				t.Fatalf("%s's calls ran in sessions %v; want one session", name, ss)
			}
		}
		if other, ok := seen[ss[0]]; ok {
			t.Fatalf("%s and %s share a session", name, other)
		}
		seen[ss[0]] = name
		if !ss[0].Ended() {
			t.Errorf("%s's session has not ended with its step", name)
		}
	}
	if len(seen) != 4 || m.ended != 0 {
		t.Errorf("%d agents' sessions, %d calls in an ended session; want the campaign's 4 agents and none", len(seen), m.ended)
	}
}
