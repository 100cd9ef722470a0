package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// errRunNotSucceeded is returned by run and watch for a run that did not succeed.
var errRunNotSucceeded = errors.New("run did not succeed")

// runFlags are the flags of mrswarm run.
type runFlags struct {
	dataset, preset, file                    string
	audience, duration, goals, focus, brands string
	budget                                   float64
	force                                    bool
	model, contextMode, toolMode             string
	maxParallel                              int
	plain                                    bool
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataset, "dataset", "", "`name` of the dataset to analyse (required)")
	fs.StringVar(&f.preset, "preset", "", "preset `pipeline`, e.g. campaign_optimization")
	fs.StringVar(&f.file, "file", "", "pipeline JSON `file` (a mrswarm.v1.Pipeline) instead of a preset")
	fs.StringVar(&f.audience, "audience", "", "target audience")
	fs.Float64Var(&f.budget, "budget", 0, "campaign budget")
	fs.StringVar(&f.duration, "duration", "", "campaign duration, e.g. \"6 months\"")
	fs.StringVar(&f.goals, "goals", "", "campaign goals")
	fs.StringVar(&f.focus, "focus", "", "analysis focus")
	fs.StringVar(&f.brands, "brands", "", "comma-separated `brands` to focus on")
	fs.BoolVar(&f.force, "force", false, "re-run every step, ignoring memoized results")
	fs.StringVar(&f.model, "model", "", "Ollama `model` of agent steps (default: the server's)")
	fs.StringVar(&f.contextMode, "context", "", "prompt context: handles (default) or full")
	fs.StringVar(&f.toolMode, "tool-mode", "", "agent tool calls: schema (default), native or auto")
	fs.IntVar(&f.maxParallel, "max-parallel", 0, "steps running at once (default: the server's)")
	fs.BoolVar(&f.plain, "plain", false, "print one line per event even on a terminal")
}

// request builds the StartRunRequest the flags describe.
func (f *runFlags) request() (*mrswarmv1.StartRunRequest, error) {
	if f.dataset == "" || (f.preset == "") == (f.file == "") {
		return nil, usageError{errors.New("want --dataset and exactly one of --preset or --file")}
	}
	req := &mrswarmv1.StartRunRequest{
		Dataset: f.dataset,
		Inputs: &mrswarmv1.RunInputs{TargetAudience: f.audience, Budget: f.budget, Duration: f.duration,
			CampaignGoals: f.goals, AnalysisFocus: f.focus, Brands: splitList(f.brands)},
		Options: &mrswarmv1.RunOptions{Force: f.force, Model: f.model, MaxParallel: int32(f.maxParallel)},
	}
	if err := f.modes(req.Options); err != nil {
		return nil, err
	}
	if f.preset != "" {
		req.Source = &mrswarmv1.StartRunRequest_Preset{Preset: f.preset}
		return req, nil
	}
	b, err := os.ReadFile(f.file)
	if err != nil {
		return nil, err
	}
	p := &mrswarmv1.Pipeline{}
	if err := protojson.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("pipeline file %s: %w; it holds one mrswarm.v1.Pipeline as JSON, e.g.\n%s", f.file, err, pipelineExample)
	}
	req.Source = &mrswarmv1.StartRunRequest_Pipeline{Pipeline: p}
	return req, nil
}

// pipelineExample is the form of a --file pipeline, shown when one is malformed.
const pipelineExample = `  {"name": "mine", "steps": [
    {"id": "kpis", "tool": {"tool": "kpi_summary", "args": {}}},
    {"id": "top", "sql": {"sql": "SELECT brand, sum(total_revenue) AS revenue FROM beverage_sales GROUP BY ALL"}},
    {"id": "analyst", "depends_on": ["kpis", "top"], "agent": {"agent": "data_analyst"}},
    {"id": "report", "depends_on": ["analyst"], "report": {"title": "Mine"}}]}`

func (f *runFlags) modes(o *mrswarmv1.RunOptions) error {
	if f.contextMode != "" {
		v, ok := mrswarmv1.ContextMode_value["CONTEXT_MODE_"+strings.ToUpper(f.contextMode)]
		if !ok {
			return usageError{fmt.Errorf("--context %q: want handles or full", f.contextMode)}
		}
		o.ContextMode = mrswarmv1.ContextMode(v)
	}
	if f.toolMode != "" {
		v, ok := mrswarmv1.ToolMode_value["TOOL_MODE_"+strings.ToUpper(f.toolMode)]
		if !ok {
			return usageError{fmt.Errorf("--tool-mode %q: want schema, native or auto", f.toolMode)}
		}
		o.ToolMode = mrswarmv1.ToolMode(v)
	}
	return nil
}

