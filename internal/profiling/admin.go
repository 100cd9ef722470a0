package profiling

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"
)

// AdminHandler serves net/http/pprof under /debug/pprof/ on its own mux, for an
// opt-in admin listener; it never touches http.DefaultServeMux.
func AdminHandler() http.Handler { return adminMux(nil) }

// adminMux is AdminHandler plus GET /metrics served by metrics, when not nil.
func adminMux(metrics http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// ServeAdmin listens on addr (e.g. "127.0.0.1:6060"; port 0 picks one) and serves
// AdminHandler in the background. It returns the bound address and a stop function
// that closes the listener and waits for the server to end.
func ServeAdmin(addr string, metrics http.Handler) (bound string, stop func(), err error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("profiling: admin listener: %w", err)
	}
	srv := &http.Server{Handler: adminMux(metrics), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	var once sync.Once
	return lis.Addr().String(), func() {
		once.Do(func() {
			srv.Close()
			<-done
		})
	}, nil
}
