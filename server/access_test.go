package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/emptypb"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// Tokens of the two-tenant test server.
const (
	acmeToken   = "acme-analyst-token-0123456789"
	acmeRO      = "acme-readonly-token-0123456789"
	betaToken   = "beta-analyst-token-0123456789"
	adminToken  = "default-admin-token-0123456789"
	unknownToke = "not-a-token-of-this-server-0123"
)

// tenantServer serves tenants acme (an analyst and a read-only token), beta
// (an analyst) and default (an admin), with the beverage data in the data root.
func tenantServer(t *testing.T) *testServer {
	t.Helper()
	cfg := testConfig(t)
	cfg.Tokens = []Token{
		{Secret: adminToken, Tenant: "default", Role: RoleAdmin},
		{Secret: acmeToken, Tenant: "acme", Role: RoleAnalyst},
		{Secret: acmeRO, Tenant: "acme", Role: RoleReadOnly},
		{Secret: betaToken, Tenant: "beta", Role: RoleAnalyst},
	}
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	return startServer(t, cfg)
}

// services are the mrswarm gRPC services.
var services = []protoreflect.FileDescriptor{mrswarmv1.File_mrswarm_v1_dataset_proto,
	mrswarmv1.File_mrswarm_v1_result_proto, mrswarmv1.File_mrswarm_v1_pipeline_proto}

// TestNoTokenEveryService calls every method of every gRPC service and every
// REST route of the OpenAPI spec without a token and with an unknown one.
func TestNoTokenEveryService(t *testing.T) {
	ts := tenantServer(t)
	methods := 0
	for _, token := range []string{"", unknownToke} {
		conn := ts.connAs(t, token)
		for _, fd := range append(services, mrswarmv1.File_mrswarm_v1_tool_proto) {
			for i := range fd.Services().Len() {
				sd := fd.Services().Get(i)
				for j := range sd.Methods().Len() {
					md := sd.Methods().Get(j)
					name := "/" + string(sd.FullName()) + "/" + string(md.Name())
					err := invokeAny(t.Context(), conn, name, md.IsStreamingClient() || md.IsStreamingServer())
					if status.Code(err) != codes.Unauthenticated || !strings.Contains(status.Convert(err).Message(), "Authorization: Bearer") {
						t.Errorf("%s with token %q: %v, want Unauthenticated saying how to send a token", name, token, err)
					}
					methods++
				}
			}
		}
	}
	if methods < 2*20 {
		t.Fatalf("only %d methods checked", methods)
	}
	routes := openAPIRoutes(t)
	for _, token := range []string{"", unknownToke} {
		for _, r := range routes {
			req, _ := http.NewRequestWithContext(t.Context(), r[0], "http://mrswarm"+r[1], nil)
			resp, err := ts.httpAs(token).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s with token %q = %d, want 401 with WWW-Authenticate", r[0], r[1], token, resp.StatusCode)
			}
		}
	}
	if len(routes) < 15 {
		t.Fatalf("only %d REST routes in the OpenAPI spec", len(routes))
	}
	// The health checks stay open: probes carry no token.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://mrswarm/healthz", nil)
	if resp, err := ts.httpAs("").Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz without a token: %v %v", resp, err)
	}
}

// TestAccessConsoleFilesWithoutToken: a browser navigating to the console
// sends no token, so its page and scripts (no data in them) are served
// without one; everything else the console calls still needs it.
func TestAccessConsoleFilesWithoutToken(t *testing.T) {
	ts := tenantServer(t)
	client := ts.httpAs("")
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/", http.StatusOK},
		{"GET", "/console/app.js", http.StatusOK},
		{"GET", "/console/no-such-file.js", http.StatusNotFound},
		{"POST", "/", http.StatusUnauthorized},
		{"GET", "/v1/datasets", http.StatusUnauthorized},
		{"GET", "/consolex", http.StatusUnauthorized},
	} {
		if got := httpStatus(t, client, c.method, c.path, nil); got != c.want {
			t.Errorf("%s %s without a token = %d, want %d", c.method, c.path, got, c.want)
		}
	}
	// HEAD passes the token check too (what the gateway's router then does
	// with it is the console's business).
	if got := httpStatus(t, client, "HEAD", "/", nil); got == http.StatusUnauthorized {
		t.Errorf("HEAD / without a token = %d, want it past the token check", got)
	}
}

