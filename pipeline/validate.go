package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// ValidationError lists every problem of a pipeline; it wraps [ErrInvalid]. An
// unknown dataset is one of the problems when there are others; alone, it is
// reported as the store's not-found error instead.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return ErrInvalid.Error() + ": " + strings.Join(e.Problems, "; ")
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// validID is what a step id may look like.
var validID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// graph is a validated pipeline: steps by index, their edges and display stages.
type graph struct {
	steps      []Step
	index      map[string]int
	deps       [][]int // deps[i]: indices step i depends on
	dependents [][]int // dependents[i]: indices that depend on step i
	stage      []int   // dependency depth of each step
	stages     []Stage
	agents     map[string]agent.Definition // every agent the run may use, by name
}

// agentCatalog returns the built-ins shadowed by custom definitions, and the problems
// of the custom ones.
func agentCatalog(custom []agent.Definition) (map[string]agent.Definition, []string) {
	defs := map[string]agent.Definition{}
	for _, d := range agent.Builtins() {
		defs[d.Name] = d
	}
	var problems []string
	for i, d := range custom {
		if err := agent.Validate(d); err != nil {
			problems = append(problems, fmt.Sprintf("agent definition %d (%q): %v", i, d.Name, err))
			continue
		}
		defs[d.Name] = d
	}
	return defs, problems
}

// toolNames returns the names of every tool.
func toolNames() map[string]bool {
	names := map[string]bool{}
	for _, s := range tools.Specs() {
		names[s.Name] = true
	}
	return names
}

// buildGraph checks p against the agent catalog and returns its graph and every problem.
func buildGraph(p Pipeline, defs map[string]agent.Definition) (*graph, []string) {
	g := &graph{steps: p.Steps, index: map[string]int{}, agents: defs}
	var problems []string
	if len(p.Steps) == 0 {
		problems = append(problems, "pipeline has no steps")
	}
	for i, s := range p.Steps {
		switch {
		case s.ID == "":
			problems = append(problems, fmt.Sprintf("step %d: empty id", i))
		case !validID.MatchString(s.ID):
			problems = append(problems, fmt.Sprintf("step %d: invalid id %q (want a letter then letters, digits, '_', '-' or '.', at most 64)", i, s.ID))
		}
		if _, dup := g.index[s.ID]; dup && s.ID != "" {
			problems = append(problems, fmt.Sprintf("step %d: duplicate id %q", i, s.ID))
			continue
		}
		g.index[s.ID] = i
	}
	tools := toolNames()
	g.deps = make([][]int, len(p.Steps))
	g.dependents = make([][]int, len(p.Steps))
	for i, s := range p.Steps {
		problems = append(problems, checkStep(s, defs, tools)...)
		problems = append(problems, g.link(i, s)...)
	}
	if cycles := g.cycles(); len(cycles) > 0 {
		for _, c := range cycles {
			problems = append(problems, "dependency cycle: "+strings.Join(c, " → "))
		}
		return g, problems
	}
	g.computeStages()
	return g, problems
}

// link records the edges of step i, reporting unknown and repeated dependencies.
func (g *graph) link(i int, s Step) []string {
	var problems []string
	seen := map[string]bool{}
	for _, d := range s.DependsOn {
		j, ok := g.index[d]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("step %q: depends on unknown step %q", s.ID, d))
		case seen[d]:
			problems = append(problems, fmt.Sprintf("step %q: depends on %q twice", s.ID, d))
		default:
			g.deps[i] = append(g.deps[i], j)
			g.dependents[j] = append(g.dependents[j], i)
		}
		seen[d] = true
	}
	return problems
}

// checkStep reports the problems of one step's own definition.
func checkStep(s Step, defs map[string]agent.Definition, tools map[string]bool) []string {
	name := fmt.Sprintf("step %q", s.ID)
	if p := checkKinds(name, s); p != "" {
		return []string{p}
	}
	switch {
	case s.Agent != nil:
		return checkAgentStep(name, s.Agent, defs)
	case s.Tool != nil:
		var problems []string
		if !tools[s.Tool.Tool] {
			problems = append(problems, fmt.Sprintf("%s: unknown tool %q", name, s.Tool.Tool))
		}
		if len(s.Tool.Args) > 0 && !json.Valid(s.Tool.Args) {
			problems = append(problems, name+": tool args are not valid JSON")
		}
		return problems
	case s.SQL != nil && strings.TrimSpace(s.SQL.SQL) == "":
		return []string{name + ": empty sql"}
	case s.Report != nil && len(s.DependsOn) == 0:
		return []string{name + ": a report step needs at least one dependency"}
	}
	return nil
}

