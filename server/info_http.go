package server

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/mrswarm/mrswarm/internal/version"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// healthz serves GET /healthz: the gRPC health service's status, the LLM health
// service's and the build, {"status": "SERVING", "llm_status": "SERVING",
// "version": ..., "revision": ..., "modified": ..., "go": ...}, and the LLM
// hosts' state under "llm" when the server routes over a pool; 503 unless
// serving. ?service= asks about one service. The status is DEGRADED (still 200)
// while the LLM does not answer: data, SQL and tools work, agent steps fail.
type healthz struct {
	mux    *runtime.ServeMux
	client healthpb.HealthClient
	build  version.Info
	llm    *pool.Pool // nil: no pool (an injected LLM client)
}

func (h healthz) serve(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	resp, err := h.client.Check(r.Context(), &healthpb.HealthCheckRequest{Service: r.URL.Query().Get("service")})
	if err != nil {
		_, out := runtime.MarshalerForRequest(h.mux, r)
		runtime.HTTPError(r.Context(), h.mux, out, w, r, err)
		return
	}
	body := struct {
		Status    string `json:"status"`
		LLMStatus string `json:"llm_status"`
		version.Info
		LLM *llmHealth `json:"llm,omitempty"`
	}{Status: resp.GetStatus().String(), LLMStatus: h.llmStatus(r), Info: h.build}
	if h.llm != nil {
		body.LLM = llmHealthOf(h.llm)
	}
	if resp.GetStatus() == healthpb.HealthCheckResponse_SERVING && body.LLMStatus == healthpb.HealthCheckResponse_NOT_SERVING.String() {
		body.Status = "DEGRADED"
	}
	w.Header().Set("Content-Type", "application/json")
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(body)
}

// llmStatus is the status of the LLM health service (llmService).
func (h healthz) llmStatus(r *http.Request) string {
	resp, err := h.client.Check(r.Context(), &healthpb.HealthCheckRequest{Service: llmService})
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN.String()
	}
	return resp.GetStatus().String()
}

// openAPIDoc is the generated OpenAPI document with info.version set to the
// build's version and x-revision to its VCS revision.
func openAPIDoc(build version.Info) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(mrswarmv1.OpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	var info map[string]any
	if err := json.Unmarshal(doc["info"], &info); err != nil {
		return nil, fmt.Errorf("openapi info: %w", err)
	}
	info["version"], info["x-revision"] = build.Version, build.Revision
	b, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	doc["info"] = b
	return json.MarshalIndent(doc, "", "  ")
}

// registerInfo installs GET /healthz (with the hosts of lp, when not nil)
// and GET /openapi.json.
func registerInfo(mux *runtime.ServeMux, client healthpb.HealthClient, lp *pool.Pool) error {
	build := version.Get()
	doc, err := openAPIDoc(build)
	if err != nil {
		return err
	}
	if err := mux.HandlePath(http.MethodGet, "/healthz", healthz{mux: mux, client: client, build: build, llm: lp}.serve); err != nil {
		return err
	}
	return mux.HandlePath(http.MethodGet, "/openapi.json", func(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
}