// invokeAny calls method with an empty request and returns its error.
func invokeAny(ctx context.Context, conn *grpc.ClientConn, method string, streaming bool) error {
	if !streaming {
		return conn.Invoke(ctx, method, &emptypb.Empty{}, &emptypb.Empty{})
	}
	s, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, method)
	if err != nil {
		return err
	}
	if err := s.SendMsg(&emptypb.Empty{}); err != nil && err != io.EOF {
		return err
	}
	s.CloseSend()
	return s.RecvMsg(&emptypb.Empty{})
}

// openAPIRoutes lists every (method, path) of the OpenAPI spec, parameters filled in.
func openAPIRoutes(t *testing.T) [][2]string {
	t.Helper()
	var spec struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(mrswarmv1.OpenAPI, &spec); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	var out [][2]string
	for p, ops := range spec.Paths {
		for m := range ops {
			out = append(out, [2]string{strings.ToUpper(m), param.ReplaceAllString(p, "x")})
		}
	}
	out = append(out, [2]string{"GET", "/metrics"}, [2]string{"GET", "/openapi.json"})
	return out
}

// acmeData loads sales for acme and returns a result handle and a finished run of acme's.
func acmeData(t *testing.T, ts *testServer) (handle, runID string) {
	t.Helper()
	ctx := t.Context()
	conn := ts.connAs(t, acmeToken)
	if _, err := mrswarmv1.NewDatasetServiceClient(conn).LoadDataset(ctx,
		&mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	res, err := mrswarmv1.NewResultServiceClient(conn).RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: "SELECT count(*) AS n FROM sales"})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := mrswarmv1.NewPipelineServiceClient(conn).RunPipeline(ctx, &mrswarmv1.StartRunRequest{Dataset: "sales",
		Source: &mrswarmv1.StartRunRequest_Pipeline{Pipeline: &mrswarmv1.Pipeline{Name: "count", Steps: []*mrswarmv1.Step{
			{Id: "n", Kind: &mrswarmv1.Step_Sql{Sql: &mrswarmv1.SQLStep{Sql: "SELECT region, count(*) FROM sales GROUP BY region"}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		runID = ev.GetRunId()
	}
	run, err := mrswarmv1.NewPipelineServiceClient(conn).GetRun(ctx, &mrswarmv1.GetRunRequest{RunId: runID})
	if err != nil || run.GetStatus().String() != "RUN_STATUS_SUCCEEDED" {
		t.Fatalf("acme's run (a SQL cell over its own sales): %v %v", run.GetStatus(), err)
	}
	return res.GetResult().GetHandle(), runID
}

// TestTenantIsolationGRPC: beta gets NotFound for everything of acme's.
func TestTenantIsolationGRPC(t *testing.T) {
	ts := tenantServer(t)
	handle, runID := acmeData(t, ts)
	ctx, conn := t.Context(), ts.connAs(t, betaToken)
	ds, rs, tools, ps := mrswarmv1.NewDatasetServiceClient(conn), mrswarmv1.NewResultServiceClient(conn),
		mrswarmv1.NewToolServiceClient(conn), mrswarmv1.NewPipelineServiceClient(conn)
	notFound := map[string]func() error{
		"GetDataset":  func() error { _, err := ds.GetDataset(ctx, &mrswarmv1.GetDatasetRequest{Name: "sales"}); return err },
		"DropDataset": func() error { _, err := ds.DropDataset(ctx, &mrswarmv1.DropDatasetRequest{Name: "sales"}); return err },
		"ListTools": func() error {
			_, err := tools.ListTools(ctx, &mrswarmv1.ListToolsRequest{Dataset: "sales"})
			return err
		},
		"CallTool": func() error {
			_, err := tools.CallTool(ctx, &mrswarmv1.CallToolRequest{Dataset: "sales", Tool: "kpi_summary"})
			return err
		},
		"GetResult": func() error { _, err := rs.GetResult(ctx, &mrswarmv1.GetResultRequest{Handle: handle}); return err },
		"GetResultPage": func() error {
			_, err := rs.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: handle})
			return err
		},
		"GetResultChart": func() error {
			_, err := rs.GetResultChart(ctx, &mrswarmv1.GetResultChartRequest{Handle: handle})
			return err
		},
		"GetRunReport HTML": func() error {
			_, err := ps.GetRunReport(ctx, &mrswarmv1.GetRunReportRequest{RunId: runID, Format: mrswarmv1.ReportFormat_REPORT_FORMAT_HTML})
			return err
		},
		"DeleteResult": func() error {
			_, err := rs.DeleteResult(ctx, &mrswarmv1.DeleteResultRequest{Handle: handle})
			return err
		},
		"GetRun":       func() error { _, err := ps.GetRun(ctx, &mrswarmv1.GetRunRequest{RunId: runID}); return err },
		"CancelRun":    func() error { _, err := ps.CancelRun(ctx, &mrswarmv1.CancelRunRequest{RunId: runID}); return err },
		"GetRunReport": func() error { _, err := ps.GetRunReport(ctx, &mrswarmv1.GetRunReportRequest{RunId: runID}); return err },
		"StartRun": func() error {
			_, err := ps.StartRun(ctx, &mrswarmv1.StartRunRequest{Dataset: "sales", Source: &mrswarmv1.StartRunRequest_Preset{Preset: "quick_insights"}})
			return err
		},
		"WatchRun": func() error {
			s, err := ps.WatchRun(ctx, &mrswarmv1.WatchRunRequest{RunId: runID})
			if err == nil {
				_, err = s.Recv()
			}
			return err
		},
		"StreamResult": func() error {
			s, err := rs.StreamResult(ctx, &mrswarmv1.StreamResultRequest{Handle: handle})
			if err == nil {
				_, err = s.Recv()
			}
			return err
		},
	}
	for _, q := range tenantSQL(handle) {
		notFound["RunSQL "+q] = func() error { _, err := rs.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: q}); return err }
	}
	for name, call := range notFound {
		if err := call(); status.Code(err) != codes.NotFound {
			t.Errorf("beta %s: %v, want NotFound", name, err)
		}
	}
	lists := map[string]func() (int, error){
		"ListDatasets": func() (int, error) {
			r, err := ds.ListDatasets(ctx, &mrswarmv1.ListDatasetsRequest{})
			return len(r.GetDatasets()), err
		},
		"ListResults": func() (int, error) {
			r, err := rs.ListResults(ctx, &mrswarmv1.ListResultsRequest{})
			return len(r.GetResults()), err
		},
		"ListRuns": func() (int, error) {
			r, err := ps.ListRuns(ctx, &mrswarmv1.ListRunsRequest{})
			return len(r.GetRuns()), err
		},
	}
	for name, list := range lists {
		if n, err := list(); err != nil || n != 0 {
			t.Errorf("beta %s: %d items, %v; want none of acme's", name, n, err)
		}
	}
	// acme still has everything, and beta can use the same names for itself.
	if _, err := mrswarmv1.NewResultServiceClient(ts.connAs(t, acmeToken)).GetResult(ctx, &mrswarmv1.GetResultRequest{Handle: handle}); err != nil {
		t.Errorf("acme lost its result: %v", err)
	}
	if _, err := ds.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Errorf("beta loads its own sales: %v", err)
	}
}

