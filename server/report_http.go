package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

const (
	reportPattern = "/v1/runs/{run_id}/report"
	reportMethod  = "/mrswarm.v1.PipelineService/GetRunReport"
	htmlType      = "text/html"
)

// reportHandler serves GET /v1/runs/{run_id}/report in place of the generated
// handler, so that format=html (or REPORT_FORMAT_HTML) answers with the HTML
// document itself: `curl '.../report?format=html' > report.html` works.
// format=markdown, the default, answers with the RunReport JSON as before.
type reportHandler struct {
	mux    *runtime.ServeMux
	client mrswarmv1.PipelineServiceClient
}

func (h *reportHandler) serve(w http.ResponseWriter, r *http.Request, params map[string]string) {
	_, out := runtime.MarshalerForRequest(h.mux, r)
	ctx, err := runtime.AnnotateContext(r.Context(), h.mux, r, reportMethod, runtime.WithHTTPPathPattern(reportPattern))
	if err != nil {
		runtime.HTTPError(ctx, h.mux, out, w, r, err)
		return
	}
	req := &mrswarmv1.GetRunReportRequest{RunId: params["run_id"]}
	var md runtime.ServerMetadata
	var resp *mrswarmv1.RunReport
	if err = populateReportQuery(req, r.URL.Query()); err == nil {
		resp, err = h.client.GetRunReport(ctx, req, grpc.Header(&md.HeaderMD), grpc.Trailer(&md.TrailerMD))
	}
	ctx = runtime.NewServerMetadataContext(ctx, md)
	if err != nil {
		runtime.HTTPError(ctx, h.mux, out, w, r, err)
		return
	}
	if req.GetFormat() != mrswarmv1.ReportFormat_REPORT_FORMAT_HTML {
		runtime.ForwardResponseMessage(ctx, h.mux, out, w, r, resp)
		return
	}
	writeDocument(w, htmlType, resp.GetHtml())
}

// populateReportQuery fills req from the query string, with format=html and
// format=markdown (any case) for the REPORT_FORMAT_ names.
func populateReportQuery(req *mrswarmv1.GetRunReportRequest, q url.Values) error {
	q = cloneValues(q)
	if q.Get("format") == "" {
		q.Del("format")
	}
	for i, v := range q["format"] {
		if _, ok := mrswarmv1.ReportFormat_value["REPORT_FORMAT_"+strings.ToUpper(v)]; ok {
			q["format"][i] = "REPORT_FORMAT_" + strings.ToUpper(v)
		}
	}
	filter := utilities.NewDoubleArray([][]string{{"run_id"}})
	if err := runtime.PopulateQueryParameters(req, q, filter); err != nil {
		return invalidf("query: %v (format is markdown or html)", err)
	}
	return nil
}

// registerReport installs the report route over the generated one.
func registerReport(mux *runtime.ServeMux, client mrswarmv1.PipelineServiceClient) error {
	h := &reportHandler{mux: mux, client: client}
	return mux.HandlePath(http.MethodGet, reportPattern, h.serve)
}
