package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// progress prints one line per run event, timed from the first event seen.
type progress struct {
	out     io.Writer
	start   time.Time
	lastSeq int64
}

func newProgress(out io.Writer) *progress { return &progress{out: out} }

func (p *progress) event(ev *mrswarmv1.Event) {
	t := ev.GetTime().AsTime()
	if p.start.IsZero() {
		p.start = t
	}
	p.lastSeq = ev.GetSeq()
	fmt.Fprintf(p.out, "[%8s] #%-4d %-14s %s\n", fmtDur(t.Sub(p.start)), ev.GetSeq(),
		shortEnum(ev.GetType().String(), "EVENT_TYPE_"), describe(ev))
}

// describe renders what an event says, by type.
func describe(ev *mrswarmv1.Event) string {
	step := ev.GetStepId()
	switch ev.GetType() {
	case mrswarmv1.EventType_EVENT_TYPE_STAGE_STARTED, mrswarmv1.EventType_EVENT_TYPE_STAGE_FINISHED:
		return or(ev.GetMessage(), fmt.Sprintf("stage %d", ev.GetStage()))
	case mrswarmv1.EventType_EVENT_TYPE_STEP_STARTED:
		return or(ev.GetMessage(), stepLabel(step, ev.GetStep()))
	case mrswarmv1.EventType_EVENT_TYPE_LLM_CALL:
		l := ev.GetLlmCall()
		return fmt.Sprintf("%s  turn %d  %s  tokens %d+%d  eval %s  wall %s", step, l.GetTurn(), l.GetModel(),
			l.GetPromptTokens(), l.GetCompletionTokens(), pbDur(l.GetEval()), pbDur(l.GetWall()))
	case mrswarmv1.EventType_EVENT_TYPE_TOOL_CALL:
		tc := ev.GetToolCall()
		res := "-> " + tc.GetHandle()
		if tc.GetError() != "" {
			res = "error: " + tc.GetError()
		}
		return fmt.Sprintf("%s  %s %s %s (%s)", step, tc.GetTool(), tc.GetArgs(), res, pbDur(tc.GetDuration()))
	case mrswarmv1.EventType_EVENT_TYPE_STEP_FINISHED, mrswarmv1.EventType_EVENT_TYPE_STEP_FAILED,
		mrswarmv1.EventType_EVENT_TYPE_STEP_SKIPPED:
		return stepDone(ev)
	case mrswarmv1.EventType_EVENT_TYPE_RUN_FINISHED:
		return or(ev.GetMessage(), shortEnum(ev.GetRun().GetStatus().String(), "RUN_STATUS_"))
	}
	return join(step, ev.GetMessage())
}

func stepLabel(id string, s *mrswarmv1.StepState) string {
	switch {
	case s.GetAgent() != "":
		return fmt.Sprintf("%s (agent %s)", id, s.GetAgent())
	case s.GetKind() != "":
		return fmt.Sprintf("%s (%s)", id, s.GetKind())
	}
	return id
}

func stepDone(ev *mrswarmv1.Event) string {
	s := ev.GetStep()
	line := fmt.Sprintf("%s  %s", ev.GetStepId(), shortEnum(s.GetStatus().String(), "STEP_STATUS_"))
	if tok := s.GetTokens(); tok.GetLlmCalls() > 0 {
		line += fmt.Sprintf("  tokens %d (%d llm calls)", tok.GetTotalTokens(), tok.GetLlmCalls())
	}
	if pr := s.GetProfile(); pr.GetWall() != nil {
		line += fmt.Sprintf("  wall %s llm %s sql %s", pbDur(pr.GetWall()), pbDur(pr.GetLlm()), pbDur(pr.GetSql()))
	}
	if h := s.GetResultHandle(); h != "" {
		line += "  -> " + h
	}
	if e := s.GetError(); e != "" {
		line += "  error: " + e
	}
	return line
}

// printTotals prints a finished run's status, tokens, timings and where its
// report is.
func printTotals(out io.Writer, run *mrswarmv1.Run) {
	tok, pr := run.GetTokens(), run.GetProfile()
	fmt.Fprintf(out, "\nrun %s %s\n", run.GetId(), shortEnum(run.GetStatus().String(), "RUN_STATUS_"))
	fmt.Fprintf(out, "  tokens  %d prompt + %d completion = %d in %d llm calls\n",
		tok.GetPromptTokens(), tok.GetCompletionTokens(), tok.GetTotalTokens(), tok.GetLlmCalls())
	fmt.Fprintf(out, "  time    wall %s  llm %s  sql %s  overhead %s\n",
		pbDur(pr.GetWall()), pbDur(pr.GetLlm()), pbDur(pr.GetSql()), pbDur(pr.GetOverhead()))
	cached := 0
	for _, s := range run.GetSteps() {
		if s.GetStatus() == mrswarmv1.StepStatus_STEP_STATUS_CACHED {
			cached++
		}
	}
	fmt.Fprintf(out, "  steps   %d (%d cached)\n", len(run.GetSteps()), cached)
	for _, e := range run.GetErrors() {
		fmt.Fprintf(out, "  error   %s\n", e)
	}
	if h := run.GetReportHandle(); h != "" {
		fmt.Fprintf(out, "  report  %s: mrswarm report %s  (or mrswarm show %s)\n", h, run.GetId(), h)
	}
}

// printRuns lists runs; WALL of a run still going is its time so far.
func printRuns(out io.Writer, runs []*mrswarmv1.Run, now time.Time) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATUS\tDATASET\tPIPELINE\tSTEPS\tTOKENS\tWALL\tCREATED\tREPORT")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.GetId(), shortEnum(r.GetStatus().String(), "RUN_STATUS_"),
			r.GetDataset(), r.GetPipeline().GetName(), len(r.GetSteps()), r.GetTokens().GetTotalTokens(),
			fmtDur(runWall(r, now)), r.GetCreatedAt().AsTime().Local().Format("2006-01-02 15:04:05"), r.GetReportHandle())
	}
	tw.Flush()
}

// runWall is a finished run's wall time, or the time since a pending or
// running run was created.
func runWall(r *mrswarmv1.Run, now time.Time) time.Duration {
	switch r.GetStatus() {
	case mrswarmv1.RunStatus_RUN_STATUS_PENDING, mrswarmv1.RunStatus_RUN_STATUS_RUNNING:
		if r.GetCreatedAt() != nil {
			return max(0, now.Sub(r.GetCreatedAt().AsTime()))
		}
	}
	return r.GetProfile().GetWall().AsDuration()
}

func shortEnum(s, prefix string) string { return strings.ToLower(strings.TrimPrefix(s, prefix)) }

// or returns a unless it is empty, else b.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	if a == "" {
		return b
	}
	return a + "  " + b
}

func pbDur(d *durationpb.Duration) string { return fmtDur(d.AsDuration()) }

// fmtDur rounds a duration for display to about three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
