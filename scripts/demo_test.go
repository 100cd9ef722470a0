// Package scripts holds the tests of the repository's shell scripts.
package scripts

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/repo"
)

// demo runs scripts/demo.sh with mode in its own state folder and addresses. The
// server's Ollama is an address nobody listens on: loading data works without one.
type demo struct {
	root, bin, dir string
	grpc, http     string
}

func newDemo(t *testing.T, bin string) *demo {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	d := &demo{root: root, bin: bin, dir: t.TempDir(), grpc: freeAddr(t), http: freeAddr(t)}
	t.Cleanup(func() { d.kill(t) })
	return d
}

func (d *demo) run(t *testing.T, mode string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(d.root, "scripts", "demo.sh"), mode)
	cmd.Env = append(os.Environ(), "MRSWARM_BIN="+d.bin, "MRSWARM_DEMO_DIR="+d.dir, "MRSWARM_DEMO_ROWS=200",
		"MRSWARM_GRPC_ADDR="+d.grpc, "MRSWARM_HTTP_ADDR="+d.http,
		"MRSWARM_OLLAMA_HOST=http://"+freeAddr(t), "MRSWARM_MODEL=none",
		"MRSWARM_DB="+filepath.Join(d.dir, "mrswarm.duckdb"), "MRSWARM_DATA_ROOT="+filepath.Join(d.dir, "data"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// pid is the server's pid from its pid file, 0 without one.
func (d *demo) pid() int {
	b, err := os.ReadFile(filepath.Join(d.dir, "server.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// kill stops a server the test left running.
func (d *demo) kill(t *testing.T) {
	if pid := d.pid(); alive(pid) {
		t.Logf("killing demo server %d", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func (d *demo) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// alive reports whether process pid runs (a zombie, never reaped after it exited
// because the script that started it is gone, does not count).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return rest != "" && rest[0] != 'Z'
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func buildMrswarm(t *testing.T) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "mrswarm")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/mrswarm")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDemoRefusesASecondServer runs the demo's server, then starts the demo
// again: it must fail, say what to do, and leave the running server and its
// log alone; a demo on addresses another program holds fails the same way.
func TestDemoRefusesASecondServer(t *testing.T) {
	bin := buildMrswarm(t)
	d := newDemo(t, bin)
	if out, err := d.run(t, "serve"); err != nil {
		t.Fatalf("demo.sh serve: %v\n%s", err, out)
	}
	pid, log := d.pid(), d.log(t)
	if !alive(pid) {
		t.Fatalf("no running server recorded (pid %d); log:\n%s", pid, log)
	}

	for _, mode := range []string{"run", "serve"} {
		out, err := d.run(t, mode)
		if err == nil {
			t.Fatalf("demo.sh %s with the demo server running succeeded:\n%s", mode, out)
		}
		for _, want := range []string{"already running", "pid " + strconv.Itoa(pid), d.grpc, "make stop"} {
			if !strings.Contains(out, want) {
				t.Errorf("demo.sh %s says %q, want it to mention %q", mode, out, want)
			}
		}
	}
	if !alive(pid) {
		t.Error("the first server died")
	}
	if got := d.log(t); !strings.HasPrefix(got, log) {
		t.Errorf("the first server's log was rewritten:\nbefore:\n%s\nafter:\n%s", log, got)
	}

	other := newDemo(t, bin) // its own state, the first server's HTTP address
	other.http = d.http
	out, err := other.run(t, "run")
	if err == nil || !strings.Contains(out, d.http+" is already in use by another program") {
		t.Errorf("demo on a taken address: err %v, output:\n%s", err, out)
	}

	if out, err := d.run(t, "stop"); err != nil || !strings.Contains(out, "stopped") {
		t.Fatalf("demo.sh stop: %v\n%s", err, out)
	}
	if alive(pid) {
		t.Errorf("server %d still runs after stop", pid)
	}
	if out, err := d.run(t, "stop"); err != nil || !strings.Contains(out, "no demo server") {
		t.Errorf("second demo.sh stop: %v\n%s", err, out)
	}
	if !bytes.Contains([]byte(d.log(t)), []byte("====")) {
		t.Error("log has no start marker")
	}
}
