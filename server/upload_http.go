package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

const (
	uploadPattern = "/v1/datasets/{name}:upload"
	uploadMethod  = "/mrswarm.v1.DatasetService/UploadDataset"
	uploadChunk   = 256 << 10
)

// uploadHandler serves POST /v1/datasets/{name}:upload. The body is the file
// itself (requests.post(url, data=f)) or multipart/form-data with a "file" part
// (requests.post(url, files={"file": f}), optionally with data={"format": ...}
// or data={"filename": ...} fields before it). Query parameters: format (csv,
// parquet, json, xlsx), filename (to infer the format), role=<role>:<column>
// (repeatable), sheet, decimal ("." or ","), date_order (dmy or mdy). Without them the format comes from the Content-Type of a raw
// body (text/csv, application/json, application/vnd.apache.parquet) or the
// file name of the multipart part. It streams the body into UploadDataset over the gateway's
// connection and answers like POST /v1/datasets.
type uploadHandler struct {
	mux    *runtime.ServeMux
	client mrswarmv1.DatasetServiceClient
}

func (h *uploadHandler) serve(w http.ResponseWriter, r *http.Request, params map[string]string) {
	_, out := runtime.MarshalerForRequest(h.mux, r)
	ctx, err := runtime.AnnotateContext(r.Context(), h.mux, r, uploadMethod, runtime.WithHTTPPathPattern(uploadPattern))
	if err == nil {
		var resp *mrswarmv1.LoadDatasetResponse
		if resp, err = h.upload(ctx, r, params["name"]); err == nil {
			writeMessage(w, out, resp)
			return
		}
	}
	runtime.HTTPError(ctx, h.mux, out, w, r, err)
}

func (h *uploadHandler) upload(ctx context.Context, r *http.Request, name string) (*mrswarmv1.LoadDatasetResponse, error) {
	header, err := uploadHeader(r, name)
	if err != nil {
		return nil, err
	}
	body, err := uploadBody(r, header)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := h.client.UploadDataset(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&mrswarmv1.UploadDatasetRequest{Part: &mrswarmv1.UploadDatasetRequest_Header{Header: header}}); err != nil {
		return stream.CloseAndRecv() // the server ended the stream: its status says why
	}
	buf := make([]byte, uploadChunk)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if err := stream.Send(&mrswarmv1.UploadDatasetRequest{Part: &mrswarmv1.UploadDatasetRequest_Chunk{Chunk: buf[:n]}}); err != nil {
				return stream.CloseAndRecv()
			}
		}
		if errors.Is(rerr, io.EOF) {
			return stream.CloseAndRecv()
		}
		if rerr != nil {
			return nil, status.Errorf(codes.InvalidArgument, "read the request body: %v", rerr)
		}
	}
}

// uploadHeader builds the upload header from the path and query parameters.
func uploadHeader(r *http.Request, name string) (*mrswarmv1.UploadHeader, error) {
	q := r.URL.Query()
	f, err := parseFormat(q.Get("format"))
	if err != nil {
		return nil, err
	}
	if f == mrswarmv1.Format_FORMAT_UNSPECIFIED {
		f = formatOfContentType(r.Header.Get("Content-Type"))
	}
	roles := map[string]string{}
	for _, kv := range q["role"] {
		role, col, ok := strings.Cut(kv, ":")
		if !ok || role == "" {
			return nil, invalidf("role %q: want role:column, e.g. revenue:total_revenue", kv)
		}
		roles[role] = col
	}
	ro := &mrswarmv1.ReadOptions{Sheet: q.Get("sheet"), Decimal: q.Get("decimal"), DateOrder: q.Get("date_order")}
	return &mrswarmv1.UploadHeader{Name: name, Format: f, Filename: q.Get("filename"), Roles: roles, ReadOptions: ro}, nil
}

// parseFormat accepts "", csv, parquet, json and the enum names (FORMAT_CSV).
func parseFormat(s string) (mrswarmv1.Format, error) {
	if s == "" {
		return mrswarmv1.Format_FORMAT_UNSPECIFIED, nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "FORMAT_") {
		name = "FORMAT_" + name
	}
	v, ok := mrswarmv1.Format_value[name]
	if !ok || v == 0 {
		return 0, invalidf("format %q: want csv, parquet, json or xlsx", s)
	}
	return mrswarmv1.Format(v), nil
}

// formatOfContentType infers the format of a raw body from its media type.
func formatOfContentType(ct string) mrswarmv1.Format {
	mt, _, _ := mime.ParseMediaType(ct)
	switch mt {
	case "text/csv", "application/csv":
		return mrswarmv1.Format_FORMAT_CSV
	case "application/json", "application/x-ndjson":
		return mrswarmv1.Format_FORMAT_JSON
	case "application/vnd.apache.parquet", "application/x-parquet":
		return mrswarmv1.Format_FORMAT_PARQUET
	case "text/tab-separated-values":
		return mrswarmv1.Format_FORMAT_CSV
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return mrswarmv1.Format_FORMAT_XLSX
	}
	return mrswarmv1.Format_FORMAT_UNSPECIFIED
}

// uploadBody returns the file's bytes: the whole body, or the "file" part of a
// multipart form, whose file name fills header.Filename when the query has none.
func uploadBody(r *http.Request, header *mrswarmv1.UploadHeader) (io.Reader, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return r.Body, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, invalidf("multipart body: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, invalidf(`multipart body has no "file" part`)
		}
		if err != nil {
			return nil, invalidf("multipart body: %v", err)
		}
		switch part.FormName() {
		case "file":
			if header.Filename == "" {
				header.Filename = part.FileName()
			}
			return part, nil
		case "format", "filename":
			if err := formField(part, header); err != nil {
				return nil, err
			}
		}
	}
}

// formField applies a multipart "format" or "filename" field (as sent by
// requests.post(url, data={"format": "csv"}, files=...)) unless the query set it.
func formField(part *multipart.Part, header *mrswarmv1.UploadHeader) error {
	b, err := io.ReadAll(io.LimitReader(part, 1024))
	if err != nil {
		return invalidf("multipart field %q: %v", part.FormName(), err)
	}
	v := strings.TrimSpace(string(b))
	switch {
	case part.FormName() == "filename" && header.Filename == "":
		header.Filename = v
	case part.FormName() == "format" && header.Format == mrswarmv1.Format_FORMAT_UNSPECIFIED:
		f, err := parseFormat(v)
		if err != nil {
			return err
		}
		header.Format = f
	}
	return nil
}

// writeMessage writes a unary answer the way the gateway does.
func writeMessage(w http.ResponseWriter, m runtime.Marshaler, msg *mrswarmv1.LoadDatasetResponse) {
	buf, err := m.Marshal(msg)
	if err != nil {
		http.Error(w, fmt.Sprintf("marshal response: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", m.ContentType(msg))
	_, _ = w.Write(buf)
}
