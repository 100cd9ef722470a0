// Package python holds the Go harness that runs the Python client's unit
// tests (test_mrswarm_client.py) against a real in-process mrswarm server.
package python

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mrswarm/mrswarm/clients/llm"
	"github.com/mrswarm/mrswarm/clients/mrswarm/mrswarmtest"
)

// Python is Debian's interpreter, the one with pandas and requests.
const Python = "/usr/bin/python3"

// waitingLLM holds every chat until its context ends (a cancel or the
// server's shutdown), so agent steps stay running until the test cancels.
type waitingLLM struct{}

func (waitingLLM) Chat(ctx context.Context, _ llm.Request) (llm.Response, error) {
	<-ctx.Done()
	return llm.Response{}, ctx.Err()
}

func (waitingLLM) Capabilities(context.Context, string) ([]string, error) {
	return []string{"completion"}, nil
}

func TestPythonClient(t *testing.T) {
	if _, err := exec.LookPath(Python); err != nil {
		t.Fatalf("%s not found: run `make python-deps`", Python)
	}
	srv := mrswarmtest.Start(t, mrswarmtest.Options{Beverage: true, LLM: waitingLLM{}, Model: "scripted"})
	cmd := exec.CommandContext(t.Context(), Python, "-m", "unittest", "-v", "test_mrswarm_client")
	cmd.Env = append(os.Environ(),
		"MRSWARM_URL="+srv.URL,
		"MRSWARM_DATA_FILE="+mrswarmtest.BeverageFile,
		"MRSWARM_LOCAL_CSV="+filepath.Join(srv.DataRoot, mrswarmtest.BeverageFile),
		"PYTHONDONTWRITEBYTECODE=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("python3 -m unittest:\n%s", out)
	if err != nil {
		t.Fatal(fmt.Errorf("python unit tests failed: %w", err))
	}
}
