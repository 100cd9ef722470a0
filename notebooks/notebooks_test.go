// Package notebooks holds the test that executes every Jupyter notebook in
// this folder top to bottom against a real mrswarm server backed by a real
// Ollama with the tiny test model.
package notebooks

import (
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
			cmd := exec.CommandContext(t.Context(), Python, runner, abs)
			cmd.Dir = work
			cmd.Env = append(os.Environ(),
				"MRSWARM_URL="+srv.URL,
				"MRSWARM_PY_CLIENT="+client,
				"MRSWARM_DATA_FILE="+servertest.BeverageFile,
				"MRSWARM_NOTEBOOK_OUT="+work,
				"MPLBACKEND=Agg",
				"JUPYTER_RUNTIME_DIR="+filepath.Join(work, "runtime"),
				"IPYTHONDIR="+filepath.Join(work, "ipython"),
				"MPLCONFIGDIR="+filepath.Join(work, "mpl"),
				"PYDEVD_DISABLE_FILE_VALIDATION=1",
				"PYTHONDONTWRITEBYTECODE=1",
			)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s failed: %v\n%s", nb, err, out)
			}
			t.Logf("%s", out)
		})
	}
}
