package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/sql/store"
)

// beverageRoles are the roles a user expects on the real data set's columns.
var beverageRoles = map[string]string{
	"date": "sale_date", "region": "region", "country": "country", "brand": "brand",
	"category": "category", "units": "units_sold", "revenue": "total_revenue", "cost": "total_cost",
	"profit": "profit", "margin": "profit_margin", "price": "price_per_unit", "store": "store_id",
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestLoadBeverageGRPCAndREST(t *testing.T) {
	cfg := testConfig(t)
	content := copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	ctx := t.Context()

	first, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"})
	if err != nil {
		t.Fatalf("LoadDataset: %v", err)
	}
	d := first.GetDataset()
	if first.GetCacheHit() {
		t.Error("first load reported a cache hit")
	}
	if d.GetRowCount() != 15000 || len(d.GetColumns()) != 16 {
		t.Errorf("loaded %d rows x %d columns, want 15000 x 16", d.GetRowCount(), len(d.GetColumns()))
	}
	if diff := cmp.Diff(beverageRoles, d.GetRoles()); diff != "" {
		t.Errorf("inferred roles (-want +got):\n%s", diff)
	}
	if want := sha256Hex(content); d.GetFingerprint() != want {
		t.Errorf("fingerprint %s, want the content's SHA-256 %s", d.GetFingerprint(), want)
	}

	again, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"})
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if !again.GetCacheHit() || again.GetDataset().GetFingerprint() != d.GetFingerprint() {
		t.Errorf("reload: cache_hit=%v fingerprint %s, want a hit with %s", again.GetCacheHit(), again.GetDataset().GetFingerprint(), d.GetFingerprint())
	}

	code, rest := ts.doJSON(t, "POST", "/v1/datasets", map[string]any{"name": "sales", "path": "beverage_sales.csv"})
	if code != http.StatusOK {
		t.Fatalf("REST load: %d %v", code, rest)
	}
	rd := rest["dataset"].(map[string]any)
	if rest["cache_hit"] != true || rd["fingerprint"] != d.GetFingerprint() || rd["row_count"] != "15000" {
		t.Errorf("REST reload = cache_hit %v fingerprint %v row_count %v, want a hit, %s, \"15000\"", rest["cache_hit"], rd["fingerprint"], rd["row_count"], d.GetFingerprint())
	}

	code, got := ts.doJSON(t, "GET", "/v1/datasets/sales", nil)
	if code != http.StatusOK || got["name"] != "sales" || got["source"] != "beverage_sales.csv" || got["format"] != "FORMAT_CSV" {
		t.Errorf("GET /v1/datasets/sales = %d %v", code, got)
	}
	list, err := ts.datasets.ListDatasets(ctx, &mrswarmv1.ListDatasetsRequest{})
	if err != nil || len(list.GetDatasets()) != 1 || list.GetDatasets()[0].GetName() != "sales" {
		t.Errorf("ListDatasets = %v, %v; want [sales]", list, err)
	}
}

func TestUpload(t *testing.T) {
	cfg := testConfig(t)
	content := copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	want := sha256Hex(content)

	t.Run("grpc chunks", func(t *testing.T) {
		stream, err := ts.datasets.UploadDataset(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		send := func(m *mrswarmv1.UploadDatasetRequest) {
			if err := stream.Send(m); err != nil {
				t.Fatalf("send: %v", err)
			}
		}
		send(&mrswarmv1.UploadDatasetRequest{Part: &mrswarmv1.UploadDatasetRequest_Header{Header: &mrswarmv1.UploadHeader{Name: "up_grpc", Filename: "sales.csv"}}})
		for b := content; len(b) > 0; {
			n := min(len(b), 100_000)
			send(&mrswarmv1.UploadDatasetRequest{Part: &mrswarmv1.UploadDatasetRequest_Chunk{Chunk: b[:n]}})
			b = b[n:]
		}
		resp, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatalf("UploadDataset: %v", err)
		}
		if d := resp.GetDataset(); d.GetRowCount() != 15000 || d.GetFingerprint() != want || d.GetSource() != "upload" {
			t.Errorf("upload = %d rows, fingerprint %s, source %q; want 15000, %s, upload", d.GetRowCount(), d.GetFingerprint(), d.GetSource(), want)
		}
	})
	restCases := []struct {
		name, path, contentType string
		body                    []byte
	}{
		{"raw body with format", "/v1/datasets/up_raw:upload?format=csv", "application/octet-stream", content},
		{"raw body with content type", "/v1/datasets/up_ct:upload", "text/csv", content},
		{"raw body with filename", "/v1/datasets/up_fn:upload?filename=x.csv", "", content},
	}
	body, ct := multipartFile(t, "file", "sales.csv", content)
	restCases = append(restCases, struct {
		name, path, contentType string
		body                    []byte
	}{"multipart like requests files=", "/v1/datasets/up_mp:upload", ct, body})
	for _, tc := range restCases {
		t.Run(tc.name, func(t *testing.T) {
			code, b := ts.do(t, "POST", tc.path, bytes.NewReader(tc.body), tc.contentType)
			if code != http.StatusOK {
				t.Fatalf("POST %s = %d %s", tc.path, code, b)
			}
			if !bytes.Contains(b, []byte(`"fingerprint":"`+want+`"`)) || !bytes.Contains(b, []byte(`"row_count":"15000"`)) {
				t.Errorf("answer %s lacks fingerprint %s and 15000 rows", b[:min(len(b), 300)], want)
			}
		})
	}
	t.Run("second upload is a cache hit", func(t *testing.T) {
		code, b := ts.do(t, "POST", "/v1/datasets/up_raw:upload?format=csv", bytes.NewReader(content), "")
		if code != http.StatusOK || !bytes.Contains(b, []byte(`"cache_hit":true`)) {
			t.Errorf("re-upload = %d %s, want a cache hit", code, b[:min(len(b), 300)])
		}
	})
}

// multipartFile builds a multipart/form-data body the way Python requests does
// for files={"field": (filename, content)}.
func multipartFile(t *testing.T, field, filename string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

func TestUploadErrors(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxUploadBytes = 1000
	ts := startServer(t, cfg)
	big := bytes.Repeat([]byte("a,b\n1,2\n"), 200)

	t.Run("chunk before header", func(t *testing.T) {
		stream, err := ts.datasets.UploadDataset(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		stream.Send(&mrswarmv1.UploadDatasetRequest{Part: &mrswarmv1.UploadDatasetRequest_Chunk{Chunk: []byte("a,b\n")}})
		_, err = stream.CloseAndRecv()
		wantCode(t, err, codes.InvalidArgument)
	})
	t.Run("over the size limit", func(t *testing.T) {
		code, b := ts.do(t, "POST", "/v1/datasets/big:upload?format=csv", bytes.NewReader(big), "")
		if code != http.StatusTooManyRequests || !bytes.Contains(b, []byte("limit of 1000 bytes")) {
			t.Errorf("oversized upload = %d %s, want 429 naming the limit", code, b)
		}
	})
	t.Run("multipart without file part", func(t *testing.T) {
		body, ct := multipartFile(t, "data", "x.csv", []byte("a\n1\n"))
		code, b := ts.do(t, "POST", "/v1/datasets/x:upload", bytes.NewReader(body), ct)
		if code != http.StatusBadRequest || !bytes.Contains(b, []byte(`no \"file\" part`)) {
			t.Errorf("= %d %s, want 400 about the missing file part", code, b)
		}
	})
	t.Run("bad format", func(t *testing.T) {
		code, b := ts.do(t, "POST", "/v1/datasets/x:upload?format=docx", bytes.NewReader([]byte("a\n1\n")), "")
		if code != http.StatusBadRequest {
			t.Errorf("= %d %s, want 400", code, b)
		}
	})
	t.Run("ragged csv names the line", func(t *testing.T) {
		code, b := ts.do(t, "POST", "/v1/datasets/x:upload?format=csv", bytes.NewReader([]byte("a,b\n1,2\n3,4,5\n")), "")
		if code != http.StatusBadRequest || !bytes.Contains(b, []byte("line")) {
			t.Errorf("= %d %s, want 400 naming the line", code, b)
		}
	})
	_ = fmt.Sprint
}

// A load through either RPC prepares the dataset's first tool call: what the
// tools derive from every row is kept in the store for its content, where a
// new catalog (the restarted server's) finds it.
func TestLoadPreparesToolFacts(t *testing.T) {
	cfg := testConfig(t)
	content := copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	ctx := t.Context()
	if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatalf("LoadDataset: %v", err)
	}
	stream, err := ts.datasets.UploadDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*mrswarmv1.UploadDatasetRequest{
		{Part: &mrswarmv1.UploadDatasetRequest_Header{Header: &mrswarmv1.UploadHeader{Name: "up", Filename: "sales.csv"}}},
		{Part: &mrswarmv1.UploadDatasetRequest_Chunk{Chunk: content}},
	} {
		if err := stream.Send(m); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		t.Fatalf("UploadDataset: %v", err)
	}
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, cfg.DBPath, store.Options{DataRoot: cfg.DataRoot})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range []string{"sales", "up"} {
		ds, err := st.Dataset(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if facts, err := st.DatasetFacts(ctx, name, ds.Fingerprint); err != nil || len(facts) == 0 {
			t.Errorf("facts of %s after its load: %d, %v; want some", name, len(facts), err)
		}
	}
}
