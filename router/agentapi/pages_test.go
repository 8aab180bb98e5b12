package agentapi_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPagesCarryTheStrictPolicyAndTheAPIKeepsItsOwn: the pages and their
// assets are served with "default-src 'self'" (no inline script or style
// allowed, no framing) and the other strict headers, without a token; the
// API's JSON keeps "default-src 'none'"; unknown assets are 404.
func TestPagesCarryTheStrictPolicyAndTheAPIKeepsItsOwn(t *testing.T) {
	s := startSite(t)
	for _, c := range []struct {
		path, ctype string
		status      int
	}{
		{"/", "text/html", 200}, {"/board", "text/html", 200}, {"/static/app.css", "text/css", 200},
		{"/static/common.js", "javascript", 200}, {"/static/desktop.js", "javascript", 200},
		{"/static/board.js", "javascript", 200}, {"/static/favicon.svg", "image/svg+xml", 200},
		{"/static/nothing.js", "", 404},
	} {
		resp, err := http.Get(s.url + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != c.status || !strings.Contains(h.Get("Content-Type"), c.ctype) {
			t.Errorf("GET %s: %d %s, want %d %s", c.path, resp.StatusCode, h.Get("Content-Type"), c.status, c.ctype)
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", c.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") {
			t.Errorf("GET %s: CSP %q allows inline code or another origin", c.path, csp)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
			"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if got := h.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", c.path, k, got, want)
			}
		}
		if h.Get("Set-Cookie") != "" {
			t.Errorf("GET %s sets a cookie", c.path)
		}
	}
	resp, err := http.Get(s.url + "/api/v1/agents")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); resp.StatusCode != 401 || got != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("API without a token: %d, CSP %q", resp.StatusCode, got)
	}
}

// TestPageSourcesInsertNoHTMLAndHaveNoInlineCode: the scripts never build
// HTML from strings (every server string goes in with textContent) nor
// evaluate strings, and the pages have no inline script, style or handler
// (the policy would block them: this keeps the sources honest).
func TestPageSourcesInsertNoHTMLAndHaveNoInlineCode(t *testing.T) {
	forbidden := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\("|\.src\s*=|location\.(href|search)\s*=`)
	js, _ := filepath.Glob("web/static/*.js")
	if len(js) != 3 {
		t.Fatalf("scripts %v, want common, desktop, board", js)
	}
	for _, f := range js {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := forbidden.FindString(string(b)); m != "" {
			t.Errorf("%s uses %s", f, m)
		}
	}
	inline := regexp.MustCompile(`<script(\s[^>]*)?>[^<]|<script>|\sstyle=|<style|\son[a-z]+=|javascript:`)
	for _, f := range []string{"web/desktop.html", "web/board.html"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := inline.FindString(string(b)); m != "" {
			t.Errorf("%s has inline code: %q", f, m)
		}
	}
}
