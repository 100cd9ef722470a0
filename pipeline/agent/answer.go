package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// maxEcho bounds how much of an invalid answer is fed back to the model.
const maxEcho = 600

// toolCall is one tool call the model asked for.
type toolCall struct {
	tool string
	args json.RawMessage
}

// answer is a validated model answer: tool calls, or a final answer.
type answer struct {
	final    bool
	summary  string
	findings []Finding
	calls    []toolCall
	msg      llm.Message // the assistant message kept in the conversation
}

// turnRules is what one turn accepts.
type turnRules struct {
	mode    branches
	tools   map[string]*toolDef
	handles []string           // citable handles
	final   *jsonschema.Schema // the final-answer schema (handles are checked against handles)
}

// parseSchemaAnswer validates a schema-mode answer: one JSON object.
func parseSchemaAnswer(resp llm.Response, r turnRules) (answer, error) {
	if err := checkDone(resp); err != nil {
		return answer{}, err
	}
	raw := []byte(strings.TrimSpace(resp.Message.Content))
	if r.mode != callOnly {
		if summary, findings, ok := validFinal(raw, r.handles); ok {
			return answer{final: true, summary: summary, findings: findings,
				msg: llm.Message{Role: "assistant", Content: string(raw)}}, nil
		}
	}
	var head struct {
		Action string          `json:"action"`
		Tool   string          `json:"tool"`
		Args   json.RawMessage `json:"args"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return answer{}, fmt.Errorf("the answer is not one JSON object: %v", err)
	}
	msg := llm.Message{Role: "assistant", Content: string(raw)}
	switch {
	case head.Action == actionFinal && r.mode == callOnly:
		return answer{}, errors.New(`call a tool before the final answer: answer with "action":"call_tool"`)
	case head.Action == actionFinal:
		return parseFinal(raw, r, msg)
	case head.Action == actionCall && r.mode == finalOnly:
		return answer{}, errors.New(`the tool budget is used up: answer with "action":"final"`)
	case head.Action == actionCall:
		td, ok := r.tools[head.Tool]
		if !ok {
			return answer{}, fmt.Errorf("unknown tool %q; allowed: %s", head.Tool, strings.Join(sortedKeys(r.tools), ", "))
		}
		args := td.normalizeArgs(head.Args)
		if !bytes.Equal(args, head.Args) {
			var err error
			if raw, err = json.Marshal(obj{{"action", actionCall}, {"tool", head.Tool}, {"args", args}}); err != nil {
				return answer{}, err
			}
			msg.Content = string(raw)
		}
		if err := validateJSON(td.call, raw); err != nil {
			return answer{}, fmt.Errorf("call of %s %w", head.Tool, err)
		}
		return answer{calls: []toolCall{{tool: head.Tool, args: args}}, msg: msg}, nil
	default:
		return answer{}, fmt.Errorf(`"action" is %q; want %q or %q`, head.Action, actionCall, actionFinal)
	}
}

// parseNativeAnswer validates a native-mode answer: tool calls, or a final JSON text.
func parseNativeAnswer(resp llm.Response, r turnRules) (answer, error) {
	if err := checkDone(resp); err != nil {
		return answer{}, err
	}
	m := resp.Message
	if len(m.ToolCalls) == 0 {
		if r.mode == callOnly {
			return answer{}, errors.New("call a tool before the final answer")
		}
		raw := []byte(stripFence(m.Content))
		return parseFinal(raw, r, llm.Message{Role: "assistant", Content: string(raw)})
	}
	if r.mode == finalOnly {
		return answer{}, errors.New("the tool budget is used up: answer with the final JSON object, no tool calls")
	}
	a := answer{msg: llm.Message{Role: "assistant", Content: m.Content, ToolCalls: m.ToolCalls}}
	for _, c := range m.ToolCalls {
		td, ok := r.tools[c.Name]
		if !ok {
			return answer{}, fmt.Errorf("unknown tool %q; allowed: %s", c.Name, strings.Join(sortedKeys(r.tools), ", "))
		}
		args := c.Arguments
		if len(args) == 0 || string(args) == "null" {
			args = json.RawMessage(`{}`)
		}
		args = td.normalizeArgs(args)
		if err := validateJSON(td.args, args); err != nil {
			return answer{}, fmt.Errorf("arguments of %s %w", c.Name, err)
		}
		a.calls = append(a.calls, toolCall{tool: c.Name, args: args})
	}
	return a, nil
}

// parseFinal validates a final answer.
func parseFinal(raw []byte, r turnRules, msg llm.Message) (answer, error) {
	if summary, findings, ok := validFinal(raw, r.handles); ok {
		return answer{final: true, summary: summary, findings: findings, msg: msg}, nil
	}
	return checkFinal(raw, r, msg)
}

// checkFinal validates a final answer with the final-answer schema and says
// what is wrong: known handles first, for a clear message, then the schema.
func checkFinal(raw []byte, r turnRules, msg llm.Message) (answer, error) {
	var f struct {
		Action   string    `json:"action"`
		Summary  string    `json:"summary"`
		Findings []Finding `json:"findings"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return answer{}, fmt.Errorf("the final answer is not a JSON object of the asked shape: %v", err)
	}
	for _, fd := range f.Findings {
		for _, h := range fd.Handles {
			if !slices.Contains(r.handles, h) {
				return answer{}, fmt.Errorf("finding cites unknown handle %q; known handles: %s", h, knownList(r.handles))
			}
		}
	}
	if err := validateJSON(r.final, raw); err != nil {
		return answer{}, fmt.Errorf("final answer %w", err)
	}
	return answer{final: true, summary: f.Summary, findings: f.Findings, msg: msg}, nil
}

