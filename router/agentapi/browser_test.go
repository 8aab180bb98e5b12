package agentapi_test

// The pages in a real browser: headless Chromium (Debian's chromium
// package, installed by .ci/run) driven with chromedp over the DevTools
// protocol, against the real acd on the test Redis and the API on
// 127.0.0.1:0. Calls are driven through the acd's hand-off side (Enqueue,
// Answered, Ended) directly, as the hand-off would.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/agentapi"
)

// site is the acd and the API (pages included) on a real listener, on the
// wall clock (the pages count time in state and wrap-up with the
// browser's clock).
type site struct {
	svc *acd.Service
	srv *httptest.Server
	url string
}

const (
	tokSari = "sari-1001-token-aaaaaaaaaa"
	tokBudi = "budi-1002-token-bbbbbbbbbb"
	tokDewi = "dewi-1003-token-cccccccccc"
	tokRina = "rina-2001-token-dddddddddd"
)

func startSite(t *testing.T) *site { return startSiteWrap(t, 90*time.Second) }

// startSiteWrap: the queues' wrap-up is wrap.
func startSiteWrap(t *testing.T, wrap time.Duration) *site {
	t.Helper()
	q := func(name string) acd.QueueConfig {
		return acd.QueueConfig{Name: name, Strategy: "longest_idle", ServiceLevel: 20 * time.Second,
			WrapUp: wrap, RingTimeout: 60 * time.Second}
	}
	st := &acd.Settings{
		Queues:          map[string]acd.QueueConfig{"des-general": q("des-general"), "team-leader": q("team-leader")},
		TeamLeaderQueue: "team-leader", EscalationPriority: 200, LoginAtStart: map[string]bool{},
		Agents: []acd.Agent{
			{ID: "1001", Name: "Sari Wulandari", Endpoint: "PJSIP/agent1001", Role: acd.RoleAgent, Team: "DES-1", Queues: []string{"des-general"}},
			{ID: "1002", Name: "Budi Santoso", Endpoint: "PJSIP/agent1002", Role: acd.RoleAgent, Team: "DES-1", Queues: []string{"des-general"}},
			{ID: "1003", Name: "Dewi Lestari", Endpoint: "PJSIP/agent1003", Role: acd.RoleAgent, Team: "DES-1", Queues: []string{"des-general"}},
			{ID: "2001", Name: "Rina Hartono", Endpoint: "PJSIP/agent2001", Role: acd.RoleTeamLeader, Team: "DES-1", Queues: []string{"team-leader"}},
		},
	}
	lg := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	svc, err := acd.New(acd.Options{Client: redistest.Client(t), KeyPrefix: redistest.Prefix(t), Pool: "web",
		Instance: "ctl-1", Log: lg}, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := svc.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	api, err := agentapi.New(svc, agentapi.Options{Log: lg, Tokens: map[string]string{
		"1001": tokSari, "1002": tokBudi, "1003": tokDewi, "2001": tokRina}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	srv := httptest.NewServer(api) // 127.0.0.1:0
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); api.Close(); cancel(); svc.Wait() })
	return &site{svc: svc, srv: srv, url: srv.URL}
}

// enqueue puts a call with a screen-pop in des-general.
func (s *site) enqueue(t *testing.T, callID string, pop map[string]any) {
	t.Helper()
	b, _ := json.Marshal(pop)
	w, err := s.svc.Enqueue(context.Background(), acd.CallEntry{CallID: callID, Queue: "des-general", Priority: 10,
		ScreenPop: b, EnqueuedAt: time.Now().Add(-47 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
}

// browser starts headless Chromium; the test fails (never skips) when it
// is not installed.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need Debian's chromium (apt-get install chromium; .ci/run installs it): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.DisableGPU, chromedp.WindowSize(1280, 1000),
		chromedp.Flag("lang", "id-ID"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // start it now
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// tab is one page of the browser, with its script errors, CSP violations
// and dialogs recorded (any of them fails the test).
type tab struct {
	t    *testing.T
	ctx  context.Context
	mu   sync.Mutex
	bad  []string
	name string
}

func newTab(t *testing.T, parent context.Context, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx, name: name}
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

func (tb *tab) check() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, b := range tb.bad {
		tb.t.Errorf("%s: %s", tb.name, b)
	}
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v", tb.name, err)
	}
}

// js evaluates an expression.
func js[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, expr, err)
	}
	return v
}

// until waits for a JavaScript condition (the page updates from events).
func (tb *tab) until(what, expr string) {
	tb.t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		tb.t.Fatalf("%s: %s (%s): %v", tb.name, what, expr, err)
	}
}

