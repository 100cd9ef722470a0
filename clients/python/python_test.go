// Package python holds the Go harness that runs the Python client's unit
// tests (test_mrswarm_client.py) against a real in-process mrswarm server.
package python

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mrswarm/mrswarm/pipeline/llm/llmtest"
	"github.com/mrswarm/mrswarm/server/servertest"
)

// Python is Debian's interpreter, the one with pandas and requests.
const Python = "/usr/bin/python3"

func TestPythonClient(t *testing.T) {
	if _, err := exec.LookPath(Python); err != nil {
		t.Fatalf("%s not found: run `make python-deps`", Python)
	}
	srv := servertest.Start(t, servertest.Options{Beverage: true, LLM: llmtest.Blocking{}, Model: "scripted"})
	cmd := exec.CommandContext(t.Context(), Python, "-m", "unittest", "-v", "test_mrswarm_client")
	cmd.Env = append(os.Environ(),
		"MRSWARM_URL="+srv.URL,
		"MRSWARM_DATA_FILE="+servertest.BeverageFile,
		"MRSWARM_LOCAL_CSV="+filepath.Join(srv.DataRoot, servertest.BeverageFile),
		"PYTHONDONTWRITEBYTECODE=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("python3 -m unittest:\n%s", out)
	if err != nil {
		t.Fatal(fmt.Errorf("python unit tests failed: %w", err))
	}
}