// validFinal decodes raw in one pass when it is a final answer that the
// final-answer schema accepts and whose findings cite only known handles,
// and reports whether it is. It checks exactly what that schema says, in Go
// (the library's validation of a decoded value costs several times the
// decoding): what it accepts, checkFinal would accept with the same summary
// and findings. Anything else, valid or not, it leaves to checkFinal, whose
// errors say what is wrong.
func validFinal(raw []byte, known []string) (summary string, findings []Finding, ok bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "", nil, false
	}
	m, _ := v.(map[string]any)
	fs, isList := m["findings"].([]any)
	summary, isText := m["summary"].(string)
	if len(m) != 3 || m["action"] != actionFinal || !isText || !isList ||
		utf8.RuneCountInString(summary) > maxSummaryLen || len(fs) > maxFindings {
		return "", nil, false
	}
	findings = make([]Finding, len(fs)) // empty, not nil, as encoding/json decodes []
	for i, f := range fs {
		if findings[i], ok = validFinding(f, known); !ok {
			return "", nil, false
		}
	}
	return summary, findings, true
}

// validFinding is validFinal's check of one decoded finding.
func validFinding(v any, known []string) (Finding, bool) {
	m, _ := v.(map[string]any)
	text, isText := m["text"].(string)
	hs, isList := m["handles"].([]any)
	if len(m) != 2 || !isText || !isList || utf8.RuneCountInString(text) > maxFindingLen || len(hs) > maxCiteHandles {
		return Finding{}, false
	}
	f := Finding{Text: text, Handles: make([]string, len(hs))}
	for i, h := range hs {
		s, isText := h.(string)
		if !isText || !slices.Contains(known, s) {
			return Finding{}, false
		}
		f.Handles[i] = s
	}
	return f, true
}

// checkDone rejects output the server cut off.
func checkDone(resp llm.Response) error {
	if resp.DoneReason == "length" {
		return fmt.Errorf("the answer was cut off at the token limit after %d tokens; answer with a shorter JSON object", resp.Usage.CompletionTokens)
	}
	return nil
}

func knownList(hs []string) string {
	if len(hs) == 0 {
		return "none (cite no handles)"
	}
	return strings.Join(hs, ", ")
}

// stripFence removes a Markdown code fence around a JSON answer.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") {
		return s
	}
	s = strings.TrimPrefix(s, "```")
	s = strings.TrimPrefix(s, "json")
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "```"))
}
