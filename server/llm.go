package server

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mrswarm/mrswarm/internal/ollamaproc"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/ollama"
	"github.com/mrswarm/mrswarm/pipeline/llm/openai"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
)

// newLLM returns cfg.LLM (and no pool), or the pool of cfg's LLM hosts: the
// --llm hosts, else cfg.OllamaHost alone. Hosts that do not answer are only
// a warning: datasets, SQL and tools work without them, and agent steps
// fail with Unavailable until one is up.
func newLLM(ctx context.Context, cfg Config, observe func(pool.Call)) (llm.Client, *pool.Pool, error) {
	if cfg.LLM != nil {
		return cfg.LLM, nil, nil
	}
	hosts, err := llmHosts(cfg)
	if err != nil {
		return nil, nil, err
	}
	p, err := pool.New(hosts, pool.Config{Model: cfg.Model, Adaptive: true, Observe: observe, Logger: cfg.Logger})
	if err != nil {
		return nil, nil, fmt.Errorf("llm pool: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := p.Discover(ctx); err != nil {
		cfg.Logger.Warn("no LLM host answers; agent steps will fail until one does", "error", err)
	}
	for _, h := range p.Hosts() {
		cfg.Logger.Info("llm host", "host", h.Host, "kind", h.Kind, "state", h.State, "limit", h.Limit, "models", len(h.Models))
	}
	return p, p, nil
}

// llmHosts builds a backend per LLM host. The single Ollama host of
// --ollama-host (or --managed-ollama) runs --max-parallel calls at once.
func llmHosts(cfg Config) ([]pool.Host, error) {
	specs := cfg.LLMHosts
	if len(specs) == 0 {
		limit := cfg.MaxParallel
		if limit == 0 {
			limit = DefaultMaxParallel
		}
		specs = []pool.Spec{{Kind: pool.KindOllama, URL: cfg.OllamaHost, Limit: limit}}
	}
	hosts := make([]pool.Host, 0, len(specs))
	for _, s := range specs {
		b, err := backend(cfg, s)
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, pool.Host{Backend: b, Kind: s.Kind, Limit: s.Limit, Weight: s.Weight})
	}
	return hosts, nil
}

// backend builds the client of one host.
func backend(cfg Config, s pool.Spec) (pool.Backend, error) {
	if s.Kind == pool.KindOpenAI {
		c, err := openai.New(openai.Config{BaseURL: s.URL, Model: cfg.Model, NativeTools: s.Tools, Timeout: cfg.LLMTimeout})
		if err != nil {
			return nil, fmt.Errorf("llm host: %w", err)
		}
		return c, nil
	}
	c, err := ollama.New(ollama.Config{Host: s.URL, Model: cfg.Model, KeepAlive: cfg.KeepAlive, Timeout: cfg.LLMTimeout})
	if err != nil {
		return nil, fmt.Errorf("llm host: %w", err)
	}
	return c, nil
}

// startManagedOllama starts the pinned Ollama with the tiny generated models,
// points cfg at it and returns the function that stops it. Its output goes to
// ollama.log beside the database (nowhere for an in-memory database).
func startManagedOllama(ctx context.Context, cfg *Config) (stop func(), err error) {
	pc := ollamaproc.Config{NumParallel: cmp.Or(cfg.MaxParallel, DefaultMaxParallel)}
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
	log := cfg.Logger
	go p.Supervise(ctx, func(up bool, err error) { // restarts it with backoff if it dies
		if up {
			log.Info("managed ollama restarted", "host", p.Host)
			return
		}
		log.Warn("managed ollama is down; restarting", "host", p.Host, "error", err)
	})
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
