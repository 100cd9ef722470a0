package llm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// capsServer answers Capabilities from a map and counts the questions per model.
type capsServer struct {
	caps  map[string][]string
	asked map[string]int
}

func (s *capsServer) Chat(context.Context, llm.Request) (llm.Response, error) {
	return llm.Response{}, nil
}

func (s *capsServer) Capabilities(_ context.Context, model string) ([]string, error) {
	s.asked[model]++
	c, ok := s.caps[model]
	if !ok {
		return nil, llm.ErrModelNotFound
	}
	return c, nil
}

func TestCapabilityCacheAsksOncePerModel(t *testing.T) {
	srv := &capsServer{caps: map[string][]string{"a": {llm.CapabilityTools}, "b": {llm.CapabilityCompletion}},
		asked: map[string]int{}}
	c := llm.NewCapabilityCache(srv)
	for range 3 {
		for _, m := range []string{"a", "b", "missing"} {
			got, err := c.Capabilities(t.Context(), m)
			if m == "missing" {
				if !errors.Is(err, llm.ErrModelNotFound) {
					t.Errorf("missing model: err %v, want ErrModelNotFound", err)
				}
				continue
			}
			if err != nil || !cmp.Equal(got, srv.caps[m]) {
				t.Errorf("model %s: %v, %v; want %v", m, got, err, srv.caps[m])
			}
		}
	}
	// Errors are not cached: a model pulled later is seen.
	want := map[string]int{"a": 1, "b": 1, "missing": 3}
	if diff := cmp.Diff(want, srv.asked); diff != "" {
		t.Errorf("questions per model (-want +got):\n%s", diff)
	}
}