// text is the textContent of the first element matching sel.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return js[string](tb, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel))
}

func (tb *tab) untilText(sel, want string) {
	tb.t.Helper()
	tb.until(fmt.Sprintf("%s shows %q", sel, want),
		fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || "").includes(%q)`, sel, want))
}

func (tb *tab) signIn(path, token string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.ctxURL(path)), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token), chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)))
}

var siteURL sync.Map // *testing.T → base URL

func (tb *tab) ctxURL(path string) string {
	u, _ := siteURL.Load(tb.t)
	return u.(string) + path
}

const hostileName = `<script>alert(1)</script><img src=x onerror=alert(2)>PT Maju`

// TestAgentAndLeaderWorkACallInTheBrowser is the desktop and the board in
// Chromium: the agent signs in and gets ready, a call rings and connects
// with its screen-pop (a customer name with markup shown as text, no
// element made of it), the disposition form refuses an empty category and a
// bad ticket id, saves one that lands on the handling record; the call ends
// and the wrap-up counts down; a reload rebuilds the view; after a network
// cut the stream comes back by itself and the call's view is kept; on a
// second call the agent asks for help and escalates with a reason; the
// leader's board shows the help request and the case in the inbox, takes
// and resolves it, and pauses the agent, which the desktop shows; today's
// calls list both with their outcomes.
func TestAgentAndLeaderWorkACallInTheBrowser(t *testing.T) {
	s := startSite(t)
	siteURL.Store(t, s.url)
	b := browser(t)
	ag := newTab(t, b, "desktop")
	ld := newTab(t, b, "board")

	ld.signIn("/board", tokRina)
	ld.until("board shown", `!document.getElementById("board").hidden`)
	ld.untilText("#who-name", "Rina Hartono")
	ld.untilText("#queues", "des-general")
	ld.untilText(`#agents tr[data-agent="1001"]`, "Tidak masuk")

	ag.signIn("/", tokSari)
	ag.until("desk shown", `!document.getElementById("desk").hidden`)
	ag.untilText("#who-name", "Sari Wulandari (1001)")
	ag.untilText("#state-badge", "Tidak masuk")
	if js[string](ag, `location.href`) != s.url+"/" {
		t.Errorf("the URL changed on sign-in: %s", js[string](ag, `location.href`))
	}
	if js[string](ag, `localStorage.getItem("tenesa.token") || ""`) != "" {
		t.Error("the token is in localStorage")
	}
	ag.do(chromedp.Click(chromedp.ID("btn-ready")))
	ag.untilText("#state-badge", "Siap")
	ld.untilText(`#agents tr[data-agent="1001"]`, "Siap")

	s.enqueue(t, "call-1", map[string]any{"call_id": "call-1", "customer_name": hostileName, "segment": "DES",
		"tier": "platinum", "service_id": "131234567890", "intent": "gangguan", "product": "indihome",
		"open_ticket": "IN-1001", "identified_by": "sid", "keys": "2 1 3", "language": "id"})
	ag.untilText("#call-phase", "berdering")
	if err := s.svc.Answered(context.Background(), "call-1", "1001"); err != nil {
		t.Fatal(err)
	}
	ag.untilText("#call-phase", "tersambung")
	if got := ag.text("#pop-name"); got != hostileName {
		t.Errorf("customer name shown as %q, want the markup as text %q", got, hostileName)
	}
	if n := js[int](ag, `document.querySelectorAll("#pop-name *, img[src=x]").length + document.scripts.length`); n != 2 {
		t.Errorf("the customer name made elements: %d nodes/scripts, want only the page's 2 scripts", n)
	}
	for sel, want := range map[string]string{"#pop-segment": "DES", "#pop-tier": "platinum", "#pop-service": "131234567890",
		"#pop-intent": "gangguan", "#pop-product": "indihome", "#pop-ticket": "IN-1001", "#pop-identified": "ID layanan",
		"#pop-keys": "2 › 1 › 3", "#pop-queue": "des-general", "#pop-waited": "00:4"} {
		if got := ag.text(sel); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}

	// The disposition: validated in the page, then saved.
	ag.do(chromedp.Click(chromedp.CSS(`#dispo button[type=submit]`)))
	ag.untilText("#dispo-error", "Pilih kategori.")
	ag.do(chromedp.Click(chromedp.CSS(`input[name=category][value=complaint]`)),
		chromedp.SendKeys(chromedp.ID("ticket"), "IN 42!"), chromedp.Click(chromedp.CSS(`#dispo button[type=submit]`)))
	ag.untilText("#dispo-error", "ID tiket: 1–64")
	ag.do(chromedp.SetValue(chromedp.ID("ticket"), "IN-42"), chromedp.Click(chromedp.ID("further")),
		chromedp.Click(chromedp.ID("closing")), chromedp.Click(chromedp.CSS(`#dispo button[type=submit]`)))
	ag.untilText("#dispo-ok", "Disposisi tersimpan.")
	h, err := s.svc.Handling(context.Background(), "call-1")
	if err != nil || h.Disposition == nil || h.Disposition.Category != acd.CategoryComplaint || h.Disposition.TicketID != "IN-42" ||
		!h.Disposition.FurtherHelpOffered || !h.Disposition.StandardClosing || h.Disposition.AgentID != "1001" {
		t.Fatalf("handling record disposition %+v (%v)", h.Disposition, err)
	}

	// The call ends: wrap-up with its countdown; a reload keeps the view.
	if err := s.svc.Ended(context.Background(), "call-1", acd.PartyCaller); err != nil {
		t.Fatal(err)
	}
	ag.untilText("#call-phase", "selesai")
	ag.until("wrap-up countdown", `!document.getElementById("wrapup").hidden && /^0[01]:\d\d$/.test(document.getElementById("wrapup-left").textContent)`)
	ag.do(chromedp.Reload())
	ag.until("desk back after reload", `!document.getElementById("desk").hidden`)
	ag.untilText("#call-phase", "selesai")
	if got := ag.text("#pop-name"); got != hostileName {
		t.Errorf("after reload the customer name is %q", got)
	}

	// A network cut: the stream reconnects by itself (Last-Event-ID) and
	// the call's view stays.
	s.srv.CloseClientConnections()
	ag.untilText("#conn", "menyambung ulang")
	ag.untilText("#conn", "terhubung")
	ag.untilText("#pop-call", "call-1")
	ag.untilText("#call-phase", "selesai")
	ag.do(chromedp.Click(chromedp.ID("btn-ready")))
	ag.untilText("#state-badge", "Siap")
	ag.until("the finished call's view cleared", `!document.getElementById("no-call").hidden`)

	// A second call: help, then escalation with a reason.
	s.enqueue(t, "call-2", map[string]any{"call_id": "call-2", "customer_name": "Ibu Ratna", "segment": "DES", "tier": "gold",
		"service_id": "131299988877", "intent": "tagihan", "identified_by": "ani", "keys": "1 2", "language": "id"})
	ag.untilText("#call-phase", "berdering")
	if err := s.svc.Answered(context.Background(), "call-2", "1001"); err != nil {
		t.Fatal(err)
	}
	ag.untilText("#call-phase", "tersambung")
	ag.untilText("#pop-name", "Ibu Ratna")
	ag.do(chromedp.SendKeys(chromedp.ID("help-note"), "Pelanggan <b>marah</b>, mohon didampingi"),
		chromedp.Click(chromedp.CSS(`#help button[type=submit]`)))
	ag.untilText("#help-ok", "Team Leader sudah diberi tahu.")
	ld.untilText("#helps", "Pelanggan <b>marah</b>, mohon didampingi")
	ag.do(chromedp.Click(chromedp.CSS(`#escalate button[type=submit]`)))
	ag.untilText("#esc-error", "Tulis alasan eskalasi.")
	ag.do(chromedp.SendKeys(chromedp.ID("esc-reason"), "Minta bicara dengan atasan soal tagihan ganda"),
		chromedp.Click(chromedp.CSS(`#escalate button[type=submit]`)))
	ag.untilText("#esc-ok", "dieskalasi")

	ld.untilText(`#inbox li[data-call="call-2"]`, "Minta bicara dengan atasan soal tagihan ganda")
	ld.untilText(`#inbox li[data-call="call-2"]`, "terbuka")
	ld.untilText("#queues", "team-leader")
	ld.do(chromedp.Click(chromedp.CSS(`#inbox li[data-call="call-2"] button[data-op=take]`)))
	ld.untilText(`#inbox li[data-call="call-2"]`, "diambil oleh Rina Hartono (2001)")
	ld.do(chromedp.SendKeys(chromedp.CSS(`#inbox li[data-call="call-2"] input`), "Sudah ditelepon balik"),
		chromedp.Click(chromedp.CSS(`#inbox li[data-call="call-2"] button[data-op=resolve]`)))
	ld.until("inbox empty", `!document.getElementById("inbox-none").hidden`)
	c, err := s.svc.Case(context.Background(), "call-2")
	if err != nil || c.Status != acd.CaseResolved || c.Leader != "2001" || c.Note != "Sudah ditelepon balik" {
		t.Fatalf("case %+v (%v)", c, err)
	}

	// The leader pauses the agent (in wrap-up after the escalation).
	ld.untilText(`#agents tr[data-agent="1001"]`, "Wrap-up")
	ld.do(chromedp.Click(chromedp.CSS(`#agents tr[data-agent="1001"] button[data-op=paused]`)))
	ag.untilText("#state-badge", "Jeda — oleh Team Leader")
	ld.untilText(`#agents tr[data-agent="1001"]`, "Jeda")

	// Today's calls with their outcomes.
	ag.untilText("#today", "call-2")
	ag.untilText("#today", "Dieskalasi")
	ag.untilText("#today", "Keluhan")
	ag.untilText("#today", "IN-42")

	// English, remembered; sign-out forgets the token.
	ag.do(chromedp.Click(chromedp.ID("lang")))
	ag.untilText("#state-badge", "Paused")
	if js[string](ag, `localStorage.getItem("tenesa.lang")`) != "en" {
		t.Error("the language choice is not remembered")
	}
	ag.do(chromedp.Click(chromedp.ID("signout")))
	ag.until("sign-in shown", `!document.getElementById("signin").hidden`)
	if js[string](ag, `sessionStorage.getItem("tenesa.token") || ""`) != "" {
		t.Error("sign-out left the token in sessionStorage")
	}
	ag.do(chromedp.Click(chromedp.ID("lang")))
}

