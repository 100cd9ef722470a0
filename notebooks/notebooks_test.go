// Package notebooks holds the test that executes every Jupyter notebook in
// this folder top to bottom against a real mrswarm server backed by a real
// Ollama with the tiny test model.
package notebooks

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/server/servertest"
)

// Python is Debian's interpreter, with nbclient, ipykernel and pandas.
const Python = "/usr/bin/python3"

func TestMain(m *testing.M) { ollamatest.Main(m) }

func TestNotebooks(t *testing.T) {
	paths, err := filepath.Glob("*.ipynb")
	if err != nil || len(paths) < 3 {
		t.Fatalf("notebooks: %v (%v)", paths, err)
	}
	if _, err := exec.LookPath(Python); err != nil {
		t.Fatalf("%s not found: run `make python-deps`", Python)
	}
	ollama := ollamatest.Shared(t)
	srv := servertest.Start(t, servertest.Options{Beverage: true, OllamaHost: ollama.Host, Model: ollama.Model})
	client, err := filepath.Abs(filepath.Join("..", "clients", "python"))
	if err != nil {
		t.Fatal(err)
	}
	runner, err := filepath.Abs("run_notebook.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, nb := range paths {
		t.Run(strings.TrimSuffix(nb, ".ipynb"), func(t *testing.T) {
			abs, err := filepath.Abs(nb)
			if err != nil {
				t.Fatal(err)
			}
			work := t.TempDir()
			out := filepath.Join(work, "out")
			cmd := exec.CommandContext(t.Context(), Python, runner, "--out", out, abs)
			cmd.Dir = work
			cmd.Env = append(os.Environ(),
				"MRSWARM_URL="+srv.URL,
				"MRSWARM_PY_CLIENT="+client,
				"MRSWARM_DATA_FILE="+servertest.BeverageFile,
				"MPLBACKEND=Agg",
				"JUPYTER_RUNTIME_DIR="+filepath.Join(work, "runtime"),
				"IPYTHONDIR="+filepath.Join(work, "ipython"),
				"MPLCONFIGDIR="+filepath.Join(work, "mpl"),
				"PYDEVD_DISABLE_FILE_VALIDATION=1",
				"PYTHONDONTWRITEBYTECODE=1",
			)
			log, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s failed: %v\n%s", nb, err, log)
			}
			t.Logf("%s", log)
			checkExecuted(t, filepath.Join(out, nb))
		})
	}
}

// checkExecuted fails unless path is a notebook whose every code cell ran.
func checkExecuted(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the executed notebook was not saved: %v", err)
	}
	var nb struct {
		Cells []struct {
			CellType       string `json:"cell_type"`
			ExecutionCount *int   `json:"execution_count"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for i, c := range nb.Cells {
		if c.CellType == "code" && c.ExecutionCount == nil {
			t.Errorf("%s: code cell %d has no execution count", path, i)
		}
	}
}

// TestRunNotebookOut runs the headless runner on a one-cell notebook with
// --out: the executed notebook is saved there with its output, and the
// notebook sees the folder as MRSWARM_NOTEBOOK_OUT (where plots go).
func TestRunNotebookOut(t *testing.T) {
	if err := exec.Command(Python, "-c", "import nbclient, ipykernel").Run(); err != nil {
		if os.Getenv("MRSWARM_REQUIRE_OLLAMA") == "1" {
			t.Fatalf("%s with nbclient and ipykernel is missing (make python-deps): %v", Python, err)
		}
		t.Skipf("%s with nbclient and ipykernel is missing (make python-deps): %v", Python, err)
	}
	work := t.TempDir()
	nb := `{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
	  "source": ["import os\n", "print('out:', os.environ['MRSWARM_NOTEBOOK_OUT'])"]}],
	  "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
	  "nbformat": 4, "nbformat_minor": 5}`
	src := filepath.Join(work, "one.ipynb")
	if err := os.WriteFile(src, []byte(nb), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "out")
	cmd := exec.CommandContext(t.Context(), Python, "run_notebook.py", "--out", out, src)
	cmd.Env = append(os.Environ(), "MRSWARM_NOTEBOOK_OUT=", "JUPYTER_RUNTIME_DIR="+filepath.Join(work, "runtime"),
		"IPYTHONDIR="+filepath.Join(work, "ipython"), "PYTHONDONTWRITEBYTECODE=1")
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run_notebook.py: %v\n%s", err, log)
	}
	checkExecuted(t, filepath.Join(out, "one.ipynb"))
	saved, err := os.ReadFile(filepath.Join(out, "one.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "out: " + out; !strings.Contains(string(saved), want) {
		t.Errorf("the saved notebook lacks the output %q:\n%s", want, saved)
	}
	orig, _ := os.ReadFile(src)
	if string(orig) != nb {
		t.Error("the source notebook was changed")
	}
}
