// Package console is mrswarm's web console: a single-page app of hand-written
// HTML, CSS and JavaScript embedded in the binary and served beside the REST
// API it talks to. Nothing is fetched from elsewhere at run time.
//
// The page lives at "/" and its files under "/console/". [Register] adds both
// to the gateway's mux, so the console sits behind the same access checks as
// the API. Navigation inside the app uses the URL fragment (#/runs/ID), so the
// server needs no route per page.
package console

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

//go:embed static
var static embed.FS

// contentSecurityPolicy allows the page to load only its own files and to
// talk only to its own origin. Images may be blob: URLs (charts fetched with
// the bearer token); styles may be inline for the HTML report's markup.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// Register serves the console on mux: GET / (the page) and GET /console/{file}.
func Register(mux *runtime.ServeMux) error {
	files, err := fs.Sub(static, "static")
	if err != nil {
		return err
	}
	h := handler{files: files}
	if err := mux.HandlePath(http.MethodGet, "/", h.index); err != nil {
		return err
	}
	return mux.HandlePath(http.MethodGet, "/console/{file}", h.asset)
}

// Public reports whether r asks for the console's own files (GET or HEAD of
// "/" or "/console/..."). They hold no data, so an access check may serve
// them without a token: a browser cannot send the bearer token when it
// navigates to a page, and the page asks for it before its first API call.
func Public(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/console/")
}

// handler serves files from the embedded static folder.
type handler struct{ files fs.FS }

func (h handler) index(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	h.serve(w, r, "index.html")
}

func (h handler) asset(w http.ResponseWriter, r *http.Request, params map[string]string) {
	name := params["file"]
	if name == "index.html" || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	h.serve(w, r, name)
}

// serve writes one embedded file with its content type and the security
// headers. Assets are revalidated on every load (no stale console after an
// upgrade); they are small and served from memory.
func (h handler) serve(w http.ResponseWriter, r *http.Request, name string) {
	b, err := fs.ReadFile(h.files, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	hdr.Set("Content-Type", ctype)
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}