// TestWrongTokenIsRefusedInTheBrowser: a wrong token gets a clear message
// and is not kept; an agent's token does not open the leaders' board.
func TestWrongTokenIsRefusedInTheBrowser(t *testing.T) {
	s := startSite(t)
	siteURL.Store(t, s.url)
	b := browser(t)
	ag := newTab(t, b, "desktop")
	ag.signIn("/", "not-the-right-token-at-all")
	ag.untilText("#signin-error", "Token ditolak")
	if js[bool](ag, `!document.getElementById("desk").hidden`) {
		t.Error("the desk opened with a wrong token")
	}
	if js[string](ag, `sessionStorage.getItem("tenesa.token") || ""`) != "" {
		t.Error("a refused token was kept")
	}
	ld := newTab(t, b, "board")
	ld.signIn("/board", tokBudi)
	ld.untilText("#signin-error", "bukan Team Leader")
	if js[bool](ld, `!document.getElementById("board").hidden`) {
		t.Error("an agent's token opened the board")
	}
}

// TestWrapUpReminderWhenNothingIsRecorded: a call ends with no disposition
// and a wrap-up shorter than the reminder margin: the desktop reminds the
// agent at once; when the wrap-up ends the call's view goes, the agent is
// ready again and today's calls show it as not recorded.
func TestWrapUpReminderWhenNothingIsRecorded(t *testing.T) {
	s := startSiteWrap(t, 12*time.Second) // under the page's 15 s reminder margin: reminded at once
	siteURL.Store(t, s.url)
	b := browser(t)
	ag := newTab(t, b, "desktop")
	ag.signIn("/", tokDewi)
	ag.untilText("#state-badge", "Tidak masuk")
	ag.do(chromedp.Click(chromedp.ID("btn-ready")))
	ag.untilText("#state-badge", "Siap")
	s.enqueue(t, "call-r", map[string]any{"customer_name": "Ibu Wati", "identified_by": "none"})
	ag.untilText("#call-phase", "berdering")
	if err := s.svc.Answered(context.Background(), "call-r", "1003"); err != nil {
		t.Fatal(err)
	}
	ag.untilText("#call-phase", "tersambung")
	if !js[bool](ag, `document.getElementById("reminder").hidden`) {
		t.Error("the reminder shows during the call")
	}
	if err := s.svc.Ended(context.Background(), "call-r", acd.PartyAgent); err != nil {
		t.Fatal(err)
	}
	ag.untilText("#state-badge", "Wrap-up")
	ag.until("reminder shown", `!document.getElementById("reminder").hidden`)
	ag.untilText("#reminder", "disposisi belum dicatat")
	ag.untilText("#state-badge", "Siap") // the wrap-up ran out
	ag.until("the call's view cleared", `!document.getElementById("no-call").hidden && document.getElementById("reminder").hidden`)
	ag.untilText("#today", "Tidak dicatat")
}
