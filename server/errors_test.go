package server

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/report/chart"
	"github.com/mrswarm/mrswarm/sql/store"
)

func TestToStatus(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("load dataset %q: %w", "sales", err) }
	tests := []struct {
		name     string
		err      error
		want     codes.Code
		wantText string // "" means the error's own text
	}{
		{"nil", nil, codes.OK, ""},
		{"store not found", wrap(store.ErrNotFound), codes.NotFound, ""},
		{"pipeline not found", wrap(pipeline.ErrNotFound), codes.NotFound, ""},
		{"store invalid", wrap(store.ErrInvalid), codes.InvalidArgument, ""},
		{"pipeline invalid", wrap(pipeline.ErrInvalid), codes.InvalidArgument, ""},
		{"agent definition", wrap(agent.ErrInvalidDefinition), codes.InvalidArgument, ""},
		{"permission", wrap(store.ErrPermission), codes.PermissionDenied, ""},
		{"precondition", wrap(store.ErrPrecondition), codes.FailedPrecondition, ""},
		{"run not finished", wrap(pipeline.ErrNotFinished), codes.FailedPrecondition, ""},
		{"model not found", wrap(llm.ErrModelNotFound), codes.FailedPrecondition, ""},
		{"chart kind does not fit", wrap(chart.ErrKind), codes.InvalidArgument, ""},
		{"no chart fits", wrap(chart.ErrNoChart), codes.FailedPrecondition, ""},
		{"limit", wrap(store.ErrLimit), codes.ResourceExhausted, ""},
		{"llm unavailable", wrap(llm.ErrUnavailable), codes.Unavailable, ""},
		{"statement timeout", wrap(store.ErrTimeout), codes.DeadlineExceeded, ""},
		{"deadline", wrap(context.DeadlineExceeded), codes.DeadlineExceeded, ""},
		{"canceled", wrap(context.Canceled), codes.Canceled, ""},
		{"twice wrapped", fmt.Errorf("step x: %w", wrap(store.ErrNotFound)), codes.NotFound, ""},
		{"joined", errors.Join(errors.New("first"), wrap(store.ErrInvalid)), codes.InvalidArgument, ""},
		{"status passes through", status.Error(codes.Aborted, "aborted here"), codes.Aborted, "aborted here"},
		{"unknown is internal", errors.New("duckdb: connection lost at /var/secret"), codes.Internal, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toStatus(tt.err)
			st := status.Convert(got)
			if st.Code() != tt.want {
				t.Fatalf("toStatus(%v) code = %v, want %v", tt.err, st.Code(), tt.want)
			}
			if tt.err == nil {
				if got != nil {
					t.Fatalf("toStatus(nil) = %v, want nil", got)
				}
				return
			}
			want := tt.wantText
			if want == "" {
				want = tt.err.Error()
			}
			if st.Message() != want {
				t.Errorf("message = %q, want %q", st.Message(), want)
			}
		})
	}
}

func TestInternalErrorKeepsCause(t *testing.T) {
	cause := errors.New("disk on fire")
	err := toStatus(fmt.Errorf("save: %w", cause))
	if !errors.Is(err, cause) {
		t.Errorf("toStatus result %v does not wrap its cause for the log", err)
	}
}
