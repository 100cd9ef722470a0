package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/report/chart"
	"github.com/mrswarm/mrswarm/sql/store"
)

// codeOf lists which domain errors map to which gRPC code, in the order they are
// tested. Errors are matched with errors.Is, so wrapped errors map too.
var codeOf = []struct {
	err  error
	code codes.Code
}{
	{store.ErrNotFound, codes.NotFound},
	{pipeline.ErrNotFound, codes.NotFound},
	{store.ErrInvalid, codes.InvalidArgument},
	{pipeline.ErrInvalid, codes.InvalidArgument},
	{agent.ErrInvalidDefinition, codes.InvalidArgument},
	{chart.ErrKind, codes.InvalidArgument},
	{store.ErrPermission, codes.PermissionDenied},
	{store.ErrPrecondition, codes.FailedPrecondition},
	{pipeline.ErrNotFinished, codes.FailedPrecondition},
	{chart.ErrNoChart, codes.FailedPrecondition},
	{llm.ErrModelNotFound, codes.FailedPrecondition},
	{store.ErrLimit, codes.ResourceExhausted},
	{llm.ErrUnavailable, codes.Unavailable},
	{store.ErrTimeout, codes.DeadlineExceeded},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
	{context.Canceled, codes.Canceled},
}

// toStatus translates an error from a domain package into a gRPC status error.
// Status errors pass through; unknown errors become Internal without their text,
// which stays available to the logging interceptor through [internalError].
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		if st := se.GRPCStatus(); !utf8.ValidString(st.Message()) {
			return status.Error(st.Code(), validUTF8(st.Message()))
		}
		return err
	}
	for _, m := range codeOf {
		if errors.Is(err, m.err) {
			return status.Error(m.code, validUTF8(err.Error()))
		}
	}
	return &internalError{err: err}
}

// validUTF8 replaces invalid UTF-8 (e.g. echoed from a client's bytes) so the
// status can be marshaled: grpc-go refuses to send an invalid string field.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// internalError is an unexpected error: clients see only "internal error", the
// server log sees the cause.
type internalError struct{ err error }

func (e *internalError) Error() string { return "internal error" }

func (e *internalError) Unwrap() error { return e.err }

// GRPCStatus lets grpc-go send e as codes.Internal.
func (e *internalError) GRPCStatus() *status.Status {
	return status.New(codes.Internal, "internal error")
}

// invalidf returns an InvalidArgument status for a bad request field.
func invalidf(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, validUTF8(fmt.Sprintf(format, args...)))
}
