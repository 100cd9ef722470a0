package ollamatest

import (
	"context"
	"os"
	"sync"
	"testing"
)

// shared is the per-binary server of [Shared]; mu guards every field.
var shared struct {
	mu      sync.Mutex
	main    bool    // Main is running the tests
	started bool    // a start was attempted
	srv     *Server // nil when the start failed
	err     error   // why the start failed
	dir     string  // temporary directory Main removes
	log     *os.File
}

// Main runs the package's tests, stops the shared server and exits.
// Call it from TestMain: func TestMain(m *testing.M) { ollamatest.Main(m) }.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is [Main] without the exit, for a TestMain with its own teardown:
// code := ollamatest.Run(m); teardown(); os.Exit(code).
func Run(m *testing.M) int {
	shared.mu.Lock()
	shared.main = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	if shared.log != nil {
		shared.log.Close()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	shared.srv, shared.log, shared.dir, shared.started, shared.main = nil, nil, "", false, false
	return code
}

// Shared returns the test binary's shared server, starting it on first use.
// It fails tb when the package's TestMain does not call [Main] (the server
// would outlive the tests) and skips or fails tb like [Start] when there is
// no binary. A failed start fails every later caller too.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	bin := binary(tb)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.main {
		tb.Fatal("ollamatest: Shared needs TestMain to call ollamatest.Main(m) or Run(m)")
	}
	if !shared.started {
		shared.started = true
		shared.srv, shared.err = startShared(bin)
	}
	if shared.err != nil {
		tb.Fatalf("ollamatest: shared server: %v", shared.err)
	}
	srv := shared.srv
	tb.Cleanup(func() { srv.logOnFailure(tb) })
	return srv
}

// startShared starts the shared server; the caller holds shared.mu.
func startShared(bin string) (*Server, error) {
	dir, err := os.MkdirTemp("", "mrswarm-ollamatest-")
	if err != nil {
		return nil, err
	}
	shared.dir = dir
	log, err := os.CreateTemp(dir, "ollama-*.log")
	if err != nil {
		return nil, err
	}
	shared.log = log
	s := &Server{Bin: bin, Log: log.Name(), dir: dir, log: log}
	if err := s.launch(context.Background(), ""); err != nil {
		return nil, &startError{err: err, log: tail(log.Name())}
	}
	return s, nil
}

type startError struct {
	err error
	log string
}

func (e *startError) Error() string { return e.err.Error() + "\n" + e.log }
func (e *startError) Unwrap() error { return e.err }
