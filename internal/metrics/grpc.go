package metrics

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// UnaryInterceptor counts unary RPCs and observes their latency by method and code.
func (m *Metrics) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		m.observeRPC(info.FullMethod, err, time.Since(start))
		return resp, err
	}
}

// StreamInterceptor counts streaming RPCs and observes their whole duration by
// method and code.
func (m *Metrics) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		m.observeRPC(info.FullMethod, err, time.Since(start))
		return err
	}
}

func (m *Metrics) observeRPC(method string, err error, d time.Duration) {
	code := status.Code(err).String()
	m.rpcRequests.WithLabelValues(method, code).Inc()
	m.rpcLatency.WithLabelValues(method, code).Observe(d.Seconds())
}
