package profiling

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartProfileWritesTheFile(t *testing.T) {
	tests := []struct{ mode, file string }{
		{"cpu", "cpu.pprof"},
		{"mem", "mem.pprof"},
		{"block", "block.pprof"},
		{"mutex", "mutex.pprof"},
		{"goroutine", "goroutine.pprof"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "profiles") // created by StartProfile
			stop, err := StartProfile(tt.mode, dir)
			if err != nil {
				t.Fatal(err)
			}
			work := 0
			for i := range 200000 {
				work += i % 7
			}
			_ = work
			stop()
			stop() // a second stop is a no-op
			st, err := os.Stat(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatalf("profile not written: %v", err)
			}
			if st.Size() == 0 {
				t.Errorf("%s is empty", tt.file)
			}
		})
	}
}

func TestStartProfileOff(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	stop, err := StartProfile("", dir)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mode off created %s (stat err %v)", dir, err)
	}
}

func TestStartProfileErrors(t *testing.T) {
	if _, err := StartProfile("heap-ish", t.TempDir()); !errors.Is(err, ErrMode) {
		t.Errorf("unknown mode: err = %v, want ErrMode", err)
	}
	stop, err := StartProfile("block", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StartProfile("cpu", t.TempDir()); !errors.Is(err, ErrRunning) {
		t.Errorf("second profile: err = %v, want ErrRunning", err)
	}
	stop()
	stop2, err := StartProfile("cpu", t.TempDir())
	if err != nil {
		t.Fatalf("profile after stop: %v", err)
	}
	stop2()
}

func TestAdminHandler(t *testing.T) {
	srv := httptest.NewServer(AdminHandler())
	defer srv.Close()
	tests := []struct {
		path     string
		code     int
		contains string
	}{
		{"/debug/pprof/", http.StatusOK, "goroutine"},
		{"/debug/pprof/heap?debug=1", http.StatusOK, "heap profile"},
		{"/debug/pprof/cmdline", http.StatusOK, ""},
		{"/metrics", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := srv.Client().Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.code {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.code)
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
		})
	}
}

func TestServeAdmin(t *testing.T) {
	addr, stop, err := ServeAdmin("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Errorf("status %d, body %.80q", resp.StatusCode, body)
	}
	stop()
	stop()
	if _, err := http.Get("http://" + addr + "/debug/pprof/"); err == nil {
		t.Error("the admin server still answers after stop")
	}
	if _, _, err := ServeAdmin("256.0.0.1:0", nil); err == nil {
		t.Error("a bad address gave no error")
	}
}
