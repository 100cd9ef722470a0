package server

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// TestBadInput sends every kind of bad request over gRPC and over REST and checks
// both the gRPC code and the HTTP status the gateway derives from it.
func TestBadInput(t *testing.T) {
	cfg := testConfig(t)
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	writeFile(t, cfg.DataRoot, "ragged.csv", "a,b\n1,2\n3,4\n5,6,7\n")
	writeFile(t, cfg.DataRoot, "empty.csv", "")
	writeFile(t, cfg.DataRoot, "notes.docx", "a,b\n1,2\n")
	ts := startServer(t, cfg)
	ctx := t.Context()
	if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatalf("load: %v", err)
	}
	sum, err := ts.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: "SELECT brand FROM sales"})
	if err != nil {
		t.Fatalf("RunSQL: %v", err)
	}
	handle := sum.GetResult().GetHandle()
	copySQL := "COPY sales TO '" + filepath.Join(cfg.DataRoot, "out.csv") + "'"
	load := func(name, path string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: name, Path: path})
			return err
		}
	}
	runSQL := func(q string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := ts.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: q})
			return err
		}
	}
	tests := []struct {
		name     string
		grpc     func(context.Context) error
		method   string
		path     string
		body     any
		code     codes.Code
		httpCode int
		mention  string // the message must name the problem
	}{
		{"load without name", load("", "beverage_sales.csv"), "POST", "/v1/datasets", map[string]any{"path": "beverage_sales.csv"},
			codes.InvalidArgument, 400, "name is required"},
		{"load bad name", load("Drop Table", "beverage_sales.csv"), "POST", "/v1/datasets", map[string]any{"name": "Drop Table", "path": "beverage_sales.csv"},
			codes.InvalidArgument, 400, "Drop Table"},
		{"load outside the data root", load("x", "../../etc/passwd"), "POST", "/v1/datasets", map[string]any{"name": "x", "path": "../../etc/passwd"},
			codes.PermissionDenied, 403, "passwd"},
		{"load absolute path outside", load("x", "/etc/hosts"), "POST", "/v1/datasets", map[string]any{"name": "x", "path": "/etc/hosts"},
			codes.PermissionDenied, 403, "hosts"},
		{"load missing file", load("x", "missing.csv"), "POST", "/v1/datasets", map[string]any{"name": "x", "path": "missing.csv"},
			codes.NotFound, 404, "missing.csv"},
		{"load ragged csv", load("sales", "ragged.csv"), "POST", "/v1/datasets", map[string]any{"name": "sales", "path": "ragged.csv"},
			codes.InvalidArgument, 400, "line"},
		{"load empty file", load("x", "empty.csv"), "POST", "/v1/datasets", map[string]any{"name": "x", "path": "empty.csv"},
			codes.InvalidArgument, 400, "empty"},
		{"load unknown format", load("x", "notes.docx"), "POST", "/v1/datasets", map[string]any{"name": "x", "path": "notes.docx"},
			codes.InvalidArgument, 400, "format"},
		{"unknown dataset", func(ctx context.Context) error {
			_, err := ts.datasets.GetDataset(ctx, &mrswarmv1.GetDatasetRequest{Name: "nope"})
			return err
		}, "GET", "/v1/datasets/nope", nil, codes.NotFound, 404, "nope"},
		{"drop unknown dataset", func(ctx context.Context) error {
			_, err := ts.datasets.DropDataset(ctx, &mrswarmv1.DropDatasetRequest{Name: "nope"})
			return err
		}, "DELETE", "/v1/datasets/nope", nil, codes.NotFound, 404, "nope"},
		{"unknown role", func(ctx context.Context) error {
			_, err := ts.datasets.SetColumnRoles(ctx, &mrswarmv1.SetColumnRolesRequest{Name: "sales", Roles: map[string]string{"flavour": "brand"}})
			return err
		}, "POST", "/v1/datasets/sales/roles", map[string]any{"roles": map[string]string{"flavour": "brand"}}, codes.InvalidArgument, 400, "flavour"},
		{"role on unknown column", func(ctx context.Context) error {
			_, err := ts.datasets.SetColumnRoles(ctx, &mrswarmv1.SetColumnRolesRequest{Name: "sales", Roles: map[string]string{"brand": "no_such_col"}})
			return err
		}, "POST", "/v1/datasets/sales/roles", map[string]any{"roles": map[string]string{"brand": "no_such_col"}}, codes.InvalidArgument, 400, "no_such_col"},
		{"empty sql", runSQL(""), "POST", "/v1/sql", map[string]any{"sql": ""}, codes.InvalidArgument, 400, "sql is required"},
		{"ddl", runSQL("DROP TABLE sales"), "POST", "/v1/sql", map[string]any{"sql": "DROP TABLE sales"}, codes.InvalidArgument, 400, ""},
		{"dml", runSQL("DELETE FROM sales"), "POST", "/v1/sql", map[string]any{"sql": "DELETE FROM sales"}, codes.InvalidArgument, 400, ""},
		{"two statements", runSQL("SELECT 1; SELECT 2"), "POST", "/v1/sql", map[string]any{"sql": "SELECT 1; SELECT 2"}, codes.InvalidArgument, 400, ""},
		{"copy", runSQL(copySQL), "POST", "/v1/sql", map[string]any{"sql": copySQL}, codes.InvalidArgument, 400, ""},
		{"attach", runSQL("ATTACH '/tmp/x.db'"), "POST", "/v1/sql", map[string]any{"sql": "ATTACH '/tmp/x.db'"}, codes.InvalidArgument, 400, ""},
		{"read outside root", runSQL("SELECT * FROM read_csv('/etc/passwd')"), "POST", "/v1/sql", map[string]any{"sql": "SELECT * FROM read_csv('/etc/passwd')"},
			codes.PermissionDenied, 403, ""},
		{"sql syntax error", runSQL("SELEC 1"), "POST", "/v1/sql", map[string]any{"sql": "SELEC 1"}, codes.InvalidArgument, 400, ""},
		{"unknown handle", func(ctx context.Context) error {
			_, err := ts.results.GetResult(ctx, &mrswarmv1.GetResultRequest{Handle: "res_00000000"})
			return err
		}, "GET", "/v1/results/res_00000000", nil, codes.NotFound, 404, "res_00000000"},
		{"page over the maximum", func(ctx context.Context) error {
			_, err := ts.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: handle, Limit: 10001})
			return err
		}, "GET", "/v1/results/" + handle + "/rows?limit=10001", nil, codes.InvalidArgument, 400, "maximum page size 10000"},
		{"negative offset", func(ctx context.Context) error {
			_, err := ts.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: handle, Offset: -1})
			return err
		}, "GET", "/v1/results/" + handle + "/rows?offset=-1", nil, codes.InvalidArgument, 400, "offset -1"},
		{"page of unknown handle", func(ctx context.Context) error {
			_, err := ts.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: "res_00000000"})
			return err
		}, "GET", "/v1/results/res_00000000/rows", nil, codes.NotFound, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.grpc(t.Context())
			wantCode(t, err, tt.code)
			if msg := status.Convert(err).Message(); !strings.Contains(msg, tt.mention) {
				t.Errorf("gRPC message %q does not mention %q", msg, tt.mention)
			}
			code, body := ts.doJSON(t, tt.method, tt.path, tt.body)
			if code != tt.httpCode || body["code"] != float64(tt.code) {
				t.Errorf("%s %s = HTTP %d %v, want %d with code %d", tt.method, tt.path, code, body, tt.httpCode, tt.code)
			}
		})
	}

	d, err := ts.datasets.GetDataset(ctx, &mrswarmv1.GetDatasetRequest{Name: "sales"})
	if err != nil || d.GetRowCount() != 15000 {
		t.Errorf("after the failed loads, sales = %v rows (%v), want the 15000 rows it had", d.GetRowCount(), err)
	}
	if code, body := ts.doJSON(t, "GET", "/v1/nothing/here", nil); code != http.StatusNotFound {
		t.Errorf("unknown route = %d %v, want 404", code, body)
	}
}
