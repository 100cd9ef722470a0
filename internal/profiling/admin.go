package profiling

import (
	"net/http"
	"net/http/pprof"
)

// AdminHandler serves net/http/pprof under /debug/pprof/ on its own mux, for an
// opt-in admin listener; it never touches http.DefaultServeMux.
func AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
