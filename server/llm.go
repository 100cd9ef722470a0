package server

import (
	"context"

	"github.com/mrswarm/mrswarm/clients/llm"
	"github.com/mrswarm/mrswarm/pipeline/agent"
)

// newLLM returns cfg.LLM or a client of the configured Ollama.
func newLLM(ctx context.Context, cfg Config) (agent.LLM, error) {
	if cfg.LLM != nil {
		return cfg.LLM, nil
	}
	return unavailable{}, nil // TODO: clients/ollama
}

type unavailable struct{}

func (unavailable) Chat(context.Context, llm.Request) (llm.Response, error) {
	return llm.Response{}, llm.ErrUnavailable
}

func (unavailable) Capabilities(context.Context, string) ([]string, error) {
	return nil, llm.ErrUnavailable
}

func startManagedOllama(ctx context.Context, cfg *Config) (func(), error) {
	return func() {}, nil // TODO: internal/ollamaproc
}
