package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/server/servertest"
)

// TestCLIFindsLocalToken: run from a folder (or below it) where a local
// server keeps .cache/mrswarm.token, the CLI needs no token flag; without
// one it says how to send a token. With --ca-file it talks TLS.
func TestCLIFindsLocalToken(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{TLS: true})
	t.Setenv("MRSWARM_TOKEN", "")
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, ".cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(work, "notebooks")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	code, _, errOut := cli(t, srv.GRPCAddr, "datasets", "--ca-file", srv.CAFile)
	if code == 0 || !strings.Contains(errOut, "Authorization: Bearer") {
		t.Errorf("without a token: exit %d, stderr %q; want a failure saying how to send one", code, errOut)
	}
	if err := os.WriteFile(filepath.Join(work, ".cache", "mrswarm.token"), []byte(srv.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, srv.GRPCAddr, "datasets", "--ca-file", srv.CAFile)
}
