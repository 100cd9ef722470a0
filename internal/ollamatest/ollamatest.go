// Package ollamatest gives tests a real `ollama serve` with mrswarm's tiny
// model (internal/tinymodel), on a free loopback port with a temporary model
// directory, stopped when the test or the package's tests end.
//
// Two ways to get one. [Start] starts a server owned by one test and
// stopped by its Cleanup; use it when the test stops the server itself
// ([Server.Stop]), e.g. to see what happens when Ollama dies mid-run.
// [Shared] returns one server per test binary, started on first use, so a
// package's tests do not start ten servers; the package's TestMain must call
// [Main] (or [Run]), which stops it when the tests are done. Never Stop a
// shared server.
//
//	func TestMain(m *testing.M) { ollamatest.Main(m) }
//
//	func TestChat(t *testing.T) {
//		srv := ollamatest.Shared(t)
//		// talk to srv.Host, model srv.Model (or srv.ToolsModel)
//	}
//
// The binary is found by ollamaproc.FindBinary: $MRSWARM_OLLAMA_BIN, then
// <module root>/.tools/bin/ollama (what `make ollama` installs), then PATH.
// Without one the test is skipped, or fails when MRSWARM_REQUIRE_OLLAMA=1
// (set by `make test` and CI). OLLAMA_NUM_PARALLEL (default 2) and
// OLLAMA_KEEP_ALIVE (default 10m) from the environment are passed on.
package ollamatest

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/ollamaproc"
)

// RequireEnv names the environment variable that turns a missing Ollama
// from a skip into a failure.
const RequireEnv = "MRSWARM_REQUIRE_OLLAMA"

// Seed is the seed of the tiny model's weights.
const Seed = 42

// Server is a running `ollama serve` with the tiny models created.
type Server struct {
	// Host is the base URL, e.g. "http://127.0.0.1:41234".
	Host string
	// Addr is host:port, the form OLLAMA_HOST takes.
	Addr string
	// Model has a plain template (capabilities: completion).
	Model string
	// ToolsModel has a template for native tool calls (completion, tools).
	ToolsModel string
	// Bin is the ollama binary.
	Bin string
	// Log is the path of the server's output; tests that fail get its end.
	Log string

	proc *ollamaproc.Process
	opts Options
	dir  string   // model directory and HOME, kept across Restart
	log  *os.File // output of every process of this server
}

// Options change the server [StartWith] runs.
type Options struct {
	// ContextLength is OLLAMA_CONTEXT_LENGTH, the context of calls that set
	// no num_ctx (the OpenAI-compatible /v1 API cannot); 0 keeps Ollama's
	// 2048.
	ContextLength int
}

// Start starts a server for tb and registers a Cleanup that stops it. It
// skips tb (or fails it when MRSWARM_REQUIRE_OLLAMA=1) if there is no binary.
func Start(tb testing.TB) *Server { tb.Helper(); return StartWith(tb, Options{}) }

// StartWith is [Start] with options.
func StartWith(tb testing.TB, opts Options) *Server {
	tb.Helper()
	bin := binary(tb)
	log, err := os.CreateTemp(tb.TempDir(), "ollama-*.log")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Bin: bin, Log: log.Name(), opts: opts, dir: tb.TempDir(), log: log}
	if err := s.launch(tb.Context(), ""); err != nil {
		tb.Fatalf("ollamatest: %v\n%s", err, tail(log.Name()))
	}
	tb.Cleanup(func() {
		s.logOnFailure(tb)
		if err := s.proc.Stop(); err != nil {
			tb.Errorf("ollamatest: stop: %v", err)
		}
		log.Close()
	})
	return s
}

// Restart starts a stopped server again on the same address with the same
// models. Only for servers from [Start].
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop()
	if err := s.launch(tb.Context(), s.Addr); err != nil {
		tb.Fatalf("ollamatest: restart: %v\n%s", err, tail(s.Log))
	}
}

// Pid is the server's process id (its runners are its children).
func (s *Server) Pid() int { return s.proc.Pid() }

// Stop stops the server and its runners; later calls fail with
// connection refused. Safe to call more than once. Only for servers from
// [Start].
func (s *Server) Stop() {
	_ = s.proc.Stop()
}

// logOnFailure logs the end of the server's output if tb failed.
func (s *Server) logOnFailure(tb testing.TB) {
	if tb.Failed() {
		tb.Logf("ollama serve log %s (end):\n%s", s.Log, tail(s.Log))
	}
}

// Done is closed when the server process has exited.
func (s *Server) Done() <-chan struct{} { return s.proc.Done() }

// launch starts the server on addr (empty: a free port) with its model
// directory and HOME under s.dir.
func (s *Server) launch(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var env []string
	if s.opts.ContextLength > 0 {
		env = append(env, "OLLAMA_CONTEXT_LENGTH="+strconv.Itoa(s.opts.ContextLength))
	}
	proc, err := ollamaproc.Launch(ctx, ollamaproc.Config{
		Bin:         s.Bin,
		Addr:        addr,
		ModelsDir:   s.dir,
		Home:        s.dir,
		NumParallel: envInt("OLLAMA_NUM_PARALLEL", 2),
		KeepAlive:   os.Getenv("OLLAMA_KEEP_ALIVE"),
		Seed:        Seed,
		Log:         s.log,
		Env:         env,
	})
	if err != nil {
		return err
	}
	s.Host, s.Addr, s.Bin, s.proc = proc.Host, proc.Addr, proc.Bin, proc
	s.Model, s.ToolsModel = proc.Model, proc.ToolsModel
	return nil
}

// binary finds the ollama binary or skips or fails tb.
func binary(tb testing.TB) string {
	tb.Helper()
	bin, err := ollamaproc.FindBinary()
	if err == nil {
		return bin
	}
	if !errors.Is(err, ollamaproc.ErrNoBinary) || os.Getenv(RequireEnv) == "1" {
		tb.Fatalf("ollamatest: %v; %s=1 requires it: run `make ollama` "+
			"(installs the pinned build into .tools/bin) or set %s", err, RequireEnv, ollamaproc.BinEnv)
	}
	tb.Skipf("ollamatest: %v; skipping (run `make ollama`, or set %s=1 to fail instead)", err, RequireEnv)
	return ""
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
