package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/report/chart"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

func (s *resultServer) GetResultChart(ctx context.Context, req *mrswarmv1.GetResultChartRequest) (*mrswarmv1.ResultChart, error) {
	if err := requireFields("handle", req.GetHandle()); err != nil {
		return nil, err
	}
	in, err := pipeline.ChartInput(ctx, s.st, req.GetHandle())
	if err != nil {
		return nil, toStatus(err)
	}
	kind, svg, err := chart.SVG(in, chart.Kind(req.GetKind()))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &mrswarmv1.ResultChart{Handle: req.GetHandle(), Kind: string(kind), Svg: string(svg)}
	for _, k := range chart.Kinds(in) {
		out.Kinds = append(out.Kinds, string(k))
	}
	return out, nil
}

const (
	chartPattern = "/v1/results/{handle}/chart.svg"
	chartMethod  = "/mrswarm.v1.ResultService/GetResultChart"
	svgType      = "image/svg+xml"
)

// chartHandler serves GET /v1/results/{handle}/chart.svg in place of the
// generated handler: the SVG document itself, with the kind drawn in
// X-Chart-Kind and the kinds that fit in X-Chart-Kinds. Errors answer as the
// gateway's do (JSON status). The call goes over the gateway's connection, so
// the server's interceptors (access checks, limits, metrics) apply.
type chartHandler struct {
	mux    *runtime.ServeMux
	client mrswarmv1.ResultServiceClient
}

func (h *chartHandler) serve(w http.ResponseWriter, r *http.Request, params map[string]string) {
	_, out := runtime.MarshalerForRequest(h.mux, r)
	ctx, err := runtime.AnnotateContext(r.Context(), h.mux, r, chartMethod, runtime.WithHTTPPathPattern(chartPattern))
	if err != nil {
		runtime.HTTPError(ctx, h.mux, out, w, r, err)
		return
	}
	req := &mrswarmv1.GetResultChartRequest{Handle: params["handle"]}
	var md runtime.ServerMetadata
	var resp *mrswarmv1.ResultChart
	if err = populateQuery(req, r.URL.Query(), "handle"); err == nil {
		resp, err = h.client.GetResultChart(ctx, req, grpc.Header(&md.HeaderMD), grpc.Trailer(&md.TrailerMD))
	}
	if err != nil {
		runtime.HTTPError(runtime.NewServerMetadataContext(ctx, md), h.mux, out, w, r, err)
		return
	}
	w.Header().Set("X-Chart-Kind", resp.GetKind())
	w.Header().Set("X-Chart-Kinds", strings.Join(resp.GetKinds(), ","))
	writeDocument(w, svgType, resp.GetSvg())
}

// writeDocument answers with a document the server rendered (an SVG chart or
// an HTML report): it may not run scripts nor load anything, and is not sniffed
// as another type.
func writeDocument(w http.ResponseWriter, contentType, body string) {
	w.Header().Set("Content-Type", contentType+"; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(body))
}

// registerCharts installs the chart route over the generated one.
func registerCharts(mux *runtime.ServeMux, client mrswarmv1.ResultServiceClient) error {
	h := &chartHandler{mux: mux, client: client}
	return mux.HandlePath(http.MethodGet, chartPattern, h.serve)
}