// checkKinds reports a step with no kind or several.
func checkKinds(name string, s Step) string {
	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{{KindAgent, s.Agent != nil}, {KindReport, s.Report != nil}, {KindSQL, s.SQL != nil}, {KindTool, s.Tool != nil}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	switch len(kinds) {
	case 0:
		return name + ": no kind set (want one of agent, tool, sql, report)"
	case 1:
		return ""
	}
	return fmt.Sprintf("%s: several kinds set (%s); want exactly one", name, strings.Join(kinds, ", "))
}

// checkAgentStep reports an unknown agent or a task override that is not a valid template.
func checkAgentStep(name string, a *AgentStep, defs map[string]agent.Definition) []string {
	def, ok := defs[a.Agent]
	if !ok {
		return []string{fmt.Sprintf("%s: unknown agent %q", name, a.Agent)}
	}
	if a.Task != "" {
		def.Task = a.Task
		if err := agent.Validate(def); err != nil {
			return []string{fmt.Sprintf("%s: task: %v", name, err)}
		}
	}
	return nil
}

// cycles returns every dependency cycle once, each as a path of step ids in run
// order that ends where it starts (a → b → c → a: b depends on a, ...).
func (g *graph) cycles() [][]string {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(g.steps))
	var stack []int
	var out [][]string
	seen := map[string]bool{}
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		stack = append(stack, i)
		for _, j := range g.dependents[i] {
			switch color[j] {
			case white:
				visit(j)
			case grey:
				start := slices.Index(stack, j)
				cyc := slices.Clone(stack[start:])
				if key := cycleKey(cyc); !seen[key] {
					seen[key] = true
					path := make([]string, 0, len(cyc)+1)
					for _, k := range cyc {
						path = append(path, g.steps[k].ID)
					}
					out = append(out, append(path, g.steps[j].ID))
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
	}
	for i := range g.steps {
		if color[i] == white {
			visit(i)
		}
	}
	return out
}

// cycleKey identifies a cycle independent of where it was entered.
func cycleKey(cyc []int) string {
	m := slices.Index(cyc, slices.Min(cyc))
	rot := append(slices.Clone(cyc[m:]), cyc[:m]...)
	return fmt.Sprint(rot)
}

// computeStages sets each step's dependency depth and groups steps by it, in
// pipeline order. The graph must be acyclic.
func (g *graph) computeStages() {
	g.stage = make([]int, len(g.steps))
	done := make([]bool, len(g.steps))
	var depth func(i int) int
	depth = func(i int) int {
		if done[i] {
			return g.stage[i]
		}
		d := 0
		for _, j := range g.deps[i] {
			d = max(d, depth(j)+1)
		}
		g.stage[i], done[i] = d, true
		return d
	}
	g.stages = nil
	for i := range g.steps {
		d := depth(i)
		for len(g.stages) <= d {
			g.stages = append(g.stages, Stage{Index: len(g.stages)})
		}
	}
	for i, s := range g.steps {
		g.stages[g.stage[i]].StepIDs = append(g.stages[g.stage[i]].StepIDs, s.ID)
	}
}

// validate checks p on dataset with the custom agents and returns its graph and the
// dataset; every problem is listed in one *ValidationError.
func (r *Runner) validate(ctx context.Context, dataset string, p Pipeline, custom []agent.Definition) (*graph, store.Dataset, error) {
	defs, problems := agentCatalog(custom)
	g, more := buildGraph(p, defs)
	problems = append(problems, more...)
	ds, err := r.st.Dataset(ctx, dataset)
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid):
		if len(problems) == 0 {
			return nil, store.Dataset{}, fmt.Errorf("pipeline: dataset %q: %w", dataset, err)
		}
		problems = append(problems, fmt.Sprintf("unknown dataset %q", dataset))
	case err != nil:
		return nil, store.Dataset{}, fmt.Errorf("pipeline: dataset %q: %w", dataset, err)
	}
	if err == nil {
		problems = append(problems, r.checkToolArgs(ctx, dataset, p.Steps)...)
	}
	if len(problems) > 0 {
		return nil, store.Dataset{}, &ValidationError{Problems: problems}
	}
	return g, ds, nil
}

// checkToolArgs reports tool steps whose tool is not available on dataset or whose
// arguments do not match the tool's JSON Schema for it.
func (r *Runner) checkToolArgs(ctx context.Context, dataset string, steps []Step) []string {
	if !slices.ContainsFunc(steps, func(s Step) bool { return s.Tool != nil }) {
		return nil
	}
	infos, err := tools.List(ctx, r.st, dataset)
	if err != nil {
		return []string{fmt.Sprintf("list tools of dataset %q: %v", dataset, err)}
	}
	byName := map[string]tools.Info{}
	for _, in := range infos {
		byName[in.Name] = in
	}
	var problems []string
	for _, s := range steps {
		if s.Tool == nil || s.Kind() != KindTool || len(s.Tool.Args) > 0 && !json.Valid(s.Tool.Args) {
			continue // reported by checkStep
		}
		info, ok := byName[s.Tool.Tool]
		switch {
		case !ok:
			// unknown tool: reported by checkStep
		case !info.Available:
			problems = append(problems, fmt.Sprintf("step %q: tool %s is not available: %s", s.ID, info.Name, info.Reason))
		default:
			if err := validateArgs(info.Schema, s.Tool.Args); err != nil {
				problems = append(problems, fmt.Sprintf("step %q: tool %s args: %v", s.ID, info.Name, err))
			}
		}
	}
	return problems
}

// validateArgs checks JSON arguments (nil means {}) against a JSON Schema.
func validateArgs(schema, args json.RawMessage) error {
	if len(args) == 0 {
		args = json.RawMessage(`{}`)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return fmt.Errorf("tool schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("args.json", doc); err != nil {
		return fmt.Errorf("tool schema: %w", err)
	}
	sch, err := c.Compile("args.json")
	if err != nil {
		return fmt.Errorf("tool schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		if _, detail, ok := strings.Cut(msg, "' - "); ok { // drop "jsonschema validation failed with '<url>'"
			msg = detail
		}
		return errors.New(msg)
	}
	return nil
}
