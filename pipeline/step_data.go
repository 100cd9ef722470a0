package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/sql/tools"
)

// toolAction calls a tool directly.
type toolAction struct{ ToolStep }

func (toolAction) checkRun(string, *runSpec) []string { return nil }
func (toolAction) needsTools() bool                   { return true }
func (toolAction) isData() bool                       { return true }
func (toolAction) isReport() bool                     { return false }
func (toolAction) kind() string                       { return KindTool }
func (a toolAction) describe() string                 { return "tool " + a.Tool }
func (toolAction) agentName() string                  { return "" }
func (toolAction) handOff(o outcome) []string         { return []string{o.resultHandle} }

func (a toolAction) check(name string, c checkContext) []string {
	var problems []string
	if !c.tools[a.Tool] {
		problems = append(problems, fmt.Sprintf("%s: unknown tool %q", name, a.Tool))
	}
	if len(a.Args) > 0 && !json.Valid(a.Args) {
		problems = append(problems, name+": tool args are not valid JSON")
	}
	return problems
}

// checkData reports a tool the dataset cannot support or arguments that do not
// match the tool's schema on it.
func (a toolAction) checkData(name string, infos map[string]tools.Info) []string {
	info, ok := infos[a.Tool]
	switch {
	case !ok || len(a.Args) > 0 && !json.Valid(a.Args):
		return nil // reported by check
	case !info.Available:
		return []string{fmt.Sprintf("%s: tool %s is not available: %s", name, info.Name, info.Reason)}
	}
	if err := validateArgs(info.Schema, a.Args); err != nil {
		return []string{fmt.Sprintf("%s: tool %s args: %v", name, info.Name, err)}
	}
	return nil
}

func (a toolAction) memo(in *memoInput, _ *runSpec) {
	in.Tool, in.Args = a.Tool, compactJSON(a.Args)
}

func (a toolAction) run(ctx context.Context, sc *stepContext) outcome {
	start := time.Now()
	sum, err := sc.spec.tools.Call(ctx, a.Tool, a.Args)
	d := time.Since(start)
	sc.emitTool(a.Tool, string(a.Args), sum.Handle, d, err)
	if err != nil {
		return outcome{sql: d, toolCalls: 1, err: fmt.Errorf("tool %s: %w", a.Tool, err)}
	}
	return resultOutcome(sum, d, 1)
}

// sqlAction is a read-only SQL cell.
type sqlAction struct{ SQLStep }

func (sqlAction) checkRun(string, *runSpec) []string               { return nil }
func (sqlAction) needsTools() bool                                 { return false }
func (sqlAction) isData() bool                                     { return true }
func (sqlAction) isReport() bool                                   { return false }
func (sqlAction) kind() string                                     { return KindSQL }
func (sqlAction) describe() string                                 { return KindSQL }
func (sqlAction) agentName() string                                { return "" }
func (sqlAction) handOff(o outcome) []string                       { return []string{o.resultHandle} }
func (sqlAction) checkData(string, map[string]tools.Info) []string { return nil }
func (a sqlAction) memo(in *memoInput, _ *runSpec)                 { in.SQL = a.SQL }

func (a sqlAction) check(name string, _ checkContext) []string {
	if strings.TrimSpace(a.SQL) == "" {
		return []string{name + ": empty sql"}
	}
	return nil
}

func (a sqlAction) run(ctx context.Context, sc *stepContext) outcome {
	start := time.Now()
	sum, err := sc.spec.st.RunSQL(ctx, a.SQL)
	d := time.Since(start)
	if err != nil {
		return outcome{sql: d, err: fmt.Errorf("sql: %w", err)}
	}
	return resultOutcome(sum, d, 0)
}
