// Package python holds the Go harness that runs the Python client's unit
// tests (test_mrswarm_client.py) against a real in-process mrswarm server.
package python

import (
	"encoding/json"
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

// tlsScript uses the client against an https server with the CA file and
// the token from the environment, then with a wrong token.
const tlsScript = `
import json, sys
sys.path.insert(0, sys.argv[1])
from mrswarm_client import Client, MrswarmError
c = Client(sys.argv[2], ca_file=sys.argv[3])
out = {"answer": c.sql("SELECT 42 AS answer")["result"]["head"]}
try:
    Client(sys.argv[2], ca_file=sys.argv[3], token="wrong-token-0123456789").datasets()
except MrswarmError as e:
    out["wrong token"] = [e.code, e.http_status]
print(json.dumps(out))
`

// TestPythonClientTLS runs the Python client over TLS with a certificate the
// test generates, the token coming from $MRSWARM_TOKEN.
func TestPythonClientTLS(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{TLS: true})
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "tls.py")
	if err := os.WriteFile(script, []byte(tlsScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), Python, script, dir, srv.URL, srv.CAFile).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var got struct {
		Answer     [][]any `json:"answer"`
		WrongToken []any   `json:"wrong token"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python printed %s: %v", out, err)
	}
	if len(got.Answer) != 1 || fmt.Sprint(got.Answer[0][0]) != "42" {
		t.Errorf("SELECT 42 over TLS: %s", out)
	}
	if len(got.WrongToken) != 2 || got.WrongToken[0] != "UNAUTHENTICATED" || got.WrongToken[1] != float64(401) {
		t.Errorf("a wrong token: %s, want UNAUTHENTICATED 401", out)
	}
}
