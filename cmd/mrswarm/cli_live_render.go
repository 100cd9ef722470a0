package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// spinner frames of a running step.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// stepLook is how a step status is shown: icon, label and colour.
var stepLook = map[mrswarmv1.StepStatus]struct{ icon, style string }{
	mrswarmv1.StepStatus_STEP_STATUS_PENDING:   {"·", "2"},
	mrswarmv1.StepStatus_STEP_STATUS_SUCCEEDED: {"✓", "32"},
	mrswarmv1.StepStatus_STEP_STATUS_CACHED:    {"✓", "36"},
	mrswarmv1.StepStatus_STEP_STATUS_FAILED:    {"✗", "31"},
	mrswarmv1.StepStatus_STEP_STATUS_SKIPPED:   {"-", "2"},
	mrswarmv1.StepStatus_STEP_STATUS_CANCELED:  {"⊘", "33"},
}

// render returns the current frame: the run line, per stage a progress bar
// and its steps, and the run totals.
func (v *liveView) render() []line {
	now := v.now()
	idw := 4
	for id := range v.rows {
		idw = min(max(idw, len(id)), 32)
	}
	lines := []line{v.runLine(now)}
	for i, ids := range v.order {
		lines = append(lines, v.stageLine(i, ids))
		for _, id := range ids {
			lines = append(lines, v.stepLine(v.rows[id], idw, now))
		}
	}
	return append(lines, v.totalsLine())
}

func (v *liveView) runLine(now time.Time) line {
	r := v.run
	elapsed := now.Sub(r.GetCreatedAt().AsTime())
	if w := r.GetProfile().GetWall(); w != nil && r.GetFinishedAt() != nil {
		elapsed = w.AsDuration()
	}
	status := shortEnum(r.GetStatus().String(), "RUN_STATUS_")
	return line{text: fmt.Sprintf("run %s · %s on %s · %s · %s", r.GetId(), r.GetPipeline().GetName(), r.GetDataset(),
		status, fmtDur(elapsed.Round(100*time.Millisecond))), style: "1"}
}

// stageLine is a stage's progress bar: finished steps of its steps.
func (v *liveView) stageLine(i int, ids []string) line {
	done := 0
	for _, id := range ids {
		if finished(v.rows[id].state.GetStatus()) {
			done++
		}
	}
	const width = 24
	fill := done * width / max(1, len(ids))
	bar := strings.Repeat("█", fill) + strings.Repeat("░", width-fill)
	return line{text: fmt.Sprintf("stage %d/%d %s %d/%d", i+1, len(v.order), bar, done, len(ids)), style: "1"}
}

func (v *liveView) stepLine(r *stepRow, idw int, now time.Time) line {
	st := r.state
	look, ok := stepLook[st.GetStatus()]
	if !ok { // running or not started yet
		look.icon, look.style = "·", "2"
	}
	if st.GetStatus() == mrswarmv1.StepStatus_STEP_STATUS_RUNNING {
		look.icon, look.style = spinner[v.frame%len(spinner)], "36;1"
	}
	text := fmt.Sprintf("  %s %-*s %-9s %8s %9s tok %3d llm %3d tool", look.icon, idw, cut(st.GetId(), idw),
		shortEnum(st.GetStatus().String(), "STEP_STATUS_"), elapsed(r, now), thousands(r.tokens), r.llmCalls, r.toolCalls)
	switch {
	case st.GetError() != "":
		text += "  " + st.GetError()
	case st.GetResultHandle() != "":
		text += "  → " + st.GetResultHandle()
	}
	return line{text: text, style: look.style}
}

// elapsed is a finished step's wall time, or the time since a running step
// started.
func elapsed(r *stepRow, now time.Time) string {
	st := r.state
	switch {
	case st.GetStatus() == mrswarmv1.StepStatus_STEP_STATUS_RUNNING:
		start := r.startedSeen
		if t := st.GetStartedAt(); t != nil && !t.AsTime().IsZero() && t.AsTime().Unix() > 0 {
			start = t.AsTime()
		}
		if start.IsZero() {
			return ""
		}
		return fmtDur(now.Sub(start).Round(100 * time.Millisecond))
	case st.GetProfile().GetWall() != nil:
		return pbDur(st.GetProfile().GetWall())
	}
	return ""
}

func (v *liveView) totalsLine() line {
	done, total := 0, 0
	var tokens int64
	var calls int32
	for _, r := range v.rows {
		total++
		tokens += r.tokens
		calls += r.llmCalls
		if finished(r.state.GetStatus()) {
			done++
		}
	}
	if t := v.run.GetTokens(); t.GetLlmCalls() > 0 {
		tokens, calls = t.GetTotalTokens(), t.GetLlmCalls()
	}
	text := fmt.Sprintf("%d/%d steps · %s tokens in %d LLM calls", done, total, thousands(tokens), calls)
	if p := v.run.GetProfile(); p.GetWall() != nil {
		text += fmt.Sprintf(" · llm %s sql %s overhead %s", pbDur(p.GetLlm()), pbDur(p.GetSql()), pbDur(p.GetOverhead()))
	}
	return line{text: text}
}

// finished reports whether a step status is final.
func finished(s mrswarmv1.StepStatus) bool {
	return s >= mrswarmv1.StepStatus_STEP_STATUS_SUCCEEDED
}

// thousands formats n with comma separators: 12345 → 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
