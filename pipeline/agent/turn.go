package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
)

// maxObservation bounds a tool error fed back to the model.
const maxObservation = 400

// turn asks the model until it gives a valid answer, retrying up to MaxRetries times
// with the problem fed back. Retry messages do not stay in the conversation.
func (r *runner) turn(ctx context.Context, turn int, mode branches) (answer, error) {
	rules := r.rules(mode)
	var feedback []llm.Message
	var last error
	for attempt := 0; attempt <= r.task.MaxRetries; attempt++ {
		forceFinal := attempt > 0 && r.native && mode == either && !lastWasCall(last)
		req, err := r.request(rules, forceFinal)
		if err != nil {
			return answer{}, fmt.Errorf("agent %q turn %d: %w", r.task.Def.Name, turn, err)
		}
		req.Messages = append(slices.Clip(req.Messages), feedback...)
		resp, err := r.chat(ctx, req, turn, attempt > 0)
		switch {
		case err != nil && (!errors.Is(err, llm.ErrBadResponse) || ctx.Err() != nil):
			return answer{}, fmt.Errorf("agent %q turn %d: %w", r.task.Def.Name, turn, err)
		case err != nil:
			// The server gave up on the answer, e.g. Ollama v0.6.5 stops a model that
			// repeats one token over 30 times and sends no final chunk: retry it.
			last = err
			feedback = []llm.Message{{Role: "user", Content: "Your answer broke off (" + clip(err.Error(), maxObservation) +
				"). Answer again with one short, valid JSON object."}}
			continue
		}
		a, err := r.parse(resp, rules)
		if err == nil {
			return a, nil
		}
		last = err
		feedback = []llm.Message{
			{Role: "assistant", Content: clip(resp.Message.Content, maxEcho)},
			{Role: "user", Content: "Your answer was invalid: " + err.Error() + ". Answer again with one valid JSON object."},
		}
	}
	return answer{}, fmt.Errorf("%w: agent %q turn %d: %d attempts, last problem: %w",
		ErrInvalidOutput, r.task.Def.Name, turn, r.task.MaxRetries+1, last)
}

// errBadCall marks a native answer whose tool calls were invalid (so a retry keeps tools).
var errBadCall = errors.New("invalid tool call")

func lastWasCall(err error) bool { return errors.Is(err, errBadCall) }

// rules describes what this turn accepts.
func (r *runner) rules(mode branches) turnRules {
	return turnRules{mode: mode, tools: r.byName, handles: slices.Clone(r.known), final: finalAnswer}
}

// request builds the chat request of a turn. In native mode tools are offered unless
// the turn is final-only or forceFinal asks for a schema-constrained final answer.
func (r *runner) request(rules turnRules, forceFinal bool) (llm.Request, error) {
	req := llm.Request{Model: r.task.Model, Messages: r.msgs, Options: r.task.Options}
	var err error
	switch {
	case r.native && rules.mode != finalOnly && !forceFinal:
		req.Tools = toolSpecs(r.tools)
	case r.native:
		req.Format, err = turnFormat(nil, rules.handles, finalOnly)
	default:
		req.Format, err = r.formats.format(rules.handles, rules.mode)
	}
	return req, err
}

// parse validates a response in the runner's tool mode.
func (r *runner) parse(resp llm.Response, rules turnRules) (answer, error) {
	if !r.native {
		return parseSchemaAnswer(resp, rules)
	}
	a, err := parseNativeAnswer(resp, rules)
	if err != nil && len(resp.Message.ToolCalls) > 0 {
		err = fmt.Errorf("%w: %w", errBadCall, err)
	}
	return a, err
}

// chat makes one LLM call and reports it.
func (r *runner) chat(ctx context.Context, req llm.Request, turn int, retry bool) (llm.Response, error) {
	start := time.Now()
	resp, err := r.model.Chat(ctx, req)
	r.res.LLMTime += time.Since(start)
	if err != nil {
		return resp, err
	}
	model := resp.Model
	if model == "" {
		model = req.Model
	}
	if r.obs.OnLLMCall != nil {
		r.obs.OnLLMCall(Call{Turn: turn, Model: model, Usage: resp.Usage, Retry: retry, Repair: r.repairing, Host: resp.Host})
	}
	return resp, nil
}

