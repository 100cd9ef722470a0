package server

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// send makes one request to the gateway with the test token and extra headers.
func send(t *testing.T, ts *testServer, method, path, host, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://mrswarm"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := ts.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCrossSiteRequests replays the requests: a page on evil.example
// posting text/plain to the upload route and to /v1/sql, and a DNS-rebound
// Host. Each is refused even with a valid token, and the dataset stays.
func TestCrossSiteRequests(t *testing.T) {
	cfg := testConfig(t)
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	if _, err := ts.datasets.LoadDataset(t.Context(), &mrswarmv1.LoadDatasetRequest{Name: "x", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	evil := map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}
	tests := []struct {
		name, method, path, host, body string
		header                         map[string]string
		want                           int
	}{
		{"upload from evil origin", "POST", "/v1/datasets/x:upload", "", "a,b\n1,2\n", evil, http.StatusForbidden},
		{"sql from evil origin", "POST", "/v1/sql", "", `{"sql": "SELECT 1"}`, evil, http.StatusForbidden},
		{"sql from evil origin, fetch metadata", "POST", "/v1/sql", "", `{"sql": "SELECT 1"}`,
			map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, http.StatusForbidden},
		{"upload as text/plain", "POST", "/v1/datasets/x:upload", "", "a,b\n1,2\n", map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{"upload as a url-encoded form", "POST", "/v1/datasets/x:upload", "", "a=1", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"sql as text/plain", "POST", "/v1/sql", "", `{"sql": "SELECT 1"}`, map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{"sql as a form", "POST", "/v1/sql", "", `sql=SELECT+1`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"rebound host", "GET", "/v1/datasets", "evil.example:8080", "", nil, http.StatusForbidden},
		{"rebound host posting", "POST", "/v1/sql", "evil.example:8080", `{"sql": "SELECT 1"}`, map[string]string{"Content-Type": "application/json"}, http.StatusForbidden},
		// What a local user's tools send still works.
		{"ip host", "GET", "/v1/datasets", "127.0.0.1:8080", "", nil, http.StatusOK},
		{"localhost", "GET", "/v1/datasets", "localhost:8080", "", nil, http.StatusOK},
		{"json sql", "POST", "/v1/sql", "", `{"sql": "SELECT 1"}`, map[string]string{"Content-Type": "application/json"}, http.StatusOK},
		{"same origin", "POST", "/v1/sql", "127.0.0.1:8080", `{"sql": "SELECT 1"}`,
			map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:8080"}, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := send(t, ts, tc.method, tc.path, tc.host, tc.body, tc.header)
			if code != tc.want {
				t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, code, body, tc.want)
			}
		})
	}
	d, err := ts.datasets.GetDataset(t.Context(), &mrswarmv1.GetDatasetRequest{Name: "x"})
	if err != nil || d.GetRowCount() != 15000 {
		t.Errorf("dataset x after the refused uploads: %d rows, %v", d.GetRowCount(), err)
	}
	// The refusals are counted by reason.
	_, metrics := send(t, ts, "GET", "/metrics", "", "", nil)
	for _, reason := range []string{"origin", "content_type", "host"} {
		if !strings.Contains(metrics, `mrswarm_denied_requests_total{reason="`+reason+`"}`) {
			t.Errorf("/metrics does not count denials for %s", reason)
		}
	}
}

// TestCORS: no CORS headers unless origins are configured; then only for them.
func TestCORS(t *testing.T) {
	preflight := func(ts *testServer, origin string) http.Header {
		req, _ := http.NewRequestWithContext(t.Context(), "OPTIONS", "http://mrswarm/v1/sql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := ts.httpAs("").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	off := startServer(t, testConfig(t))
	if h := preflight(off, "https://app.example"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS is on without configuration: %v", h)
	}
	cfg := testConfig(t)
	cfg.AllowedOrigins = []string{"https://app.example"}
	on := startServer(t, cfg)
	if h := preflight(on, "https://app.example"); h.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("configured origin gets no CORS answer: %v", h)
	}
	if h := preflight(on, "http://evil.example"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS answers an origin that is not configured: %v", h)
	}
	code, body := send(t, on, "POST", "/v1/sql", "", `{"sql": "SELECT 1"}`,
		map[string]string{"Origin": "https://app.example", "Content-Type": "application/json"})
	if code != http.StatusOK {
		t.Errorf("POST from the allowed origin = %d %s", code, body)
	}
}

// TestMetricsNeedAdmin: /metrics on the main port is for admin tokens.
func TestMetricsNeedAdmin(t *testing.T) {
	ts := tenantServer(t)
	for token, want := range map[string]int{adminToken: http.StatusOK, acmeToken: http.StatusForbidden, "": http.StatusUnauthorized} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://mrswarm/metrics", bytes.NewReader(nil))
		resp, err := ts.httpAs(token).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /metrics with %q = %d, want %d", token, resp.StatusCode, want)
		}
	}
}
