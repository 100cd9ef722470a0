package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

const (
	pagePattern   = "/v1/results/{handle}/rows"
	pageMethod    = "/mrswarm.v1.ResultService/GetResultPage"
	streamPattern = "/v1/results/{handle}/stream"
	streamMethod  = "/mrswarm.v1.ResultService/StreamResult"
	csvType       = "text/csv; charset=utf-8"
)

// rowsHandler serves GET /v1/results/{handle}/rows and /stream in place of the
// generated handlers, so that format=csv (or PAGE_FORMAT_CSV) answers with the
// CSV itself as text/csv: `curl '.../rows?format=csv' > x.csv` works. A CSV page
// carries its position in the headers X-Total-Rows, X-Next-Offset and
// X-Done; a CSV stream is one header line and then every row. JSON (format=json,
// the default) answers exactly as the generated handlers do: a ResultPage, or
// NDJSON (application/x-ndjson) for the stream.
type rowsHandler struct {
	mux    *runtime.ServeMux
	client mrswarmv1.ResultServiceClient
}

func (h *rowsHandler) page(w http.ResponseWriter, r *http.Request, params map[string]string) {
	_, out := runtime.MarshalerForRequest(h.mux, r)
	ctx, err := runtime.AnnotateContext(r.Context(), h.mux, r, pageMethod, runtime.WithHTTPPathPattern(pagePattern))
	if err != nil {
		runtime.HTTPError(ctx, h.mux, out, w, r, err)
		return
	}
	req := &mrswarmv1.GetResultPageRequest{Handle: params["handle"]}
	var md runtime.ServerMetadata
	var resp *mrswarmv1.ResultPage
	if err = populateQuery(req, r.URL.Query(), "handle"); err == nil {
		resp, err = h.client.GetResultPage(ctx, req, grpc.Header(&md.HeaderMD), grpc.Trailer(&md.TrailerMD))
	}
	ctx = runtime.NewServerMetadataContext(ctx, md)
	if err != nil {
		runtime.HTTPError(ctx, h.mux, out, w, r, err)
		return
	}
	if req.GetFormat() != mrswarmv1.PageFormat_PAGE_FORMAT_CSV {
		runtime.ForwardResponseMessage(ctx, h.mux, out, w, r, resp)
		return
	}
	w.Header().Set("Content-Type", csvType)
	w.Header().Set("X-Total-Rows", strconv.FormatInt(resp.GetTotalRows(), 10))
	w.Header().Set("X-Next-Offset", strconv.FormatInt(resp.GetNextOffset(), 10))
	w.Header().Set("X-Done", strconv.FormatBool(resp.GetDone()))
	_, _ = io.WriteString(w, resp.GetCsv())
}

func (h *rowsHandler) stream(w http.ResponseWriter, r *http.Request, params map[string]string) {
	_, out := runtime.MarshalerForRequest(h.mux, r)
	ctx, err := runtime.AnnotateContext(r.Context(), h.mux, r, streamMethod, runtime.WithHTTPPathPattern(streamPattern))
	if err != nil {
		runtime.HTTPError(ctx, h.mux, out, w, r, err)
		return
	}
	req := &mrswarmv1.StreamResultRequest{Handle: params["handle"]}
	var stream mrswarmv1.ResultService_StreamResultClient
	if err = populateQuery(req, r.URL.Query(), "handle"); err == nil {
		stream, err = h.client.StreamResult(ctx, req)
	}
	var first *mrswarmv1.ResultPage
	if err == nil {
		first, err = stream.Recv() // the handle's errors (NotFound…) come with the first message
	}
	if err != nil && !errors.Is(err, io.EOF) {
		runtime.HTTPError(ctx, h.mux, out, w, r, err)
		return
	}
	if req.GetFormat() == mrswarmv1.PageFormat_PAGE_FORMAT_CSV {
		writeCSVStream(w, first, stream)
		return
	}
	md := runtime.ServerMetadata{}
	if hd, herr := stream.Header(); herr == nil {
		md.HeaderMD = hd
	}
	recv := firstThen(first, err, stream)
	runtime.ForwardResponseStream(runtime.NewServerMetadataContext(ctx, md), h.mux, out, w, r, recv)
}

// firstThen yields the already received first message (or its error), then the rest.
func firstThen(first *mrswarmv1.ResultPage, err error, stream mrswarmv1.ResultService_StreamResultClient) func() (proto.Message, error) {
	sent := false
	return func() (proto.Message, error) {
		if !sent {
			sent = true
			if err != nil {
				return nil, err
			}
			return first, nil
		}
		return stream.Recv()
	}
}

// writeCSVStream writes the first chunk's CSV with its header line and every
// later chunk without it. An error after the first chunk ends the body early:
// the status is already sent, so a client sees a short CSV and a broken
// chunked transfer.
func writeCSVStream(w http.ResponseWriter, first *mrswarmv1.ResultPage, stream mrswarmv1.ResultService_StreamResultClient) {
	w.Header().Set("Content-Type", csvType)
	rc := http.NewResponseController(w)
	if first == nil {
		return // an empty stream
	}
	header := csvHeader(first.GetColumns())
	for p := first; p != nil; {
		body := p.GetCsv()
		if p != first {
			body = strings.TrimPrefix(body, header)
		}
		if _, err := io.WriteString(w, body); err != nil {
			return
		}
		_ = rc.Flush()
		next, err := stream.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				panic(http.ErrAbortHandler) // abort the chunked body so the client sees the failure
			}
			return
		}
		p = next
	}
}

// csvHeader is the header line the store writes before a chunk's rows.
func csvHeader(cols []*mrswarmv1.Column) string {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.GetName()
	}
	_ = cw.Write(names)
	cw.Flush()
	return b.String()
}

// populateQuery fills msg from the query string the gateway's way, with short
// aliases for the page format: format=csv or format=json (any case) stand for
// PAGE_FORMAT_CSV and PAGE_FORMAT_JSON, and an empty format for the default. pathFields are not read from the query.
func populateQuery(msg proto.Message, q url.Values, pathFields ...string) error {
	q = cloneValues(q)
	if q.Get("format") == "" {
		q.Del("format") // format= means the default
	}
	for i, v := range q["format"] {
		name := strings.ToUpper(v)
		if _, ok := mrswarmv1.PageFormat_value["PAGE_FORMAT_"+name]; ok {
			q["format"][i] = "PAGE_FORMAT_" + name
		}
	}
	filter := utilities.NewDoubleArray([][]string{pathFields})
	if err := runtime.PopulateQueryParameters(msg, q, filter); err != nil {
		return invalidf("query: %v (format is csv or json)", err)
	}
	return nil
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// registerRows installs the rows and stream routes over the generated ones.
func registerRows(mux *runtime.ServeMux, client mrswarmv1.ResultServiceClient) error {
	h := &rowsHandler{mux: mux, client: client}
	if err := mux.HandlePath(http.MethodGet, pagePattern, h.page); err != nil {
		return err
	}
	return mux.HandlePath(http.MethodGet, streamPattern, h.stream)
}
