package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"

	"github.com/mrswarm/mrswarm/internal/repo"
)

// testServer is a server started by Serve on in-memory listeners: a gRPC client
// over bufconn and an HTTP client that dials the gateway's bufconn.
type testServer struct {
	cfg      Config
	conn     *grpc.ClientConn
	http     *http.Client
	datasets mrswarmv1.DatasetServiceClient
	results  mrswarmv1.ResultServiceClient
	tools    mrswarmv1.ToolServiceClient
	pipes    mrswarmv1.PipelineServiceClient
	stop     func() error // closes the clients, cancels Serve and returns its error
	// stopServerOnly cancels Serve and returns its error, leaving the clients open.
	stopServerOnly func() error
	grpcLis        *bufconn.Listener
	transport      *http.Transport
}

// testConfig is a config on a fresh data root and database file, named like
// the default database (a file name once clashed with the store's schemas).
func testConfig(t testing.TB) Config {
	t.Helper()
	return Config{
		DataRoot:        t.TempDir(),
		DBPath:          filepath.Join(t.TempDir(), "mrswarm.duckdb"),
		Logger:          testLogger(),
		ShutdownTimeout: 5e9,
		Access:          Access{Tokens: []Token{{Secret: testToken, Tenant: "default", Role: RoleAdmin}}},
	}
}

// testLogger logs to stderr with MRSWARM_TEST_LOG=1 and nowhere otherwise.
func testLogger() *slog.Logger {
	if os.Getenv("MRSWARM_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testToken is the default tenant's admin token of test servers.
const testToken = "test-token-0123456789abcdef"

// startServer runs Serve(cfg) until the test ends (or stop is called). Unless
// cfg has tokens or no auth, the default tenant's admin token testToken is
// the server's, and both clients send it; the gateway answers Host: mrswarm.
func startServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	if len(cfg.Tokens) == 0 && cfg.Auth != AuthNone {
		cfg.Tokens = []Token{{Secret: testToken, Tenant: "default", Role: RoleAdmin}}
	}
	cfg.AllowedHosts = append(cfg.AllowedHosts, "mrswarm")
	token := ""
	if len(cfg.Tokens) > 0 {
		token = cfg.Tokens[0].Secret
	}
	grpcLis, httpLis := bufconn.Listen(1<<20), bufconn.Listen(1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, grpcLis, httpLis) }()

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return grpcLis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	// One connection per request: bufconn's read deadlines race (a stale timer
	// can fire after net/http resets the deadline), which cancels the next
	// request on a reused connection. TCP connections do not have the problem.
	transport := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return httpLis.DialContext(ctx)
	}}
	ts := &testServer{
		cfg: cfg, conn: conn, http: &http.Client{Transport: bearerTransport{transport, token}},
		datasets: mrswarmv1.NewDatasetServiceClient(conn), results: mrswarmv1.NewResultServiceClient(conn),
		tools: mrswarmv1.NewToolServiceClient(conn), pipes: mrswarmv1.NewPipelineServiceClient(conn),
		grpcLis: grpcLis, transport: transport,
	}
	ts.stopServerOnly = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	ts.stop = func() error {
		conn.Close()
		transport.CloseIdleConnections()
		return ts.stopServerOnly()
	}
	t.Cleanup(func() {
		if err := ts.stop(); err != nil {
			t.Errorf("Serve returned %v", err)
		}
	})
	return ts
}

// do sends an HTTP request to the gateway and returns the status and body.
func (ts *testServer) do(t testing.TB, method, path string, body io.Reader, contentType string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://mrswarm"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := ts.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// doJSON sends v as JSON (nil: no body) and decodes the answer into a map.
func (ts *testServer) doJSON(t testing.TB, method, path string, v any) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	code, b := ts.do(t, method, path, body, "application/json")
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %d %q is not a JSON object: %v", method, path, code, b, err)
	}
	return code, m
}

// ndjson splits a streamed REST answer into its objects.
func ndjsonLines(t testing.TB, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("stream line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// wantCode fails unless err is a status error with code want.
func wantCode(t testing.TB, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("code = %v (%v), want %v", got, err, want)
	}
}

// beverageCSV is the real data set, <module root>/data/beverage_sales.csv.
func beverageCSV(t testing.TB) string {
	t.Helper()
	p, err := repo.BeverageCSV()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// copyBeverage copies the real data set into dir as name.
func copyBeverage(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(beverageCSV(t))
	if err != nil {
		t.Fatalf("the real data set is missing: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes content into dir/name.
func writeFile(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bearer sends a token on every gRPC call (none when empty).
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	if b == "" {
		return nil, nil
	}
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

// bearerTransport adds the token to requests that carry no Authorization header.
type bearerTransport struct {
	base  http.RoundTripper
	token string
}

func (t bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.token != "" && r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+t.token)
	}
	return t.base.RoundTrip(r)
}

// connAs is a gRPC connection that sends token ("" sends none), closed when the test ends.
func (ts *testServer) connAs(t testing.TB, token string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ts.grpcLis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// httpAs is an HTTP client of the gateway that sends token ("" sends none).
func (ts *testServer) httpAs(token string) *http.Client {
	return &http.Client{Transport: bearerTransport{ts.transport, token}}
}
