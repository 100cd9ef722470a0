// Package ollamaproc runs a private `ollama serve` with mrswarm's tiny model:
// it finds the pinned binary, starts the server on a free loopback port with
// its own model directory, waits until it answers, creates the models and
// stops the server and its runners again.
//
// Tests use it through internal/ollamatest; the mrswarm command uses it when
// the user has no Ollama of their own. A user's own Ollama needs none of
// this: point mrswarm at its address and model.
//
// It needs a Unix system: the server runs in its own process group so that
// stopping it also stops its runners. On Linux the server also gets SIGTERM
// when the process that launched it dies.
package ollamaproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Sentinel errors of Launch.
var (
	// ErrNoBinary: no ollama binary was found; `make ollama` installs one.
	ErrNoBinary = errors.New("ollamaproc: ollama binary not found (install it with `make ollama`)")
	// ErrExited: the server exited before it became ready.
	ErrExited = errors.New("ollamaproc: ollama serve exited")
)

// Default model names created by [Launch].
const (
	DefaultModel      = "mrswarm-tiny"
	DefaultToolsModel = "mrswarm-tiny-tools"
)

// Config says how to run the server. The zero value is usable.
type Config struct {
	// Bin is the ollama binary; empty means [FindBinary].
	Bin string
	// Addr is the host:port to listen on; empty means a free loopback port.
	Addr string
	// ModelsDir is OLLAMA_MODELS; empty means a temporary directory that
	// [Process.Stop] removes.
	ModelsDir string
	// Home is HOME for the server and the CLI (Ollama writes its key pair
	// under it); empty keeps the caller's.
	Home string
	// NumParallel is OLLAMA_NUM_PARALLEL; 0 means 2.
	NumParallel int
	// KeepAlive is OLLAMA_KEEP_ALIVE; empty means "10m".
	KeepAlive string
	// Model and ToolsModel name the tiny models to create: the first with a
	// plain template, the second with one that supports native tool calls.
	// Empty means DefaultModel and DefaultToolsModel; "-" skips one.
	Model, ToolsModel string
	// Seed generates the tiny model's weights.
	Seed int64
	// Log receives the server's output; nil discards it. An *os.File avoids
	// a copying goroutine.
	Log io.Writer
	// Env adds NAME=value entries to the server's environment.
	Env []string
	// ReadyTimeout bounds the wait for the server to answer; 0 means 60s.
	ReadyTimeout time.Duration
}

// Process is a running `ollama serve`.
type Process struct {
	// Host is the base URL, e.g. "http://127.0.0.1:41234".
	Host string
	// Addr is host:port, the form OLLAMA_HOST takes.
	Addr string
	// Bin is the binary that runs.
	Bin string
	// Model and ToolsModel are the created models ("" when skipped).
	Model, ToolsModel string

	cfg     Config
	temp    []string // directories Stop removes
	stop    sync.Once
	stopErr error

	mu       sync.Mutex // guards cur and stopping
	cur      *child     // the server process now (a restart replaces it)
	stopping bool       // Stop was called: no more restarts
}

// child is one started `ollama serve`.
type child struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd.Wait returned
	waitErr error         // set before exited is closed
}

// Launch starts `ollama serve` on cfg.Addr or a free loopback port, waits
// until it answers and creates the tiny models. On error nothing is left
// running.
func Launch(ctx context.Context, cfg Config) (*Process, error) {
	cfg = withDefaults(cfg)
	if cfg.Bin == "" {
		bin, err := FindBinary()
		if err != nil {
			return nil, err
		}
		cfg.Bin = bin
	}
	p := &Process{Bin: cfg.Bin, cfg: cfg}
	if err := p.serve(ctx); err != nil {
		p.Stop()
		return nil, err
	}
	if err := p.createModels(ctx); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func withDefaults(cfg Config) Config {
	if cfg.NumParallel == 0 {
		cfg.NumParallel = 2
	}
	if cfg.KeepAlive == "" {
		cfg.KeepAlive = "10m"
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.ToolsModel == "" {
		cfg.ToolsModel = DefaultToolsModel
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 60 * time.Second
	}
	return cfg
}

// serve starts the server, retrying with a new port when another process
// took the free port first (only when no address was configured).
func (p *Process) serve(ctx context.Context) error {
	if p.cfg.ModelsDir == "" {
		dir, err := os.MkdirTemp("", "mrswarm-ollama-models-")
		if err != nil {
			return fmt.Errorf("ollamaproc: models dir: %w", err)
		}
		p.cfg.ModelsDir = dir
		p.temp = append(p.temp, dir)
	}
	var err error
	for range 3 {
		var c *child
		p.mu.Lock()
		c, err = p.start()
		p.mu.Unlock()
		if err != nil {
			return err
		}
		if err = p.waitReady(ctx, c); !errors.Is(err, ErrExited) || p.cfg.Addr != "" {
			return err
		}
	}
	return err
}

// current is the server process now.
func (p *Process) current() *child {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// Pid is the server's process id, also the id of its process group.
func (p *Process) Pid() int { return p.current().cmd.Process.Pid }

// Done is closed when the current server process has exited.
func (p *Process) Done() <-chan struct{} { return p.current().exited }

// Stop stops the server: SIGTERM to its process group (the server and its
// runners), then SIGKILL after five seconds. It removes the temporary
// directories Launch made. Stop is idempotent and safe to call concurrently.
func (p *Process) Stop() error {
	p.stop.Do(func() {
		p.mu.Lock()
		p.stopping = true
		c := p.cur
		p.mu.Unlock()
		if c != nil {
			p.stopErr = c.terminate(5 * time.Second)
		}
		for _, dir := range p.temp {
			if err := os.RemoveAll(dir); err != nil && p.stopErr == nil {
				p.stopErr = err
			}
		}
	})
	return p.stopErr
}

func (c *child) terminate(grace time.Duration) error {
	pgid := c.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-c.exited
	}
	return c.killGroup()
}

// killGroup kills what is left of the process group: runners of a server
// that was killed share its group and would otherwise run on as orphans.
func (c *child) killGroup() error {
	pgid := c.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("ollamaproc: kill process group %d: %w", pgid, err)
	}
	return nil
}

// environ returns the caller's environment without OLLAMA_* variables (and
// HOME when cfg.Home is set), plus extra.
func environ(cfg Config, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OLLAMA_") || (cfg.Home != "" && strings.HasPrefix(kv, "HOME=")) {
			continue
		}
		env = append(env, kv)
	}
	if cfg.Home != "" {
		env = append(env, "HOME="+cfg.Home)
	}
	return append(env, extra...)
}
