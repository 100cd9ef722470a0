package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

func TestConsoleRoutes(t *testing.T) {
	mux := runtime.NewServeMux()
	if err := Register(mux); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		name, method, path string
		wantCode           int
		wantType, wantBody string
	}{
		{"page", "GET", "/", 200, "text/html", "<script type=\"module\" src=\"/console/app.js\">"},
		{"script", "GET", "/console/app.js", 200, "text/javascript", "import"},
		{"stylesheet", "GET", "/console/console.css", 200, "text/css", "--"},
		{"unknown file", "GET", "/console/nope.js", 404, "", ""},
		{"no traversal", "GET", "/console/..%2Fconsole.go", 404, "", ""},
		{"page only at /", "GET", "/console/index.html", 404, "", ""},
		{"read only (the gateway answers 501 for a method no route has)", "POST", "/", 501, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.wantCode)
			}
			if tt.wantCode != 200 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type %q, want %s", ct, tt.wantType)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
				t.Errorf("Content-Security-Policy %q lets the page load or call other origins", csp)
			}
			if !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("body lacks %q:\n%.300s", tt.wantBody, b)
			}
		})
	}
}

func TestPublic(t *testing.T) {
	tests := []struct {
		method, path string
		want         bool
	}{
		{"GET", "/", true},
		{"HEAD", "/console/app.js", true},
		{"GET", "/console/console.css", true},
		{"POST", "/", false},
		{"GET", "/v1/datasets", false},
		{"GET", "/metrics", false},
		{"GET", "/consolex", false},
		{"DELETE", "/console/app.js", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if got := Public(r); got != tt.want {
			t.Errorf("Public(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}
