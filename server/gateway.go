package server

import (
	"context"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/server/console"
)

// registers are the generated gateway registrations, one per service.
var registers = []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
	mrswarmv1.RegisterDatasetServiceHandler,
	mrswarmv1.RegisterResultServiceHandler,
	mrswarmv1.RegisterToolServiceHandler,
	mrswarmv1.RegisterPipelineServiceHandler,
}

// newGateway returns the REST handler: every RPC of the HTTP rules in
// mrswarm_http.yaml forwarded over conn (so interceptors apply), plus
// GET /openapi.json and GET /healthz (info_http.go; with the LLM hosts of lp
// when not nil), GET /metrics (metricsHandler),
// POST /v1/datasets/{name}:upload and the CSV-aware rows and stream routes
// (rows_http.go), GET /v1/results/{handle}/chart.svg (charts.go),
// GET /v1/runs/{run_id}/report with format=html (report_http.go), and the web console at GET / (server/console).
//
// JSON uses the proto field names (snake_case) and emits every field, zero
// values included; 64-bit integers are strings and enums are their names, as in
// protojson. Server streams are newline-delimited JSON, one {"result": ...}
// object per message and {"error": ...} if the stream fails after it started.
func newGateway(ctx context.Context, conn *grpc.ClientConn, metricsHandler http.Handler, lp *pool.Pool) (http.Handler, error) {
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, newMarshaler()),
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
	)
	for _, register := range registers {
		if err := register(ctx, mux, conn); err != nil {
			return nil, err
		}
	}
	if err := registerInfo(mux, healthpb.NewHealthClient(conn), lp); err != nil {
		return nil, err
	}
	err := mux.HandlePath(http.MethodGet, "/metrics", func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		metricsHandler.ServeHTTP(w, r)
	})
	if err != nil {
		return nil, err
	}
	if err := registerRows(mux, mrswarmv1.NewResultServiceClient(conn)); err != nil {
		return nil, err
	}
	if err := registerCharts(mux, mrswarmv1.NewResultServiceClient(conn)); err != nil {
		return nil, err
	}
	if err := registerReport(mux, mrswarmv1.NewPipelineServiceClient(conn)); err != nil {
		return nil, err
	}
	up := &uploadHandler{mux: mux, client: mrswarmv1.NewDatasetServiceClient(conn)}
	if err := mux.HandlePath(http.MethodPost, uploadPattern, up.serve); err != nil {
		return nil, err
	}
	if err := console.Register(mux); err != nil { // the web console at GET /
		return nil, err
	}
	return mux, nil
}

// ndjson is the gateway's JSON marshaler; it labels streams as NDJSON.
type ndjson struct{ *runtime.JSONPb }

// StreamContentType is the content type of server streams.
func (ndjson) StreamContentType(any) string { return "application/x-ndjson" }

func newMarshaler() runtime.Marshaler {
	return ndjson{&runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
	}}
}
