package llmtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

func TestScriptCallsThenAnswers(t *testing.T) {
	format := `{"anyOf":[
	 {"type":"object","properties":{"action":{"const":"call_tool"},"tool":{"const":"needs_args"},
	  "args":{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]}}},
	 {"type":"object","properties":{"action":{"const":"call_tool"},"tool":{"const":"market_share"},
	  "args":{"type":"object","properties":{}}}},
	 {"type":"object","properties":{"action":{"const":"final"},"summary":{"type":"string"},
	  "findings":{"type":"array","items":{"type":"object","properties":{"text":{"type":"string"},
	  "handles":{"type":"array","items":{"type":"string","enum":["res_1","res_2"]}}}}}}}]}`
	l := &Script{Latency: map[string]time.Duration{"competitive_analyst": 2 * time.Millisecond},
		Agents: map[string]string{"You are the Competitive Intelligence Analyst.": "competitive_analyst"}}
	req := llm.Request{Model: "m", Messages: []llm.Message{
		{Role: "system", Content: "You are the Competitive Intelligence Analyst.\nGoal: ..."}, {Role: "user", Content: "Task: go"}}}
	req.Format = json.RawMessage(format)
	tests := []struct {
		name    string
		history []llm.Message
		want    string
	}{
		{"first turn calls the tool without required args", nil,
			`{"action":"call_tool","args":{},"tool":"market_share"}`},
		{"after a call it answers citing a handle",
			[]llm.Message{{Role: "assistant", Content: `{"action":"call_tool","tool":"market_share","args":{}}`}},
			`{"action":"final","findings":[{"handles":["res_1"],"text":"Scripted finding: no numbers are stated."}],"summary":"Scripted answer for the benchmark of competitive_analyst."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req
			r.Messages = append(append([]llm.Message(nil), req.Messages...), tt.history...)
			resp, err := l.Chat(t.Context(), r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, resp.Message.Content); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	if n := l.Calls("competitive_analyst"); n != 2 {
		t.Errorf("calls of competitive_analyst = %d, want 2", n)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	slow := &Script{Default: time.Hour}
	if _, err := slow.Chat(ctx, req); err == nil {
		t.Error("a canceled chat returned no error")
	}
}

// TestSleepWaitsAtLeastItsDuration: a scripted call never answers before its
// latency, many sleeps at once each wait their own, and a canceled context
// ends a sleep with the context's error instead of after its duration.
func TestSleepWaitsAtLeastItsDuration(t *testing.T) {
	durations := []time.Duration{time.Microsecond, 3 * time.Millisecond, 7 * time.Millisecond, 20 * time.Millisecond}
	errs := make(chan error, len(durations))
	for _, d := range durations {
		go func() {
			start := time.Now()
			err := Sleep(t.Context(), d)
			if took := time.Since(start); err == nil && took < d {
				err = fmt.Errorf("Sleep(%v) returned after %v", d, took)
			}
			errs <- err
		}()
	}
	for range durations {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(5*time.Millisecond, cancel)
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled sleep: %v, want context.Canceled", err)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("zero sleep on a canceled context: %v, want context.Canceled", err)
	}
}
