package ollamaproc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mrswarm/mrswarm/internal/tinymodel"
)

// createModels writes the tiny model and creates the configured models from it.
func (p *Process) createModels(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "mrswarm-tinymodel-")
	if err != nil {
		return fmt.Errorf("ollamaproc: %w", err)
	}
	defer os.RemoveAll(dir) // the server keeps its own copy of the blob
	gguf, err := tinymodel.Write(dir, p.cfg.Seed)
	if err != nil {
		return err
	}
	models := []struct {
		name, modelfile string
		field           *string
	}{
		{p.cfg.Model, tinymodel.Modelfile(gguf), &p.Model},
		{p.cfg.ToolsModel, tinymodel.ToolsModelfile(gguf), &p.ToolsModel},
	}
	for _, m := range models {
		if m.name == "-" {
			continue
		}
		if err := p.CreateModel(ctx, m.name, m.modelfile); err != nil {
			return err
		}
		*m.field = m.name
	}
	return nil
}

// CreateModel runs `ollama create name -f Modelfile` against the server.
func (p *Process) CreateModel(ctx context.Context, name, modelfile string) error {
	dir, err := os.MkdirTemp("", "mrswarm-modelfile-")
	if err != nil {
		return fmt.Errorf("ollamaproc: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "Modelfile")
	if err := os.WriteFile(path, []byte(modelfile), 0o644); err != nil {
		return fmt.Errorf("ollamaproc: %w", err)
	}
	cmd := exec.CommandContext(ctx, p.Bin, "create", name, "-f", path)
	cmd.Env = environ(p.cfg, "OLLAMA_HOST="+p.Addr)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ollamaproc: ollama create %s: %w: %s", name, err, lastLine(out))
	}
	return nil
}

// lastLine returns the last non-empty line of CLI output, without the
// terminal control sequences of Ollama's progress display.
func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	line := lines[len(lines)-1]
	if i := strings.LastIndex(line, "\r"); i >= 0 {
		line = line[i+1:]
	}
	return strings.TrimSpace(line)
}
