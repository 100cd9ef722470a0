package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// display shows a run's events as they arrive: plain lines ([progress]) or a
// table redrawn in place on a terminal ([liveView]).
type display interface {
	event(ev *mrswarmv1.Event)
	seq() int64 // the last event shown
	close()     // the final frame; the display writes nothing after it
}

func (p *progress) seq() int64 { return p.lastSeq }
func (p *progress) close()     {}

// newDisplay returns a live view when out is a terminal and plain is unset,
// and plain lines otherwise.
func newDisplay(out io.Writer, run *mrswarmv1.Run, plain bool) display {
	f, ok := out.(*os.File)
	if plain || !ok || !term.IsTerminal(int(f.Fd())) || os.Getenv("TERM") == "dumb" {
		return newProgress(out)
	}
	width := func() int {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			return w
		}
		return 100
	}
	return newLiveView(out, run, width, time.Now, os.Getenv("NO_COLOR") == "")
}

// liveView redraws a table of a run's steps in place: per stage a progress
// bar, per step its status, elapsed time (ticking while it runs, e.g. during
// an LLM call), tokens, LLM and tool calls and result; then run totals.
type liveView struct {
	out   io.Writer
	width func() int
	now   func() time.Time
	color bool
	stop  chan struct{}
	done  chan struct{}

	mu     sync.Mutex // guards the fields below; held while drawing
	run    *mrswarmv1.Run
	rows   map[string]*stepRow
	order  [][]string // step ids by stage
	last   int64      // seq of the last event
	lines  int        // lines of the last frame, to move back over
	frame  int        // frames drawn, for the spinner
	closed bool
}

// stepRow is what the view knows of one step.
type stepRow struct {
	state       *mrswarmv1.StepState
	llmCalls    int32
	toolCalls   int32
	tokens      int64
	startedSeen time.Time // when the view saw it start (no started_at yet)
}

// tick is how often the view redraws while nothing happens, so running
// steps' elapsed times move.
const tick = 200 * time.Millisecond

func newLiveView(out io.Writer, run *mrswarmv1.Run, width func() int, now func() time.Time, color bool) *liveView {
	v := &liveView{out: out, width: width, now: now, color: color, run: run, rows: map[string]*stepRow{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for _, st := range run.GetStages() {
		v.order = append(v.order, st.GetStepIds())
	}
	for _, st := range run.GetSteps() {
		v.rows[st.GetId()] = &stepRow{state: st, llmCalls: st.GetTokens().GetLlmCalls(), toolCalls: st.GetToolCalls(),
			tokens: st.GetTokens().GetTotalTokens()}
	}
	fmt.Fprint(out, "\x1b[?25l") // hide the cursor while redrawing
	v.draw()
	go v.ticker()
	return v
}

func (v *liveView) ticker() {
	defer close(v.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.mu.Lock()
			v.draw()
			v.mu.Unlock()
		}
	}
}

func (v *liveView) seq() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.last
}

func (v *liveView) event(ev *mrswarmv1.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.last = ev.GetSeq()
	if r := ev.GetRun(); r != nil && r.GetId() != "" {
		v.run = r
		for _, st := range r.GetSteps() {
			v.row(st.GetId()).state = st
		}
	}
	if ev.GetStepId() == "" {
		v.draw()
		return
	}
	row := v.row(ev.GetStepId())
	if st := ev.GetStep(); st != nil && st.GetId() != "" {
		row.state = st
		if st.GetTokens().GetLlmCalls() > 0 || st.GetToolCalls() > 0 {
			row.llmCalls, row.toolCalls, row.tokens = st.GetTokens().GetLlmCalls(), st.GetToolCalls(), st.GetTokens().GetTotalTokens()
		}
	}
	switch ev.GetType() {
	case mrswarmv1.EventType_EVENT_TYPE_STEP_STARTED:
		row.startedSeen = ev.GetTime().AsTime()
		if row.state.GetStatus() == mrswarmv1.StepStatus_STEP_STATUS_PENDING || row.state.GetStatus() == 0 {
			row.state = &mrswarmv1.StepState{Id: ev.GetStepId(), Status: mrswarmv1.StepStatus_STEP_STATUS_RUNNING}
		}
	case mrswarmv1.EventType_EVENT_TYPE_LLM_CALL:
		row.llmCalls++
		row.tokens += ev.GetLlmCall().GetPromptTokens() + ev.GetLlmCall().GetCompletionTokens()
	case mrswarmv1.EventType_EVENT_TYPE_TOOL_CALL:
		row.toolCalls++
	}
	v.draw()
}

func (v *liveView) row(id string) *stepRow {
	r, ok := v.rows[id]
	if !ok {
		r = &stepRow{state: &mrswarmv1.StepState{Id: id}}
		v.rows[id] = r
	}
	return r
}

// close stops the ticker and draws the final frame, leaving the cursor below it.
func (v *liveView) close() {
	close(v.stop)
	<-v.done
	v.mu.Lock()
	defer v.mu.Unlock()
	v.draw()
	v.closed = true
	fmt.Fprint(v.out, "\x1b[?25h")
}

// draw replaces the last frame with the current one. Lines are cut to the
// terminal's width so that none wraps and the cursor moves back exactly.
func (v *liveView) draw() {
	if v.closed {
		return
	}
	var b strings.Builder
	if v.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dF", v.lines) // to the start of the frame's first line
	}
	lines := v.render()
	w := v.width()
	for _, l := range lines {
		b.WriteString(v.paint(cut(l.text, w-1), l.style))
		b.WriteString("\x1b[K\n")
	}
	b.WriteString("\x1b[J")
	v.lines = len(lines)
	v.frame++
	io.WriteString(v.out, b.String())
}

// line is one line of a frame and its colour.
type line struct {
	text  string
	style string // an SGR parameter, e.g. "32" for green; "" plain
}

func (v *liveView) paint(s, style string) string {
	if !v.color || style == "" {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

func cut(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	r := []rune(s)
	return string(r[:max(0, w-1)]) + "…"
}
