package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// cmdPresets lists the preset pipelines: mrswarm presets [-v].
func cmdPresets(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("presets", errOut)
	verbose := fs.Bool("v", false, "list each preset's steps with their dependencies")
	if _, err := parseArgs(fs, args, 0, 0, "[-v]"); err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	presets, err := c.Presets(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PRESET\tSTEPS\tDESCRIPTION")
	for _, p := range presets {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", p.GetName(), len(p.GetSteps()), firstLine(p.GetDescription()))
		if *verbose {
			for _, s := range p.GetSteps() {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.GetId(), stepKind(s), after(s.GetDependsOn()))
			}
		}
	}
	return tw.Flush()
}

// stepKind names what a pipeline step runs.
func stepKind(s *mrswarmv1.Step) string {
	switch {
	case s.GetAgent() != nil:
		return "agent " + s.GetAgent().GetAgent()
	case s.GetTool() != nil:
		return "tool " + s.GetTool().GetTool()
	case s.GetSql() != nil:
		return "sql"
	case s.GetReport() != nil:
		return "report"
	}
	return ""
}

func after(deps []string) string {
	if len(deps) == 0 {
		return ""
	}
	return "after " + strings.Join(deps, ", ")
}

// cmdAgents lists the agents: mrswarm agents [-v].
func cmdAgents(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("agents", errOut)
	verbose := fs.Bool("v", false, "print each agent's goal")
	if _, err := parseArgs(fs, args, 0, 0, "[-v]"); err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, cf.timeout)
	defer cancel()
	resp, err := mrswarmv1.NewPipelineServiceClient(c.Conn()).ListAgents(ctx, &mrswarmv1.ListAgentsRequest{})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AGENT\tROLE\tSTEPS\tTOOLS")
	for _, a := range resp.GetAgents() {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", a.GetName(), a.GetRole(), a.GetMaxSteps(), strings.Join(a.GetTools(), ","))
		if *verbose {
			fmt.Fprintf(tw, "\tgoal: %s\t\t\n", firstLine(a.GetGoal()))
		}
	}
	return tw.Flush()
}
