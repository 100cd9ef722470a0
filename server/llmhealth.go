package server

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// llmService is the health service name that reports the LLM backend:
// NOT_SERVING while it does not answer (agent steps then fail), while the
// server itself ("") stays SERVING.
const llmService = "mrswarm.v1.LLM"

// llmPingEvery is how often the server checks that the LLM answers.
const llmPingEvery = 5 * time.Second

// pinger is an LLM backend that can say whether it answers.
type pinger interface {
	Ping(ctx context.Context) error
}

// watchLLM sets llmService's status on hs from a ping now and every
// llmPingEvery until ctx ends. A backend that cannot ping counts as serving.
func watchLLM(ctx context.Context, model any, hs *health.Server, log *slog.Logger) {
	p, ok := model.(pinger)
	if !ok {
		hs.SetServingStatus(llmService, healthpb.HealthCheckResponse_SERVING)
		return
	}
	check := func(last healthpb.HealthCheckResponse_ServingStatus) healthpb.HealthCheckResponse_ServingStatus {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		st, err := healthpb.HealthCheckResponse_SERVING, p.Ping(pctx)
		if err != nil {
			st = healthpb.HealthCheckResponse_NOT_SERVING
		}
		if st != last && ctx.Err() == nil {
			log.Info("llm health", "status", st.String(), "error", err)
			hs.SetServingStatus(llmService, st)
		}
		return st
	}
	last := check(healthpb.HealthCheckResponse_UNKNOWN)
	go func() {
		t := time.NewTicker(llmPingEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				last = check(last)
			}
		}
	}()
}