// cmdRun starts a run and streams its progress: mrswarm run --dataset D --preset P.
func cmdRun(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("run", errOut)
	var rf runFlags
	rf.register(fs)
	if _, err := parseArgs(fs, args, 0, 0, "--dataset D (--preset P | --file pipeline.json) [--audience A --budget B --brands a,b --force]"); err != nil {
		return err
	}
	req, err := rf.request()
	if err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	started, err := c.Start(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "run %s: %d steps in %d stages on dataset %s\n", started.GetRunId(),
		len(started.GetPipeline().GetSteps()), len(started.GetStages()), req.GetDataset())
	for _, st := range started.GetStages() {
		fmt.Fprintf(out, "  stage %d: %s\n", st.GetIndex(), strings.Join(st.GetStepIds(), ", "))
	}
	return follow(ctx, c, out, started.GetRunId(), 0, rf.plain)
}

// cmdWatch follows a run from a sequence number: mrswarm watch RUN_ID [--after N].
func cmdWatch(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("watch", errOut)
	after := fs.Int64("after", 0, "show events after sequence `number` N")
	plain := fs.Bool("plain", false, "print one line per event even on a terminal")
	pos, err := parseArgs(fs, args, 1, 1, "RUN_ID [--after N] [--plain]")
	if err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return follow(ctx, c, out, pos[0], *after, *plain)
}

// follow shows a run's events until it ends (a live table on a terminal
// unless plain, else one line per event), then its totals; it fails unless
// the run succeeded.
func follow(ctx context.Context, c *mrswarm.Client, out io.Writer, runID string, after int64, plain bool) error {
	run, err := c.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	d := newDisplay(out, run, plain)
	for ev, err := range c.Watch(ctx, runID, after) {
		if ctx.Err() != nil {
			d.close()
			fmt.Fprintf(out, "stopped watching; the run goes on: mrswarm watch %s --after %d  |  mrswarm cancel %s\n", runID, d.seq(), runID)
			return ctx.Err()
		}
		if err != nil {
			d.close()
			return err
		}
		d.event(ev)
	}
	d.close()
	if run, err = c.GetRun(ctx, runID); err != nil {
		return err
	}
	printTotals(out, run)
	if run.GetStatus() != mrswarmv1.RunStatus_RUN_STATUS_SUCCEEDED {
		return fmt.Errorf("%w: %s is %s", errRunNotSucceeded, runID, shortEnum(run.GetStatus().String(), "RUN_STATUS_"))
	}
	return nil
}

// cmdReport prints a run's report: mrswarm report [--html] RUN_ID, markdown
// by default, with --html one self-contained HTML document.
func cmdReport(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("report", errOut)
	file := fs.String("o", "", "write the report to `file` instead of stdout")
	asHTML := fs.Bool("html", false, "one self-contained HTML document (inline charts and styles) instead of markdown")
	pos, err := parseArgs(fs, args, 1, 1, "[--html] RUN_ID [-o report.md]")
	if err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	report, doc := c.Report, (*mrswarmv1.RunReport).GetMarkdown
	if *asHTML {
		report, doc = c.ReportHTML, (*mrswarmv1.RunReport).GetHtml
	}
	rep, err := report(ctx, pos[0])
	if err != nil {
		return err
	}
	if *file != "" {
		if err := os.WriteFile(*file, []byte(doc(rep)), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "report of %s (handle %s) written to %s\n", rep.GetRunId(), rep.GetHandle(), *file)
		return nil
	}
	_, err = io.WriteString(out, doc(rep))
	return err
}

// cmdRuns lists recent runs: mrswarm runs [--limit N].
func cmdRuns(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("runs", errOut)
	limit := fs.Int("limit", 20, "list at most `N` runs")
	if _, err := parseArgs(fs, args, 0, 0, "[--limit N]"); err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	runs, err := c.Runs(ctx, *limit)
	if err != nil {
		return err
	}
	printRuns(out, runs, time.Now())
	return nil
}

// cmdCancel cancels a run: mrswarm cancel RUN_ID.
func cmdCancel(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("cancel", errOut)
	pos, err := parseArgs(fs, args, 1, 1, "RUN_ID")
	if err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	run, err := c.Cancel(ctx, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "run %s: %s\n", run.GetId(), shortEnum(run.GetStatus().String(), "RUN_STATUS_"))
	return nil
}
