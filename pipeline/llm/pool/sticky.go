package pool

import (
	"slices"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// Tuning of session affinity (see [hold]).
const (
	// minGrace and maxGrace bound how long a freed slot waits for its
	// session's next call; within them the wait is the call's own wall time.
	minGrace = 20 * time.Millisecond
	maxGrace = time.Second
	// maxStreak is how many calls in a row a session keeps its slot while
	// other calls wait; then it lets them in.
	maxStreak = 16
)

// hold keeps a slot that a session's call freed for the session's next call
// (a conversation's next turn): Ollama reuses the processed prompt only for
// the conversation it served last on that slot (without
// OLLAMA_MULTIUSER_CACHE every conversation of one template lands on the
// same slot), and on two cores a prompt processed afresh costs about as much
// as the answer. The hold ends when the
// session's next call takes the slot, when the session ends, or after its
// grace; it counts against the host's window like a call in flight.
type hold struct {
	s      *llm.Session
	streak int           // calls the session made in a row on this slot
	stops  []func() bool // the grace timer and the session-end hook
}

// grant is a slot taken on a host.
type grant struct {
	m      *member
	lvl    int       // calls in flight on the host with this one
	busy   float64   // the host's busy when the call started
	at     time.Time // when the call started
	streak int       // calls in a row of the session on this slot, this one included
}

// takeHoldLocked takes the slot that m keeps for s, if any, and returns the
// grant of it.
func (p *Pool) takeHoldLocked(m *member, s *llm.Session) (grant, bool) {
	i := slices.IndexFunc(m.holds, func(h *hold) bool { return h.s == s })
	if i < 0 {
		return grant{}, false
	}
	h := m.holds[i]
	m.holds = slices.Delete(m.holds, i, i+1)
	for _, stop := range h.stops {
		stop()
	}
	g := m.begin(p.now())
	g.streak = h.streak + 1
	return g, true
}

// holdLocked keeps the slot that g's call of session s freed on g's host,
// unless the session has ended, has kept the slot maxStreak calls in a row
// while others wait, or the host is at its window without that slot (an
// adaptive window that narrowed while the call ran: the sessions that ran
// beside each other take turns from now on). wall is how long the call took.
func (p *Pool) holdLocked(g grant, s *llm.Session, wall time.Duration) {
	if s == nil || s.Ended() || (g.streak >= maxStreak && p.waiting > 0) || !g.m.free() {
		return
	}
	h := &hold{s: s, streak: g.streak}
	drop := func() { p.dropHold(g.m, h) }
	h.stops = []func() bool{p.afterFunc(min(max(wall, minGrace), maxGrace), drop), s.AfterEnd(drop)}
	g.m.holds = append(g.m.holds, h)
}

// dropHold ends h if it is still kept and wakes the waiting calls.
func (p *Pool) dropHold(m *member, h *hold) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.Index(m.holds, h)
	if i < 0 {
		return
	}
	m.holds = slices.Delete(m.holds, i, i+1)
	for _, stop := range h.stops {
		stop()
	}
	p.broadcastLocked()
}

// heldTokens are the tokens of a conversation a host holds processed: the
// prompt and answer of the session's last call there.
type heldTokens struct {
	m      *member
	tokens int64
}

// sampleLocked is what a call of session s (nil: none) on m that reported u
// and took wall shows m's concurrency. Its prompt's tokens are split into
// those m held of the conversation from the session's last call there (Ollama
// keeps them for the conversation on a slot and reports them again) and the
// new ones. A held prompt that another call evicted meanwhile is evaluated
// again: work the call would not have needed alone, so its wall time shows
// as a lower rate at its level. It notes what m now holds of the
// conversation, until the session ends.
func (p *Pool) sampleLocked(m *member, s *llm.Session, u llm.Usage, wall time.Duration) sample {
	sm := sample{fresh: u.PromptTokens, completion: u.CompletionTokens, promptEval: u.PromptEvalDuration, eval: u.EvalDuration, wall: wall}
	if s == nil || !m.conc.adaptive {
		return sm
	}
	h, ok := p.held[s]
	if ok && h.m == m && h.tokens <= sm.fresh {
		sm.fresh, sm.held = sm.fresh-h.tokens, h.tokens
	}
	if !ok {
		if p.held == nil {
			p.held = map[*llm.Session]heldTokens{}
		}
		s.AfterEnd(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			delete(p.held, s)
		})
	}
	p.held[s] = heldTokens{m: m, tokens: u.PromptTokens + u.CompletionTokens}
	return sm
}
