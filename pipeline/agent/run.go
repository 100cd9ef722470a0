package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// defaultMaxRetries is the number of invalid-output retries per turn.
const defaultMaxRetries = 2

// runner is the state of one Run.
type runner struct {
	model  llm.Client
	st     *store.Store
	task   Task
	obs    Observer
	native bool
	tools  []*toolDef
	byName map[string]*toolDef
	known  []string // citable handles: upstream results, then produced ones
	msgs   []llm.Message
	unread []readResult // tool results the model has not answered after yet
	steps  int          // tool calls made
	// formats writes the schema-mode turn formats of the agent's tools.
	formats *toolFormats
	res     Result
	// repairing is set once the final answer failed its check: the next turn
	// is the one repair turn.
	repairing bool
}

// Run drives one agent to a final answer using schema-constrained (or native) tool calls.
//
// Each turn the model either calls one of the agent's tools (at most Def.MaxSteps calls
// in all; the result is stored and its summary handed back) or gives the final answer,
// whose findings may cite only known handles. An invalid or truncated answer is retried
// up to MaxRetries times with the problem fed back, then Run fails with ErrInvalidOutput.
// An llm.ErrBadResponse (the server broke the answer off) is retried the same way.
// Other LLM errors (llm.ErrUnavailable, ctx errors...) are returned wrapped. On error the
// Result still holds what was done, e.g. the handles produced so far.
func Run(ctx context.Context, model llm.Client, st *store.Store, task Task, obs Observer) (Result, error) {
	r, err := newRunner(ctx, model, st, task, obs)
	if err != nil {
		return Result{}, err
	}
	for turn := 1; ; turn++ {
		if err := ctx.Err(); err != nil {
			return r.res, fmt.Errorf("agent %q turn %d: %w", task.Def.Name, turn, err)
		}
		mode := r.branches()
		a, err := r.turn(ctx, turn, mode)
		if err != nil && r.repairing && errors.Is(err, ErrInvalidOutput) {
			return r.res, nil // the repair failed: the first answer stands, marked by its check
		}
		if err != nil {
			if mode == finalOnly && len(r.tools) > 0 && errors.Is(err, ErrInvalidOutput) {
				err = fmt.Errorf("%w after %d tool calls: %w", ErrBudgetExhausted, r.steps, err)
			}
			return r.res, err
		}
		r.res.Turns = turn
		r.msgs = append(r.msgs, a.msg)
		if a.final {
			r.res.Summary, r.res.Findings = a.summary, a.findings
			if r.needsRepair(ctx) {
				continue
			}
			return r.res, nil
		}
		if err := r.runTools(ctx, turn, a.calls); err != nil {
			return r.res, err
		}
	}
}

// needsRepair verifies a final answer, once: with discrepancies it asks the
// model to repair them in one more final-only turn and reports true.
func (r *runner) needsRepair(ctx context.Context) bool {
	if r.task.Verify == nil || r.repairing {
		return false
	}
	problems := r.task.Verify(ctx, r.res)
	if len(problems) == 0 {
		return false
	}
	r.repairing, r.res.Repairs = true, problems
	r.msgs = append(r.msgs, llm.Message{Role: "user", Content: repairPrompt(problems)})
	return true
}

// branches says what the next turn may answer.
func (r *runner) branches() branches {
	switch {
	case r.repairing || r.steps >= r.task.Def.MaxSteps || len(r.tools) == 0:
		return finalOnly
	case r.steps < r.task.MinToolCalls:
		return callOnly
	}
	return either
}

// newRunner validates the task, resolves tools and tool mode, and builds the prompt.
func newRunner(ctx context.Context, model llm.Client, st *store.Store, task Task, obs Observer) (*runner, error) {
	// buildPrompt renders the definition's task template on the step's inputs
	// (ErrInvalidDefinition when it fails): parse it here only when a prompt
	// given with the task replaces it.
	if err := validate(task.Def, task.Templates, task.Prompt != ""); err != nil {
		return nil, err
	}
	if task.Model == "" {
		return nil, fmt.Errorf("%w %q: no model given", ErrInvalidDefinition, task.Def.Name)
	}
	if task.MaxRetries <= 0 {
		task.MaxRetries = defaultMaxRetries
	}
	if task.TokenBudget <= 0 {
		task.TokenBudget = defaultTokenBudget
	}
	if len(task.Def.Tools) > 0 && task.Tools == nil {
		env, err := tools.NewCatalog(st).Env(ctx, task.Dataset)
		if err != nil {
			return nil, fmt.Errorf("agent %q: list tools on %q: %w", task.Def.Name, task.Dataset, err)
		}
		task.Tools = env
	}
	r := &runner{model: model, st: st, task: task, obs: obs, byName: map[string]*toolDef{}}
	var unavailable []missingTool
	var err error
	if r.tools, unavailable, err = agentTools(task.Tools, task.Def, task.ToolDefs); err != nil {
		return nil, fmt.Errorf("agent %q: %w", task.Def.Name, err)
	}
	for _, t := range r.tools {
		r.byName[t.name] = t
	}
	r.formats = &toolFormats{tools: r.tools}
	if len(r.tools) > 0 { // a tool-less agent only answers, schema-constrained
		if r.native, err = useNative(ctx, model, task); err != nil {
			return nil, fmt.Errorf("agent %q: %w", task.Def.Name, err)
		}
	}
	for _, u := range task.Upstream {
		for _, s := range u.Results {
			r.addKnown(s.Handle)
		}
	}
	if err := r.buildPrompt(ctx, unavailable); err != nil {
		return nil, fmt.Errorf("agent %q: %w", task.Def.Name, err)
	}
	return r, nil
}

// buildPrompt sets the system and first user message.
func (r *runner) buildPrompt(ctx context.Context, unavailable []missingTool) error {
	text := r.task.Def.Task
	if r.task.Prompt != "" {
		text = r.task.Prompt
	}
	taskText, err := r.task.Templates.render(text, r.task.Inputs)
	if err != nil {
		return fmt.Errorf("%w: task template: %v", ErrInvalidDefinition, err)
	}
	var upstream string
	if r.task.Context == ContextFull {
		if upstream, err = fullContext(ctx, r.st, r.task.Upstream); err != nil {
			return err
		}
	} else {
		upstream = handlesContext(r.task.Upstream, r.task.TokenBudget)
	}
	r.msgs = []llm.Message{
		{Role: "system", Content: systemPrompt(r.task.Def, r.tools, unavailable, r.native)},
		{Role: "user", Content: userPrompt(taskText, r.task, upstream)},
	}
	return nil
}

func (r *runner) addKnown(h string) {
	for _, k := range r.known {
		if k == h {
			return
		}
	}
	r.known = append(r.known, h)
}
