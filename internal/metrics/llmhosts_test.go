package metrics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
)

func TestLLMHostsObserve(t *testing.T) {
	h := New(nil).LLMHosts()
	const a, b = "http://a:11434", "http://b:8000/v1"
	h.Observe(pool.Call{Host: a, Wall: 3 * time.Second, Usage: llm.Usage{CompletionTokens: 100, EvalDuration: 2 * time.Second}})
	h.Observe(pool.Call{Host: b, Wall: 4 * time.Second, Usage: llm.Usage{CompletionTokens: 100}}) // no eval time: wall
	h.Observe(pool.Call{Host: a, Wall: time.Second, Err: context.Canceled})
	h.Observe(pool.Call{Host: b, Wall: time.Second, Err: errors.Join(llm.ErrUnavailable)})
	tests := []struct {
		name      string
		got, want float64
	}{
		{"calls a", testutil.ToFloat64(h.calls.WithLabelValues(a)), 2},
		{"errors a (a cancelled call is none)", testutil.ToFloat64(h.errors.WithLabelValues(a)), 0},
		{"errors b", testutil.ToFloat64(h.errors.WithLabelValues(b)), 1},
		{"tokens a", testutil.ToFloat64(h.tokens.WithLabelValues(a)), 100},
		{"generation seconds a", testutil.ToFloat64(h.genSeconds.WithLabelValues(a)), 2},
		{"tokens/s a (eval time)", testutil.ToFloat64(h.tokensPerSec.WithLabelValues(a)), 50},
		{"tokens/s b (wall time)", testutil.ToFloat64(h.tokensPerSec.WithLabelValues(b)), 25},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
