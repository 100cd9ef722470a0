package pipeline

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// eventKeys reduces events to what identifies them.
func eventKeys(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, string(ev.Type)+"/"+ev.StepID)
	}
	return out
}

func seqs(evs []Event) []int64 {
	var out []int64
	for _, ev := range evs {
		out = append(out, ev.Seq)
	}
	return out
}

func TestWatchReattach(t *testing.T) {
	st := newStore(t)
	m := newScript(nil)
	m.def = behaviour{latency: 20 * time.Millisecond, useTool: true}
	r := newTestRunner(t, st, m, 2)
	run, err := r.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: campaign(t)})
	if err != nil {
		t.Fatal(err)
	}
	// A client reads a few live events, drops, and re-attaches from the last seq it saw.
	errDrop := errors.New("drop")
	var first []Event
	err = r.Watch(t.Context(), run.ID, 0, func(ev Event) error {
		first = append(first, ev)
		if len(first) == 5 {
			return errDrop
		}
		return nil
	})
	if !errors.Is(err, errDrop) {
		t.Fatalf("watch: %v", err)
	}
	var rest []Event
	if err := r.Watch(t.Context(), run.ID, first[len(first)-1].Seq, func(ev Event) error {
		rest = append(rest, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	all := append(first, rest...)
	for i, ev := range all {
		if ev.Seq != int64(i+1) || ev.RunID != run.ID {
			t.Fatalf("event %d has seq %d run %s: want dense seq from 1 (%v)", i, ev.Seq, ev.RunID, seqs(all))
		}
	}
	if last := all[len(all)-1]; last.Type != EventRunFinished || last.Run == nil || last.Run.Status != RunSucceeded {
		t.Fatalf("last event %s, run %+v", last.Type, last.Run)
	}

	// After the run is stored: replay from storage, from any seq, through a new Runner too.
	if err := r.Wait(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
	fresh := newTestRunner(t, st, m, 2)
	for _, after := range []int64{0, 3, int64(len(all)) - 1, int64(len(all))} {
		for name, rr := range map[string]*Runner{"same runner": r, "new runner": fresh} {
			var got []Event
			if err := rr.Watch(t.Context(), run.ID, after, func(ev Event) error { got = append(got, ev); return nil }); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(eventKeys(all[after:]), eventKeys(got)); diff != "" {
				t.Errorf("%s, after %d (-want +got):\n%s", name, after, diff)
			}
			if diff := cmp.Diff(seqs(all[after:]), seqs(got)); diff != "" {
				t.Errorf("%s, after %d seqs (-want +got):\n%s", name, after, diff)
			}
		}
	}
}

func TestWatchEndsWithContext(t *testing.T) {
	st := newStore(t)
	m := newScript(map[string]behaviour{"data_analyst": {block: true}})
	r := newTestRunner(t, st, m, 2)
	run, err := r.Start(t.Context(), StartRequest{Dataset: testDataset, Pipeline: chain("a:data_analyst")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	n := 0
	err = r.Watch(ctx, run.ID, 0, func(Event) error { n++; return nil })
	if !errors.Is(err, context.DeadlineExceeded) || n == 0 {
		t.Errorf("watch of a blocked run: %v after %d events; want deadline exceeded after some events", err, n)
	}
}

// TestOnEventHook: the runner's hook sees every event of every run once, in
// order, by the time run_finished reaches watchers, and LLM-call events name
// the agent that made them.
func TestOnEventHook(t *testing.T) {
	st := newStore(t)
	var mu sync.Mutex
	seen := map[string][]Event{}
	r := NewRunner(st, newScript(nil), Config{DefaultModel: "scripted", Logger: quietLogger(),
		OnEvent: func(ev Event) {
			mu.Lock()
			defer mu.Unlock()
			seen[ev.RunID] = append(seen[ev.RunID], ev)
		}})
	t.Cleanup(func() { r.Close(context.WithoutCancel(t.Context())) })
	for range 2 {
		run, events := runToEnd(t, r, StartRequest{Pipeline: chain("a:data_analyst", "b:campaign_optimizer<a"),
			Options: Options{Force: true}})
		mu.Lock()
		got := seen[run.ID]
		mu.Unlock()
		if len(got) != len(events) {
			t.Fatalf("hook saw %d events, the watcher %d", len(got), len(events))
		}
		agents := map[string]string{"a": "data_analyst", "b": "campaign_optimizer"}
		llmCalls := 0
		for i, ev := range got {
			if ev.Seq != events[i].Seq || ev.Type != events[i].Type {
				t.Errorf("hook event %d: seq %d %s, watcher: seq %d %s", i, ev.Seq, ev.Type, events[i].Seq, events[i].Type)
			}
			if ev.Type == EventLLMCall {
				llmCalls++
				if ev.LLM.Agent != agents[ev.StepID] {
					t.Errorf("llm_call of step %s names agent %q, want %q", ev.StepID, ev.LLM.Agent, agents[ev.StepID])
				}
			}
		}
		if llmCalls == 0 {
			t.Error("the hook saw no llm_call")
		}
	}
}
