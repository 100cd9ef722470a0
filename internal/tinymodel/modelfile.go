package tinymodel

import "fmt"

// Model parameters written into every Modelfile. One thread matters: with
// two on a loaded two-core machine one call took 100× longer.
const (
	NumCtx     = 2048
	NumPredict = 512
)

// chatTemplate is a plain role-prefixed chat template.
const chatTemplate = `{{- range .Messages }}{{ .Role }}: {{ .Content }}
{{ end }}assistant: `

// toolsTemplate also renders the offered tools and past tool calls. Because it
// ranges over .ToolCalls, Ollama reports the "tools" capability and parses a
// JSON answer of the form {"name": ..., "arguments": {...}} into tool_calls.
const toolsTemplate = `{{- if .Tools }}tools:{{ range .Tools }} {{ .Function.Name }}{{ end }}
{{ end }}
{{- range .Messages }}{{ .Role }}: {{ .Content }}
{{- range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}{{ end }}
{{ end }}assistant: `

// Modelfile returns an Ollama Modelfile for the GGUF file at ggufPath with a
// plain chat template, temperature 0, one thread, a 2048-token context and
// at most 512 generated tokens.
func Modelfile(ggufPath string) string {
	return modelfile(ggufPath, chatTemplate)
}

// ToolsModelfile is [Modelfile] with a template that supports Ollama's
// native tool calling, so the model reports the "tools" capability.
func ToolsModelfile(ggufPath string) string {
	return modelfile(ggufPath, toolsTemplate)
}

func modelfile(ggufPath, template string) string {
	return fmt.Sprintf(`FROM %s
TEMPLATE """%s"""
PARAMETER temperature 0
PARAMETER num_thread 1
PARAMETER num_ctx %d
PARAMETER num_predict %d
`, ggufPath, template, NumCtx, NumPredict)
}
