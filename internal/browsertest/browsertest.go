// Package browsertest drives the agent desktop and the leaders' board in a
// real headless Chromium (Debian's chromium package, installed by
// scripts/ensure-test-tools.sh) over the DevTools protocol with chromedp.
//
// A Tab records the page's script errors, Content-Security-Policy
// violations and dialogs; any of them fails the test at its end. Waits are
// on conditions in the page (polled JavaScript expressions with a
// deadline), never sleeps: the bound is generous because the test machine
// is shared and loaded.
package browsertest

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// WaitLimit bounds one wait on a condition in the page. The pages react to
// events within milliseconds; the bound only has to survive a loaded
// machine.
const WaitLimit = 60 * time.Second

// Start launches headless Chromium for the test and returns the browser's
// context (tabs are opened from it with NewTab). The test fails, never
// skips, when chromium is not installed. limit bounds the whole browser
// session.
func Start(t testing.TB, limit time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need Debian's chromium (apt-get install chromium; scripts/ensure-test-tools.sh installs it): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.DisableGPU, chromedp.WindowSize(1280, 1000),
		chromedp.Flag("lang", "id-ID"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // start it now
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// Tab is one page of the browser (its own sessionStorage: one signed-in
// user per tab).
type Tab struct {
	t    testing.TB
	ctx  context.Context
	base string // the site's URL, e.g. http://127.0.0.1:41234
	name string // in failure messages ("desktop", "board")
	mu   sync.Mutex
	bad  []string
}

// NewTab opens a tab of the browser for the site at base.
func NewTab(t testing.TB, browser context.Context, name, base string) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tb := &Tab{t: t, ctx: ctx, name: name, base: base}
	if err := chromedp.Listen(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			tb.bad = append(tb.bad, fmt.Sprintf("script error at %s:%d: %s", d.URL, d.LineNumber+1, msg))
		case *page.EventJavascriptDialogOpening:
			tb.bad = append(tb.bad, "dialog opened: "+e.Message)
		case *log.EventEntryAdded:
			if e.Entry.Source == log.EntrySourceSecurity || strings.Contains(e.Entry.Text, "Content Security Policy") {
				tb.bad = append(tb.bad, "policy violation: "+e.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tb.check)
	return tb
}

// Context is the tab's chromedp context (e.g. for screenshots).
func (tb *Tab) Context() context.Context { return tb.ctx }

// URL is the site's address of path.
func (tb *Tab) URL(path string) string { return tb.base + path }

func (tb *Tab) check() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, b := range tb.bad {
		tb.t.Errorf("%s: %s", tb.name, b)
	}
}

// Do runs actions in the tab; an error fails the test.
func (tb *Tab) Do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v", tb.name, err)
	}
}

// Eval evaluates a JavaScript expression in the tab.
func Eval[T any](tb *Tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, expr, err)
	}
	return v
}

// Until waits for a JavaScript condition to hold (the pages update from
// events), at most WaitLimit.
func (tb *Tab) Until(what, expr string) {
	tb.t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(WaitLimit))); err != nil {
		tb.t.Fatalf("%s: %s (%s): %v", tb.name, what, expr, err)
	}
}

// Text is the textContent of the first element matching the CSS selector
// sel ("" when none).
func (tb *Tab) Text(sel string) string {
	tb.t.Helper()
	return Eval[string](tb, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel))
}

// UntilText waits for the first element matching sel to contain want.
func (tb *Tab) UntilText(sel, want string) {
	tb.t.Helper()
	tb.Until(fmt.Sprintf("%s shows %q", sel, want),
		fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || "").includes(%q)`, sel, want))
}

// SignIn opens the page at path and submits token on its sign-in form.
func (tb *Tab) SignIn(path, token string) {
	tb.t.Helper()
	tb.Do(chromedp.Navigate(tb.URL(path)), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)))
}