// tenantSQL are queries of another tenant's data and of the catalog.
func tenantSQL(handle string) []string {
	return []string{
		"SELECT * FROM tenant_acme.sales",
		"SELECT * FROM mrswarm_store.tenant_acme.sales",
		"SELECT * FROM results." + handle,
		"SELECT * FROM information_schema.tables",
		"SELECT * FROM duckdb_tables()",
		"SELECT * FROM mrswarm.runs",
		"SHOW TABLES",
		"SELECT * FROM sales",
	}
}

// TestTenantIsolationREST: the same over the gateway, with 404s.
func TestTenantIsolationREST(t *testing.T) {
	ts := tenantServer(t)
	handle, runID := acmeData(t, ts)
	beta := ts.httpAs(betaToken)
	for _, r := range [][2]string{
		{"GET", "/v1/datasets/sales"}, {"DELETE", "/v1/datasets/sales"}, {"GET", "/v1/datasets/sales/tools"},
		{"GET", "/v1/results/" + handle}, {"GET", "/v1/results/" + handle + "/rows"}, {"DELETE", "/v1/results/" + handle},
		{"GET", "/v1/runs/" + runID}, {"GET", "/v1/runs/" + runID + "/report"}, {"POST", "/v1/runs/" + runID + ":cancel"},
		{"GET", "/v1/results/" + handle + "/chart.svg"}, {"GET", "/v1/runs/" + runID + "/report?format=html"},
	} {
		if code := httpStatus(t, beta, r[0], r[1], nil); code != http.StatusNotFound {
			t.Errorf("beta %s %s = %d, want 404", r[0], r[1], code)
		}
	}
	for _, q := range tenantSQL(handle) {
		body, _ := json.Marshal(map[string]string{"sql": q})
		if code := httpStatus(t, beta, "POST", "/v1/sql", body); code != http.StatusNotFound {
			t.Errorf("beta POST /v1/sql %q = %d, want 404", q, code)
		}
	}
	if code := httpStatus(t, ts.httpAs(acmeToken), "GET", "/v1/results/"+handle, nil); code != http.StatusOK {
		t.Errorf("acme GET its result = %d", code)
	}
}

