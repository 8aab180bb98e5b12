package agentapi

import (
	"embed"
	"io/fs"
	"net/http"
)

// The agent desktop (/) and the leaders' board (/board): static pages
// embedded in the binary, no build step. They hold no credential of their
// own: the page asks for the agent's token, keeps it in sessionStorage and
// sends it in the Authorization header of each API call.
//
//go:embed web
var webFS embed.FS

// pageCSP is the policy of the pages: their own scripts, styles and API
// only; no inline script or style, no framing, no plug-ins.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (a *API) pageRoutes() {
	static, _ := fs.Sub(webFS, "web/static")
	files := http.FileServerFS(static)
	a.mux.Handle("GET /{$}", page("web/desktop.html"))
	a.mux.Handle("GET /board", page("web/board.html"))
	a.mux.Handle("GET /static/", pageHeaders(http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only the embedded files, no directory listing; the 404 keeps the
		// strict headers (the file server's own error drops Cache-Control).
		if st, err := fs.Stat(static, r.URL.Path); err != nil || st.IsDir() {
			writeError(w, http.StatusNotFound, "no such file", "")
			return
		}
		files.ServeHTTP(w, r)
	}))))
}

func page(name string) http.Handler {
	b, err := webFS.ReadFile(name)
	if err != nil {
		panic("agentapi: page " + name + " not embedded")
	}
	return pageHeaders(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b)
	}))
}

// pageHeaders replaces the API's JSON policy with the pages' one; the
// other strict headers (nosniff, no-store, no referrer, DENY) stay.
func pageHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", pageCSP)
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}
