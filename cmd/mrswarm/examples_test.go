package main

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// TestErrorExamplesParse keeps the examples that errors show valid.
func TestErrorExamplesParse(t *testing.T) {
	p := &mrswarmv1.Pipeline{}
	if err := protojson.Unmarshal([]byte(pipelineExample), p); err != nil || len(p.GetSteps()) != 4 {
		t.Errorf("pipelineExample: %v (%d steps)", err, len(p.GetSteps()))
	}
	if _, err := parseToolArgs(toolArgsExample); err != nil {
		t.Errorf("the tool arguments example: %v", err)
	}
}
