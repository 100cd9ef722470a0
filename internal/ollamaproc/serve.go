package ollamaproc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"time"
)

// start runs `ollama serve` in its own process group and makes it the
// current process. The caller holds p.mu.
func (p *Process) start() (*child, error) {
	addr, err := p.listenAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.Bin, "serve")
	cmd.Env = environ(p.cfg,
		"OLLAMA_HOST="+addr,
		"OLLAMA_MODELS="+p.cfg.ModelsDir,
		"OLLAMA_NUM_PARALLEL="+strconv.Itoa(p.cfg.NumParallel),
		"OLLAMA_KEEP_ALIVE="+p.cfg.KeepAlive,
		"OLLAMA_NOPRUNE=1",
	)
	cmd.Env = append(cmd.Env, p.cfg.Env...)
	cmd.Stdout, cmd.Stderr = p.cfg.Log, p.cfg.Log
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ollamaproc: start %s serve: %w", p.Bin, err)
	}
	if p.Addr != addr {
		p.Addr, p.Host = addr, "http://"+addr
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	p.cur = c
	return c, nil
}

// waitReady polls the server c until it answers, it exits (wrapping
// [ErrExited]), ctx ends or the ready timeout passes.
func (p *Process) waitReady(ctx context.Context, c *child) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ReadyTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if p.answers(ctx) {
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("%w on %s: %v", ErrExited, p.Addr, c.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("ollamaproc: wait for ollama on %s: %w", p.Addr, ctx.Err())
		case <-tick.C:
		}
	}
}

// answers reports whether GET /api/version succeeds.
func (p *Process) answers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Host+"/api/version", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// listenAddr returns the configured address after checking that it is free
// (otherwise another server there would pass the readiness check), or a
// free loopback address.
func (p *Process) listenAddr() (string, error) {
	if p.cfg.Addr == "" {
		return freeAddr()
	}
	l, err := net.Listen("tcp", p.cfg.Addr)
	if err != nil {
		return "", fmt.Errorf("ollamaproc: %w", err)
	}
	l.Close()
	return p.cfg.Addr, nil
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("ollamaproc: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
