package bench

import "github.com/mrswarm/mrswarm/clients/llm"

func llmRequest(system string) llm.Request {
	return llm.Request{Model: "m", Messages: []llm.Message{{Role: "system", Content: system}, {Role: "user", Content: "Task: go"}}}
}
