package ollamaproc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/repo"
)

func TestFindBinaryFromEnv(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "ollama")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     string
		want    string
		wantErr error
	}{
		{"executable", exe, exe, nil},
		{"not executable", plain, "", ErrNoBinary},
		{"missing", filepath.Join(dir, "none"), "", ErrNoBinary},
		{"directory", dir, "", ErrNoBinary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(BinEnv, tt.env)
			got, err := FindBinary()
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("FindBinary() = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFindBinaryFallsBackToModuleTools(t *testing.T) {
	t.Setenv(BinEnv, "")
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(root, ".tools", "bin", "ollama")
	if !isExecutable(local) {
		t.Skipf("%s not installed (make ollama)", local)
	}
	if got, err := FindBinary(); got != local || err != nil {
		t.Errorf("FindBinary() = %q, %v; want %q", got, err, local)
	}
}

func TestLaunchReportsServerThatExits(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "ollama")
	// A "server" that dies at once, as ollama does when its port is taken.
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho bind: address already in use >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Launch(t.Context(), Config{Bin: fake, ModelsDir: dir, ReadyTimeout: 10 * time.Second})
	if !errors.Is(err, ErrExited) {
		t.Fatalf("Launch = %v, want ErrExited", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:") {
		t.Errorf("error %q does not name the address", err)
	}
}

func TestLaunchMissingBinary(t *testing.T) {
	_, err := Launch(t.Context(), Config{Bin: filepath.Join(t.TempDir(), "none")})
	if err == nil {
		t.Fatal("Launch with a missing binary succeeded")
	}
}

func TestEnvironHidesCallersOllamaSettings(t *testing.T) {
	t.Setenv("OLLAMA_HOST", "10.0.0.1:1")
	t.Setenv("OLLAMA_MODELS", "/elsewhere")
	env := environ(Config{Home: "/tmp/h"}, "OLLAMA_HOST=127.0.0.1:5")
	var got []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "OLLAMA_") || strings.HasPrefix(kv, "HOME=") {
			got = append(got, kv)
		}
	}
	want := "HOME=/tmp/h OLLAMA_HOST=127.0.0.1:5"
	if strings.Join(got, " ") != want {
		t.Errorf("environment %v, want %s", got, want)
	}
}

// realBinary returns the ollama binary, skipping t without one unless
// MRSWARM_REQUIRE_OLLAMA=1.
func realBinary(t *testing.T) string {
	bin, err := FindBinary()
	if err != nil {
		if os.Getenv("MRSWARM_REQUIRE_OLLAMA") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return bin
}

func TestLaunchOnGivenAddr(t *testing.T) {
	bin := realBinary(t)
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := Launch(t.Context(), Config{Bin: bin, Addr: addr, ModelsDir: dir, Home: dir, Model: "-", ToolsModel: "-"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if p.Host != "http://"+addr || p.Model != "" || p.ToolsModel != "" {
		t.Errorf("Host %q Model %q ToolsModel %q; want http://%s and no models", p.Host, p.Model, p.ToolsModel, addr)
	}
	// A second server cannot take the same address, and the first one
	// answering there must not pass for it.
	p2, err := Launch(t.Context(), Config{Bin: bin, Addr: addr, ModelsDir: t.TempDir(), Home: dir, Model: "-", ToolsModel: "-"})
	if err == nil {
		p2.Stop()
		t.Fatalf("second Launch on %s succeeded", addr)
	}
	if !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("second Launch on %s: err = %v, want address already in use", addr, err)
	}
}