// httpStatus sends a JSON request as client and returns the HTTP status.
func httpStatus(t *testing.T, client *http.Client, method, path string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, "http://mrswarm"+path, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestReadOnlyCannotMutate: a read-only token reads and queries its tenant's
// data but cannot load, drop, delete, set roles or run.
func TestReadOnlyCannotMutate(t *testing.T) {
	ts := tenantServer(t)
	handle, runID := acmeData(t, ts)
	ctx, conn := t.Context(), ts.connAs(t, acmeRO)
	ds, rs, ps := mrswarmv1.NewDatasetServiceClient(conn), mrswarmv1.NewResultServiceClient(conn), mrswarmv1.NewPipelineServiceClient(conn)
	start := &mrswarmv1.StartRunRequest{Dataset: "sales", Source: &mrswarmv1.StartRunRequest_Preset{Preset: "quick_insights"}}
	denied := map[string]func() error{
		"LoadDataset": func() error {
			_, err := ds.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "x", Path: "beverage_sales.csv"})
			return err
		},
		"DropDataset": func() error { _, err := ds.DropDataset(ctx, &mrswarmv1.DropDatasetRequest{Name: "sales"}); return err },
		"SetColumnRoles": func() error {
			_, err := ds.SetColumnRoles(ctx, &mrswarmv1.SetColumnRolesRequest{Name: "sales"})
			return err
		},
		"DeleteResult": func() error {
			_, err := rs.DeleteResult(ctx, &mrswarmv1.DeleteResultRequest{Handle: handle})
			return err
		},
		"StartRun":  func() error { _, err := ps.StartRun(ctx, start); return err },
		"CancelRun": func() error { _, err := ps.CancelRun(ctx, &mrswarmv1.CancelRunRequest{RunId: runID}); return err },
		"RunPipeline": func() error {
			s, err := ps.RunPipeline(ctx, start)
			if err == nil {
				_, err = s.Recv()
			}
			return err
		},
		"UploadDataset": func() error {
			s, err := ds.UploadDataset(ctx)
			if err == nil {
				_ = s.Send(&mrswarmv1.UploadDatasetRequest{Part: &mrswarmv1.UploadDatasetRequest_Header{Header: &mrswarmv1.UploadHeader{Name: "x"}}})
				_, err = s.CloseAndRecv()
			}
			return err
		},
	}
	for name, call := range denied {
		if err := call(); status.Code(err) != codes.PermissionDenied || !strings.Contains(status.Convert(err).Message(), "read-only") {
			t.Errorf("read-only %s: %v, want PermissionDenied saying read-only", name, err)
		}
	}
	if _, err := ds.GetDataset(ctx, &mrswarmv1.GetDatasetRequest{Name: "sales"}); err != nil {
		t.Errorf("read-only reads its tenant's dataset: %v", err)
	}
	if _, err := rs.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: "SELECT count(*) FROM sales"}); err != nil {
		t.Errorf("read-only queries: %v", err)
	}
	if _, err := ps.GetRun(ctx, &mrswarmv1.GetRunRequest{RunId: runID}); err != nil {
		t.Errorf("read-only reads its tenant's run: %v", err)
	}
	if code := httpStatus(t, ts.httpAs(acmeRO), "DELETE", "/v1/datasets/sales", nil); code != http.StatusForbidden {
		t.Errorf("read-only DELETE /v1/datasets/sales = %d, want 403", code)
	}
}
