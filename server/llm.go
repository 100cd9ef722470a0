package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mrswarm/mrswarm/internal/ollamaproc"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/ollama"
)

// newLLM returns cfg.LLM or a client of the configured Ollama. An Ollama that
// does not answer is only a warning: datasets, SQL and tools work without it,
// and agent steps fail with Unavailable until it is up.
func newLLM(ctx context.Context, cfg Config) (llm.Client, error) {
	if cfg.LLM != nil {
		return cfg.LLM, nil
	}
	c, err := ollama.New(ollama.Config{Host: cfg.OllamaHost, Model: cfg.Model,
		KeepAlive: cfg.KeepAlive, Timeout: cfg.LLMTimeout})
	if err != nil {
		return nil, fmt.Errorf("ollama client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		cfg.Logger.Warn("ollama does not answer; agent steps will fail until it does", "host", cfg.OllamaHost, "error", err)
	}
	return c, nil
}

// startManagedOllama starts the pinned Ollama with the tiny generated models,
// points cfg at it and returns the function that stops it. Its output goes to
// ollama.log beside the database (nowhere for an in-memory database).
func startManagedOllama(ctx context.Context, cfg *Config) (stop func(), err error) {
	pc := ollamaproc.Config{NumParallel: cfg.MaxParallel}
	if cfg.DBPath != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.DBPath), 0o755); err != nil {
			return nil, err
		}
		logFile, err := os.Create(filepath.Join(filepath.Dir(cfg.DBPath), "ollama.log"))
		if err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				logFile.Close()
			}
		}()
		pc.Log = logFile
	}
	p, err := ollamaproc.Launch(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("managed ollama: %w", err)
	}
	cfg.OllamaHost, cfg.Model = p.Host, p.Model
	cfg.LLMOptions = TinyModelOptions(cfg.LLMOptions)
	cfg.Logger.Info("managed ollama started", "host", p.Host, "model", p.Model, "tools_model", p.ToolsModel, "bin", p.Bin)
	return func() {
		if err := p.Stop(); err != nil {
			cfg.Logger.Error("stop managed ollama", "error", err)
		}
		if f, ok := pc.Log.(*os.File); ok {
			f.Close()
		}
	}, nil
}

// TinyModelOptions fills the unset fields of o with what the tiny generated
// model needs to finish schema-bounded answers: room in the context (8192) and
// the answer (4096), and deterministic sampling (temperature 0, seed 42).
// --managed-ollama applies it; tests against ollamatest should too.
func TinyModelOptions(o llm.Options) llm.Options {
	numCtx, numPredict, temperature, seed := 8192, 4096, 0.0, 42
	if o.NumCtx == nil {
		o.NumCtx = &numCtx
	}
	if o.NumPredict == nil {
		o.NumPredict = &numPredict
	}
	if o.Temperature == nil {
		o.Temperature = &temperature
	}
	if o.Seed == nil {
		o.Seed = &seed
	}
	return o
}
