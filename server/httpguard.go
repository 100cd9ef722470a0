package server

import (
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/mrswarm/mrswarm/server/console"
	"github.com/rs/cors"
	"google.golang.org/grpc/codes"
)

// guardHTTP puts the REST gateway behind the checks a service next to a
// browser needs, outermost first: the Host header (DNS rebinding), CORS for
// configured origins only, cross-origin state-changing requests
// (http.CrossOriginProtection), content types a web form could send, and the
// bearer token (GET /healthz and the web console's own files need none; GET
// /metrics needs an admin's).
func guardHTTP(next http.Handler, a Access, acc *access) (http.Handler, error) {
	h := acc.requireToken(next)
	h = requireContentType(h, acc)
	cop := http.NewCrossOriginProtection()
	for _, o := range a.AllowedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("allowed origin: %w", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acc.deny(deniedOrigin)
		writeHTTPError(w, http.StatusForbidden, codes.PermissionDenied, fmt.Sprintf(
			"cross-origin request from %q refused: allow a web origin with --allowed-origins", r.Header.Get("Origin")))
	}))
	h = cop.Handler(h)
	if len(a.AllowedOrigins) > 0 {
		h = cors.New(cors.Options{AllowedOrigins: a.AllowedOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodDelete},
			AllowedHeaders: []string{"Authorization", "Content-Type"}}).Handler(h)
	}
	return checkHost(h, a.AllowedHosts, acc), nil
}

// checkHost refuses a Host header that is not an IP address, localhost or an
// allowed name: a page on evil.example that rebinds its name to 127.0.0.1
// reaches the port but still sends Host: evil.example.
func checkHost(next http.Handler, allowed []string, acc *access) http.Handler {
	ok := map[string]bool{"localhost": true}
	for _, h := range allowed {
		ok[strings.ToLower(h)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.Trim(host, "[]"))
		if host == "" || ok[host] || ok["*"] || net.ParseIP(host) != nil {
			next.ServeHTTP(w, r)
			return
		}
		acc.deny(deniedHost)
		writeHTTPError(w, http.StatusForbidden, codes.PermissionDenied, fmt.Sprintf(
			"host %q is not served here: use the server's address, or allow the name with --allowed-hosts", r.Host))
	})
}

// requireContentType refuses bodies a cross-site form can send without a
// preflight: JSON endpoints take application/json only; the upload route
// takes files (CSV, JSON, Parquet, multipart) but not text/plain or url-encoded forms.
func requireContentType(next http.Handler, acc *access) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		upload := strings.HasPrefix(r.URL.Path, "/v1/datasets/") && strings.HasSuffix(r.URL.Path, ":upload")
		var bad bool
		switch {
		case upload:
			bad = mt == "text/plain" || mt == "application/x-www-form-urlencoded"
		case r.ContentLength != 0:
			bad = mt != "application/json"
		}
		if !bad {
			next.ServeHTTP(w, r)
			return
		}
		acc.deny(deniedContentType)
		want := "application/json"
		if upload {
			want = "the file's type (text/csv, application/json, application/vnd.apache.parquet) or multipart/form-data"
		}
		writeHTTPError(w, http.StatusUnsupportedMediaType, codes.InvalidArgument, fmt.Sprintf(
			"content type %q is not accepted here: send %s", r.Header.Get("Content-Type"), want))
	})
}

// requireToken authenticates REST calls (the console's pages and scripts hold
// no data and are served without a token: a browser cannot send one when it
// navigates, and the page asks for it before its first API call); the gateway forwards the header to
// the gRPC services, which check it again and scope the call to its tenant.
func (acc *access) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || console.Public(r) {
			next.ServeHTTP(w, r)
			return
		}
		id, err := acc.auth.identify(r.Header.Get("Authorization"))
		if err != nil {
			acc.deny(deniedFor(err))
			w.Header().Set("WWW-Authenticate", `Bearer realm="mrswarm"`)
			writeHTTPError(w, http.StatusUnauthorized, codes.Unauthenticated, acc.auth.message(err))
			return
		}
		if r.URL.Path == "/metrics" && id.role != RoleAdmin {
			acc.deny(deniedRole)
			writeHTTPError(w, http.StatusForbidden, codes.PermissionDenied, "/metrics needs an admin token (or serve it on --admin-addr)")
			return
		}
		next.ServeHTTP(w, r.WithContext(withIdentity(r.Context(), id)))
	})
}

// writeHTTPError answers like the gateway does for a gRPC status.
func writeHTTPError(w http.ResponseWriter, httpStatus int, code codes.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(httpStatus)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": int(code), "message": msg, "details": []any{}})
}
