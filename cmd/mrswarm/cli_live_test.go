package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/server/servertest"
)

// ansi matches the escape sequences the live view writes.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// onTerminal runs one command line with stdout and stderr on a pseudo-terminal
// of 120 columns and returns its exit code and everything the terminal got.
func onTerminal(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&got, ptmx) // ends with EIO once the terminal side is closed
		close(copied)
	}()
	code := run(t.Context(), args, tty, tty)
	tty.Close()
	<-copied
	return code, strings.ReplaceAll(got.String(), "\r\n", "\n")
}

// TestLiveViewOnTerminal runs a pipeline on a pseudo-terminal: the step table
// is redrawn in place (the cursor moves back over the last frame) and the
// output ends with the final table, every step succeeded, then the totals.
func TestLiveViewOnTerminal(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Beverage: true})
	mustCLI(t, srv.GRPCAddr, "load", "beverage", servertest.BeverageFile)
	file := filepath.Join(t.TempDir(), "p.json")
	writeTestFile(t, file, `{"name": "live", "steps": [
		{"id": "kpis", "tool": {"tool": "kpi_summary"}},
		{"id": "share", "tool": {"tool": "market_share"}},
		{"id": "top", "depends_on": ["kpis"], "sql": {"sql": "SELECT brand, sum(total_revenue) AS revenue FROM beverage GROUP BY brand"}},
		{"id": "report", "depends_on": ["top", "share"], "report": {"title": "Live"}}]}`)

	code, out := onTerminal(t, "--addr", srv.GRPCAddr, "run", "--dataset", "beverage", "--file", file, "--force")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	redraws := regexp.MustCompile(`\x1b\[(\d+)F`).FindAllStringSubmatch(out, -1)
	if len(redraws) < 2 {
		t.Fatalf("the table was drawn %d times in place, want a redraw per event:\n%q", len(redraws)+1, out)
	}
	if strings.Contains(out, "#1 ") || strings.Contains(out, "run_started") {
		t.Errorf("plain event lines on a terminal:\n%s", ansi.ReplaceAllString(out, ""))
	}
	last := strings.LastIndex(out, redraws[len(redraws)-1][0])
	final, totals, ok := strings.Cut(ansi.ReplaceAllString(out[last:], ""), "\nrun run_")
	if !ok {
		t.Fatalf("no totals after the final table:\n%s", ansi.ReplaceAllString(out[last:], ""))
	}
	for _, want := range []string{"live on beverage · succeeded", "stage 1/3 ████████████████████████ 2/2",
		"stage 3/3 ████████████████████████ 1/1", "4/4 steps"} {
		if !strings.Contains(final, want) {
			t.Errorf("final table lacks %q:\n%s", want, final)
		}
	}
	for _, step := range []string{"kpis", "share", "top", "report"} {
		if !regexp.MustCompile(`✓ ` + step + ` +succeeded .*→ res_`).MatchString(final) {
			t.Errorf("final table has no succeeded row for %s:\n%s", step, final)
		}
	}
	if !strings.Contains(totals, "succeeded") || !strings.Contains(out, "\x1b[?25h") {
		t.Errorf("after the table: %q (and the cursor must be shown again)", totals)
	}
}

// TestLiveViewTicks draws frames of a running step at later times: its elapsed
// time moves without any event (what a user sees during a long LLM call), and
// its tokens and calls count the events seen so far.
func TestLiveViewTicks(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := start
	run := &mrswarmv1.Run{Id: "run_1", Dataset: "d", CreatedAt: timestamppb.New(start),
		Pipeline: &mrswarmv1.Pipeline{Name: "p"},
		Stages:   []*mrswarmv1.Stage{{Index: 0, StepIds: []string{"analyst"}}},
		Steps:    []*mrswarmv1.StepState{{Id: "analyst", Status: mrswarmv1.StepStatus_STEP_STATUS_PENDING}}}
	var out bytes.Buffer
	v := &liveView{out: &out, width: func() int { return 120 }, now: func() time.Time { return now }, run: run,
		rows: map[string]*stepRow{"analyst": {state: run.Steps[0]}}, order: [][]string{{"analyst"}}}
	v.event(&mrswarmv1.Event{Seq: 1, Type: mrswarmv1.EventType_EVENT_TYPE_STEP_STARTED, StepId: "analyst", Time: timestamppb.New(start),
		Step: &mrswarmv1.StepState{Id: "analyst", Status: mrswarmv1.StepStatus_STEP_STATUS_RUNNING, StartedAt: timestamppb.New(start)}})
	v.event(&mrswarmv1.Event{Seq: 2, Type: mrswarmv1.EventType_EVENT_TYPE_LLM_CALL, StepId: "analyst",
		LlmCall: &mrswarmv1.LLMCall{PromptTokens: 900, CompletionTokens: 40, Wall: durationpb.New(time.Second)}})
	frame := func(at time.Duration) string {
		now = start.Add(at)
		out.Reset()
		v.draw()
		return ansi.ReplaceAllString(out.String(), "")
	}
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{{1500 * time.Millisecond, "1.5s"}, {4200 * time.Millisecond, "4.2s"}} {
		got := frame(tc.at)
		if !regexp.MustCompile(`analyst +running +` + regexp.QuoteMeta(tc.want) + ` +940 tok +1 llm +0 tool`).MatchString(got) {
			t.Errorf("at +%v the frame shows:\n%s\nwant the running step at %s with 940 tokens in 1 llm call", tc.at, got, tc.want)
		}
	}
}

// TestDisplayPlainOffTerminal: output to a file (not a terminal) stays one
// line per event.
func TestDisplayPlainOffTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := newDisplay(f, &mrswarmv1.Run{}, false).(*progress); !ok {
		t.Error("a file got the live view, want plain lines")
	}
}
