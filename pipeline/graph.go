package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/mrswarm/mrswarm/pipeline/agent"
)

// validID is what a step id may look like.
var validID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// node is one step of a graph with its resolved action and edges.
type node struct {
	step       Step
	act        action // nil when the step's kind is invalid
	deps       []int  // indices the step depends on, in DependsOn order
	dependents []int  // indices that depend on it
	stage      int    // dependency depth
}

// graph is a validated pipeline: nodes by index and display stages.
type graph struct {
	nodes  []*node
	index  map[string]int
	stages []Stage
	agents map[string]agent.Definition // every agent the run may use, by name
}

// buildGraph resolves every step of p, checks it against the agent catalog and
// returns the graph and every problem.
func buildGraph(p Pipeline, defs map[string]agent.Definition, tpl *agent.Templates) (*graph, []string) {
	g := &graph{index: map[string]int{}, agents: defs}
	var problems []string
	if len(p.Steps) == 0 {
		problems = append(problems, "pipeline has no steps")
	}
	for i, s := range p.Steps {
		problems = append(problems, checkID(i, s.ID)...)
		g.nodes = append(g.nodes, &node{step: s})
		if _, dup := g.index[s.ID]; dup && s.ID != "" {
			problems = append(problems, fmt.Sprintf("step %d: duplicate id %q", i, s.ID))
			continue
		}
		g.index[s.ID] = i
	}
	c := checkContext{agents: defs, tools: toolNames(), templates: tpl}
	for i, n := range g.nodes {
		name := fmt.Sprintf("step %q", n.step.ID)
		act, err := resolve(n.step)
		if err != nil {
			problems = append(problems, name+": "+err.Error())
		} else {
			n.act = act
			c.hasDeps = len(n.step.DependsOn) > 0
			problems = append(problems, act.check(name, c)...)
		}
		problems = append(problems, g.link(i)...)
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

// checkID reports an empty or malformed id of step i.
func checkID(i int, id string) []string {
	switch {
	case id == "":
		return []string{fmt.Sprintf("step %d: empty id", i)}
	case !validID.MatchString(id):
		return []string{fmt.Sprintf("step %d: invalid id %q (want a letter then letters, digits, '_', '-' or '.', at most 64)", i, id)}
	}
	return nil
}

// link records the edges of step i, reporting unknown and repeated dependencies.
func (g *graph) link(i int) []string {
	var problems []string
	s := g.nodes[i].step
	seen := map[string]bool{}
	for _, d := range s.DependsOn {
		j, ok := g.index[d]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("step %q: depends on unknown step %q", s.ID, d))
		case seen[d]:
			problems = append(problems, fmt.Sprintf("step %q: depends on %q twice", s.ID, d))
		default:
			g.nodes[i].deps = append(g.nodes[i].deps, j)
			g.nodes[j].dependents = append(g.nodes[j].dependents, i)
		}
		seen[d] = true
	}
	return problems
}

// cycles returns every dependency cycle once, each as a path of step ids in run
// order that ends where it starts (a → b → c → a: b depends on a, ...).
func (g *graph) cycles() [][]string {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(g.nodes))
	var stack []int
	var out [][]string
	seen := map[string]bool{}
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		stack = append(stack, i)
		for _, j := range g.nodes[i].dependents {
			switch color[j] {
			case white:
				visit(j)
			case grey:
				cyc := slices.Clone(stack[slices.Index(stack, j):])
				if key := cycleKey(cyc); !seen[key] {
					seen[key] = true
					out = append(out, g.path(append(cyc, j)))
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
	}
	for i := range g.nodes {
		if color[i] == white {
			visit(i)
		}
	}
	return out
}

// path names the steps of idx.
func (g *graph) path(idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = g.nodes[i].step.ID
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
	done := make([]bool, len(g.nodes))
	var depth func(i int) int
	depth = func(i int) int {
		n := g.nodes[i]
		if done[i] {
			return n.stage
		}
		d := 0
		for _, j := range n.deps {
			d = max(d, depth(j)+1)
		}
		n.stage, done[i] = d, true
		return d
	}
	g.stages = nil
	for i := range g.nodes {
		for d := depth(i); len(g.stages) <= d; {
			g.stages = append(g.stages, Stage{Index: len(g.stages)})
		}
	}
	for _, n := range g.nodes {
		g.stages[n.stage].StepIDs = append(g.stages[n.stage].StepIDs, n.step.ID)
	}
}

// ancestors returns every step step i depends on, directly or not, in pipeline order.
func (g *graph) ancestors(i int) []int {
	seen := make([]bool, len(g.nodes))
	var walk func(int)
	walk = func(k int) {
		for _, j := range g.nodes[k].deps {
			if !seen[j] {
				seen[j] = true
				walk(j)
			}
		}
	}
	walk(i)
	var out []int
	for j, ok := range seen {
		if ok {
			out = append(out, j)
		}
	}
	return out
}

// finalAgent reports whether no agent step among within depends on step j: its
// findings are recommendations.
func (g *graph) finalAgent(j int, within []int) bool {
	return !slices.ContainsFunc(g.nodes[j].dependents, func(k int) bool {
		return g.nodes[k].act.agentName() != "" && slices.Contains(within, k)
	})
}
