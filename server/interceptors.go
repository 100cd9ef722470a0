package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// logUnary logs every unary call with its code and duration, and the cause of
// internal errors, and turns a panic into an internal error.
func logUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				err = &internalError{err: panicError(p)}
			}
			logCall(ctx, log, info.FullMethod, start, err)
		}()
		return handler(ctx, req)
	}
}

// logStream is logUnary for streaming calls.
func logStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				err = &internalError{err: panicError(p)}
			}
			logCall(ss.Context(), log, info.FullMethod, start, err)
		}()
		return handler(srv, ss)
	}
}

func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	code := status.Code(err)
	attrs := []any{"method", method, "code", code.String(), "duration", time.Since(start)}
	var ie *internalError
	switch {
	case errors.As(err, &ie):
		log.ErrorContext(ctx, "rpc failed", append(attrs, "error", ie.err)...)
	case code == codes.OK || code == codes.Canceled:
		log.DebugContext(ctx, "rpc", attrs...)
	default:
		log.InfoContext(ctx, "rpc", append(attrs, "error", status.Convert(err).Message())...)
	}
}

// panicError records a recovered panic and where it happened.
func panicError(v any) error {
	return fmt.Errorf("panic: %v\n%s", v, debug.Stack())
}
