package ollamatest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestStartServesTinyModels(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.Host, "http://127.0.0.1:") {
		t.Errorf("Host = %q, want a loopback URL", s.Host)
	}
	var tags struct {
		Models []struct{ Name string } `json:"models"`
	}
	getJSON(t, s.Host+"/api/tags", &tags)
	var names []string
	for _, m := range tags.Models {
		names = append(names, m.Name)
	}
	for _, want := range []string{s.Model + ":latest", s.ToolsModel + ":latest"} {
		if !slices.Contains(names, want) {
			t.Errorf("models %v lack %q", names, want)
		}
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	s := Start(t)
	// A chat loads the model into a runner: a child of the server.
	resp, err := http.Post(s.Host+"/api/chat", "application/json", strings.NewReader(
		`{"model":"`+s.Model+`","stream":false,"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":4}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %s", resp.Status)
	}
	pgid := s.proc.Pid()
	s.Stop()
	s.Stop() // idempotent
	select {
	case <-s.Done():
	default:
		t.Fatal("server still running after Stop")
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d after Stop: kill 0 = %v, want ESRCH", pgid, err)
	}
	if _, err := http.Get(s.Host + "/api/version"); err == nil {
		t.Error("server still answers after Stop")
	}
}

func TestSharedIsStartedOnce(t *testing.T) {
	a, b := Shared(t), Shared(t)
	if a != b {
		t.Fatalf("Shared returned two servers: %s and %s", a.Host, b.Host)
	}
	var v struct{ Version string }
	getJSON(t, a.Host+"/api/version", &v)
}

func TestMissingBinary(t *testing.T) {
	tests := []struct {
		name     string
		require  string
		wantSkip bool
	}{
		{"skips by default", "", true},
		{"fails when required", "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("MRSWARM_OLLAMA_BIN", t.TempDir()+"/no-such-ollama")
			t.Setenv(RequireEnv, tt.require)
			r := &recorder{TB: t}
			r.run(func() { Start(r) })
			if r.skipped != tt.wantSkip || r.failed == tt.wantSkip {
				t.Fatalf("skipped=%v failed=%v, want skipped=%v", r.skipped, r.failed, tt.wantSkip)
			}
			if !strings.Contains(r.msg, "make ollama") {
				t.Errorf("message %q does not say how to install", r.msg)
			}
		})
	}
}

// recorder records Fatalf and Skipf instead of ending the real test.
type recorder struct {
	testing.TB
	failed, skipped bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recorder) Skip(args ...any)  { r.Skipf("%s", fmt.Sprint(args...)) }

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f in its own goroutine so Goexit ends only f.
func (r *recorder) run(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// Without Main nothing would stop the shared server: Shared refuses.
func TestSharedNeedsMain(t *testing.T) {
	shared.mu.Lock()
	saved := shared.main
	shared.main = false
	shared.mu.Unlock()
	defer func() {
		shared.mu.Lock()
		shared.main = saved
		shared.mu.Unlock()
	}()
	r := &recorder{TB: t}
	r.run(func() { Shared(r) })
	if r.skipped {
		t.Skip(r.msg) // no binary
	}
	if !r.failed || !strings.Contains(r.msg, "ollamatest.Main") {
		t.Errorf("failed=%v msg=%q, want a failure naming ollamatest.Main", r.failed, r.msg)
	}
}

// BenchmarkStart measures a private server's start: serve, readiness and
// creating both tiny models.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s := Start(b)
		s.Stop()
	}
}
