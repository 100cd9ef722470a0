package mrswarm_test

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
	"github.com/mrswarm/mrswarm/server/servertest"
)

// TestTLSAndToken: the client reaches a TLS server through a CA file, with
// the server's token found in the environment; a wrong token is refused.
func TestTLSAndToken(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{TLS: true})
	c, err := mrswarm.Dial(t.Context(), srv.GRPCAddr, mrswarm.WithCAFile(srv.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Datasets(t.Context()); err != nil {
		t.Fatalf("over TLS with the token from $MRSWARM_TOKEN: %v", err)
	}
	wrong, err := mrswarm.Dial(t.Context(), srv.GRPCAddr, mrswarm.WithCAFile(srv.CAFile), mrswarm.WithToken("wrong-token-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	if _, err := wrong.Datasets(t.Context()); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a wrong token: %v, want Unauthenticated", err)
	}
	plain, err := mrswarm.Dial(t.Context(), srv.GRPCAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Datasets(t.Context()); err == nil {
		t.Error("a plain-text client reached a TLS server")
	}
}

// TestFindToken: the environment first, then the token file of a local
// server in the current folder or a parent, never sent to a remote target.
func TestFindToken(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, ".cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, mrswarm.LocalTokenFile), []byte("local-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "notebooks")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	t.Setenv(mrswarm.TokenEnv, "")
	t.Setenv(mrswarm.TokenFileEnv, "")
	if got := mrswarm.FindToken("127.0.0.1:7070"); got != "local-token-0123456789" {
		t.Errorf("local target: %q, want the token file's", got)
	}
	if got := mrswarm.FindToken("mrswarm.example.com:7070"); got != "" {
		t.Errorf("remote target got the local token %q", got)
	}
	t.Setenv(mrswarm.TokenEnv, "env-token-0123456789")
	if got := mrswarm.FindToken("mrswarm.example.com:7070"); got != "env-token-0123456789" {
		t.Errorf("$MRSWARM_TOKEN: %q", got)
	}
}
