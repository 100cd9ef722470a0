package llm

import "context"

// Session is one conversation: the calls of one agent step, each resending
// the turns before it. A server that caches the prompt it processed last
// (Ollama) answers a session's next call quickly only if no other
// conversation ran in between, so a scheduler in front of it (the pool)
// keeps a session's slot between its turns while the session lasts.
type Session struct {
	ctx context.Context // done when the session ends
}

type sessionKey struct{}

// WithSession returns ctx carrying a new session and the function that ends
// it; the calls made with the returned context belong to that session. Call
// end when the conversation is over (deferring it is fine): a scheduler then
// frees what it kept for the session at once.
func WithSession(ctx context.Context) (sctx context.Context, end func()) {
	sc, cancel := context.WithCancel(context.Background())
	return context.WithValue(ctx, sessionKey{}, &Session{ctx: sc}), cancel
}

// SessionOf returns the session ctx carries, or nil.
func SessionOf(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// Ended reports whether the session has ended.
func (s *Session) Ended() bool { return s.ctx.Err() != nil }

// AfterEnd arranges for f to run in its own goroutine once the session ends
// (at once if it has); stop cancels that, reporting whether it did.
func (s *Session) AfterEnd(f func()) (stop func() bool) { return context.AfterFunc(s.ctx, f) }