// runTools runs the calls of one answer within the step budget and appends what they
// returned to the conversation. Tool errors go back to the model as observations.
func (r *runner) runTools(ctx context.Context, turn int, calls []toolCall) error {
	r.collapseRead()
	for _, c := range calls {
		if r.steps >= r.task.Def.MaxSteps {
			r.observe(c.tool, "not run: the tool budget is used up")
			continue
		}
		r.steps++
		r.res.ToolCalls++
		start := time.Now()
		sum, err := r.task.Tools.Call(ctx, c.tool, c.args)
		d := time.Since(start)
		r.res.SQLTime += d
		use := ToolUse{Turn: turn, Tool: c.tool, Args: c.args, Handle: sum.Handle, Duration: d, Err: err}
		if r.obs.OnToolCall != nil {
			r.obs.OnToolCall(use)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("agent %q turn %d: tool %s: %w", r.task.Def.Name, turn, c.tool, ctxErr)
		}
		if err != nil {
			r.observe(c.tool, "error: "+clip(oneLine(err.Error()), maxObservation))
			continue
		}
		r.res.Handles = append(r.res.Handles, sum.Handle)
		r.addKnown(sum.Handle)
		if err := r.observeResult(ctx, c.tool, sum); err != nil {
			return fmt.Errorf("agent %q turn %d: %w", r.task.Def.Name, turn, err)
		}
	}
	return nil
}

// observeResult appends a tool's result: with handles, its prompt summary, which
// collapses to its handle line once the model has answered after reading it
// (collapseRead), or only that line naming the upstream result whose summary,
// the same, the prompt shows; with full context, every row.
func (r *runner) observeResult(ctx context.Context, tool string, sum store.Summary) error {
	head := fmt.Sprintf("result %s: %s", sum.Handle, shape(sum))
	if r.task.Context == ContextFull {
		rows, err := allRowsCSV(ctx, r.st, sum.Handle)
		if err != nil {
			return fmt.Errorf("full result of %s: %w", sum.Handle, err)
		}
		r.observe(tool, head+", CSV:\n"+rows)
		return nil
	}
	if h := r.shownUpstream(sum); h != "" {
		r.observe(tool, head+", the same summary as "+h)
		return nil
	}
	r.observe(tool, head+"\n"+summaryBody(sum))
	r.unread = append(r.unread, readResult{msg: len(r.msgs) - 1, short: r.observation(tool, head).Content})
	return nil
}

// shownUpstream returns the upstream result whose summary, shown in the task
// message, is the same as sum's (a tool run again with the same arguments), or "".
func (r *runner) shownUpstream(sum store.Summary) string {
	key := summaryKey(sum)
	for _, u := range r.task.Upstream {
		for _, s := range u.Results {
			if s.Handle != sum.Handle && summaryKey(s) == key && strings.Contains(r.msgs[1].Content, promptSummary(s)) {
				return s.Handle
			}
		}
	}
	return ""
}

// readResult is a tool result message and the handle line it collapses to.
type readResult struct {
	msg   int
	short string
}

// collapseRead replaces the summaries of tool results the model has read (it has
// answered since) by their handle lines: the handles stay citable, the rows stay
// in the store, and each later turn's prompt stays small.
func (r *runner) collapseRead() {
	for _, u := range r.unread {
		r.msgs[u.msg].Content = u.short
	}
	r.unread = r.unread[:0]
}

// observe appends a tool's outcome: a tool message in native mode, else a user message.
func (r *runner) observe(tool, text string) { r.msgs = append(r.msgs, r.observation(tool, text)) }

// observation is the message that hands a tool's outcome to the model.
func (r *runner) observation(tool, text string) llm.Message {
	if r.native {
		return llm.Message{Role: "tool", ToolName: tool, Content: text}
	}
	return llm.Message{Role: "user", Content: "Tool " + tool + " " + text}
}

// useNative resolves the task's tool mode: auto asks the model for its capabilities
// and falls back to schema mode when it cannot tell.
func useNative(ctx context.Context, model llm.Client, task Task) (bool, error) {
	switch task.ToolMode {
	case ToolNative:
		return true, nil
	case ToolAuto:
	default:
		return false, nil
	}
	caps, err := model.Capabilities(ctx, task.Model)
	switch {
	case ctx.Err() != nil:
		return false, ctx.Err()
	case errors.Is(err, llm.ErrModelNotFound):
		return false, err
	case err != nil:
		return false, nil
	}
	return slices.Contains(caps, llm.CapabilityTools), nil
}
