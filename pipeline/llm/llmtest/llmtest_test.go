package llmtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// TestScriptAnswersEachFormatItsOwnWay: answers are kept by agent, format and
// whether a tool was called, so a later turn with other handles to cite gets
// its own answer, not the one kept for the first format.
func TestScriptAnswersEachFormatItsOwnWay(t *testing.T) {
	final := func(handle string) json.RawMessage {
		return json.RawMessage(`{"type":"object","properties":{"action":{"const":"final"},"findings":{"type":"array",
		 "items":{"type":"object","properties":{"handles":{"type":"array","items":{"type":"string","enum":["` + handle + `"]}}}}}}}`)
	}
	l := &Script{Agents: map[string]string{"You are the Data Analyst.": "data_analyst"}}
	msgs := []llm.Message{{Role: "system", Content: "You are the Data Analyst."}, {Role: "user", Content: "Task: go"}}
	for i, handle := range []string{"res_1", "res_2", "res_1", "res_2"} {
		resp, err := l.Chat(t.Context(), llm.Request{Model: "m", Messages: msgs, Format: final(handle)})
		if err != nil {
			t.Fatal(err)
		}
		if want := `"handles":["` + handle + `"]`; !strings.Contains(resp.Message.Content, want) {
			t.Errorf("call %d: answer %s does not cite %s", i+1, resp.Message.Content, handle)
		}
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
