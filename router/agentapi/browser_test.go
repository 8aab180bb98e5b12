package agentapi_test

// The pages in a real browser: headless Chromium (Debian's chromium
// package, installed by .ci/run) driven with chromedp over the DevTools
// protocol (internal/browsertest), against the real acd on the test Redis
// and the API on 127.0.0.1:0. Calls are driven through the acd's hand-off
// side (Enqueue, Answered, Ended) directly, as the hand-off would; the same
// pages on real simulated calls through the controller and the flow are
// router/flow's desk_browser_test.go.

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/browsertest"
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
	b := browsertest.Start(t, 3*time.Minute)
	ag := browsertest.NewTab(t, b, "desktop", s.url)
	ld := browsertest.NewTab(t, b, "board", s.url)

	ld.SignIn("/board", tokRina)
	ld.Until("board shown", `!document.getElementById("board").hidden`)
	ld.UntilText("#who-name", "Rina Hartono")
	ld.UntilText("#queues", "des-general")
	ld.UntilText(`#agents tr[data-agent="1001"]`, "Tidak masuk")

	ag.SignIn("/", tokSari)
	ag.Until("desk shown", `!document.getElementById("desk").hidden`)
	ag.UntilText("#who-name", "Sari Wulandari (1001)")
	ag.UntilText("#state-badge", "Tidak masuk")
	if browsertest.Eval[string](ag, `location.href`) != s.url+"/" {
		t.Errorf("the URL changed on sign-in: %s", browsertest.Eval[string](ag, `location.href`))
	}
	if browsertest.Eval[string](ag, `localStorage.getItem("tenesa.token") || ""`) != "" {
		t.Error("the token is in localStorage")
	}
	ag.Do(chromedp.Click(chromedp.ID("btn-ready")))
	ag.UntilText("#state-badge", "Siap")
	ld.UntilText(`#agents tr[data-agent="1001"]`, "Siap")

	s.enqueue(t, "call-1", map[string]any{"call_id": "call-1", "customer_name": hostileName, "segment": "DES",
		"tier": "platinum", "service_id": "131234567890", "intent": "gangguan", "product": "indihome",
		"open_ticket": "IN-1001", "identified_by": "sid", "keys": "2 1 3", "language": "id"})
	ag.UntilText("#call-phase", "berdering")
	if err := s.svc.Answered(context.Background(), "call-1", "1001"); err != nil {
		t.Fatal(err)
	}
	ag.UntilText("#call-phase", "tersambung")
	if got := ag.Text("#pop-name"); got != hostileName {
		t.Errorf("customer name shown as %q, want the markup as text %q", got, hostileName)
	}
	if n := browsertest.Eval[int](ag, `document.querySelectorAll("#pop-name *, img[src=x]").length + document.scripts.length`); n != 2 {
		t.Errorf("the customer name made elements: %d nodes/scripts, want only the page's 2 scripts", n)
	}
	for sel, want := range map[string]string{"#pop-segment": "DES", "#pop-tier": "platinum", "#pop-service": "131234567890",
		"#pop-intent": "gangguan", "#pop-product": "indihome", "#pop-ticket": "IN-1001", "#pop-identified": "ID layanan",
		"#pop-keys": "2 › 1 › 3", "#pop-queue": "des-general", "#pop-waited": "00:4"} {
		if got := ag.Text(sel); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}

	// The disposition: validated in the page, then saved.
	ag.Do(chromedp.Click(chromedp.CSS(`#dispo button[type=submit]`)))
	ag.UntilText("#dispo-error", "Pilih kategori.")
	ag.Do(chromedp.Click(chromedp.CSS(`input[name=category][value=complaint]`)),
		chromedp.SendKeys(chromedp.ID("ticket"), "IN 42!"), chromedp.Click(chromedp.CSS(`#dispo button[type=submit]`)))
	ag.UntilText("#dispo-error", "ID tiket: 1–64")
	ag.Do(chromedp.SetValue(chromedp.ID("ticket"), "IN-42"), chromedp.Click(chromedp.ID("further")),
		chromedp.Click(chromedp.ID("closing")), chromedp.Click(chromedp.CSS(`#dispo button[type=submit]`)))
	ag.UntilText("#dispo-ok", "Disposisi tersimpan.")
	h, err := s.svc.Handling(context.Background(), "call-1")
	if err != nil || h.Disposition == nil || h.Disposition.Category != acd.CategoryComplaint || h.Disposition.TicketID != "IN-42" ||
		!h.Disposition.FurtherHelpOffered || !h.Disposition.StandardClosing || h.Disposition.AgentID != "1001" {
		t.Fatalf("handling record disposition %+v (%v)", h.Disposition, err)
	}

	// The call ends: wrap-up with its countdown; a reload keeps the view.
	if err := s.svc.Ended(context.Background(), "call-1", acd.PartyCaller); err != nil {
		t.Fatal(err)
	}
	ag.UntilText("#call-phase", "selesai")
	ag.Until("wrap-up countdown", `!document.getElementById("wrapup").hidden && /^0[01]:\d\d$/.test(document.getElementById("wrapup-left").textContent)`)
	ag.Do(chromedp.Reload())
	ag.Until("desk back after reload", `!document.getElementById("desk").hidden`)
	ag.UntilText("#call-phase", "selesai")
	if got := ag.Text("#pop-name"); got != hostileName {
		t.Errorf("after reload the customer name is %q", got)
	}

	// A network cut: the stream reconnects by itself (Last-Event-ID) and
	// the call's view stays.
	s.srv.CloseClientConnections()
	ag.UntilText("#conn", "menyambung ulang")
	ag.UntilText("#conn", "terhubung")
	ag.UntilText("#pop-call", "call-1")
	ag.UntilText("#call-phase", "selesai")
	ag.Do(chromedp.Click(chromedp.ID("btn-ready")))
	ag.UntilText("#state-badge", "Siap")
	ag.Until("the finished call's view cleared", `!document.getElementById("no-call").hidden`)

	// A second call: help, then escalation with a reason.
	s.enqueue(t, "call-2", map[string]any{"call_id": "call-2", "customer_name": "Ibu Ratna", "segment": "DES", "tier": "gold",
		"service_id": "131299988877", "intent": "tagihan", "identified_by": "ani", "keys": "1 2", "language": "id"})
	ag.UntilText("#call-phase", "berdering")
	if err := s.svc.Answered(context.Background(), "call-2", "1001"); err != nil {
		t.Fatal(err)
	}
	ag.UntilText("#call-phase", "tersambung")
	ag.UntilText("#pop-name", "Ibu Ratna")
	ag.Do(chromedp.SendKeys(chromedp.ID("help-note"), "Pelanggan <b>marah</b>, mohon didampingi"),
		chromedp.Click(chromedp.CSS(`#help button[type=submit]`)))
	ag.UntilText("#help-ok", "Team Leader sudah diberi tahu.")
	ld.UntilText("#helps", "Pelanggan <b>marah</b>, mohon didampingi")
	ag.Do(chromedp.Click(chromedp.CSS(`#escalate button[type=submit]`)))
	ag.UntilText("#esc-error", "Tulis alasan eskalasi.")
	ag.Do(chromedp.SendKeys(chromedp.ID("esc-reason"), "Minta bicara dengan atasan soal tagihan ganda"),
		chromedp.Click(chromedp.CSS(`#escalate button[type=submit]`)))
	ag.UntilText("#esc-ok", "dieskalasi")

	ld.UntilText(`#inbox li[data-call="call-2"]`, "Minta bicara dengan atasan soal tagihan ganda")
	ld.UntilText(`#inbox li[data-call="call-2"]`, "terbuka")
	ld.UntilText("#queues", "team-leader")
	ld.Do(chromedp.Click(chromedp.CSS(`#inbox li[data-call="call-2"] button[data-op=take]`)))
	ld.UntilText(`#inbox li[data-call="call-2"]`, "diambil oleh Rina Hartono (2001)")
	ld.Do(chromedp.SendKeys(chromedp.CSS(`#inbox li[data-call="call-2"] input`), "Sudah ditelepon balik"),
		chromedp.Click(chromedp.CSS(`#inbox li[data-call="call-2"] button[data-op=resolve]`)))
	ld.Until("inbox empty", `!document.getElementById("inbox-none").hidden`)
	c, err := s.svc.Case(context.Background(), "call-2")
	if err != nil || c.Status != acd.CaseResolved || c.Leader != "2001" || c.Note != "Sudah ditelepon balik" {
		t.Fatalf("case %+v (%v)", c, err)
	}

	// The leader pauses the agent (in wrap-up after the escalation).
	ld.UntilText(`#agents tr[data-agent="1001"]`, "Wrap-up")
	ld.Do(chromedp.Click(chromedp.CSS(`#agents tr[data-agent="1001"] button[data-op=paused]`)))
	ag.UntilText("#state-badge", "Jeda — oleh Team Leader")
	ld.UntilText(`#agents tr[data-agent="1001"]`, "Jeda")

	// Today's calls with their outcomes.
	ag.UntilText("#today", "call-2")
	ag.UntilText("#today", "Dieskalasi")
	ag.UntilText("#today", "Keluhan")
	ag.UntilText("#today", "IN-42")

	// English, remembered; sign-out forgets the token.
	ag.Do(chromedp.Click(chromedp.ID("lang")))
	ag.UntilText("#state-badge", "Paused")
	if browsertest.Eval[string](ag, `localStorage.getItem("tenesa.lang")`) != "en" {
		t.Error("the language choice is not remembered")
	}
	ag.Do(chromedp.Click(chromedp.ID("signout")))
	ag.Until("sign-in shown", `!document.getElementById("signin").hidden`)
	if browsertest.Eval[string](ag, `sessionStorage.getItem("tenesa.token") || ""`) != "" {
		t.Error("sign-out left the token in sessionStorage")
	}
	ag.Do(chromedp.Click(chromedp.ID("lang")))
}

// TestWrongTokenIsRefusedInTheBrowser: a wrong token gets a clear message
// and is not kept; an agent's token does not open the leaders' board.
func TestWrongTokenIsRefusedInTheBrowser(t *testing.T) {
	s := startSite(t)
	b := browsertest.Start(t, 3*time.Minute)
	ag := browsertest.NewTab(t, b, "desktop", s.url)
	ag.SignIn("/", "not-the-right-token-at-all")
	ag.UntilText("#signin-error", "Token ditolak")
	if browsertest.Eval[bool](ag, `!document.getElementById("desk").hidden`) {
		t.Error("the desk opened with a wrong token")
	}
	if browsertest.Eval[string](ag, `sessionStorage.getItem("tenesa.token") || ""`) != "" {
		t.Error("a refused token was kept")
	}
	ld := browsertest.NewTab(t, b, "board", s.url)
	ld.SignIn("/board", tokBudi)
	ld.UntilText("#signin-error", "bukan Team Leader")
	if browsertest.Eval[bool](ld, `!document.getElementById("board").hidden`) {
		t.Error("an agent's token opened the board")
	}
}

// TestWrapUpReminderWhenNothingIsRecorded: a call ends with no disposition
// and a wrap-up shorter than the reminder margin: the desktop reminds the
// agent at once; when the wrap-up ends the call's view goes, the agent is
// ready again and today's calls show it as not recorded.
func TestWrapUpReminderWhenNothingIsRecorded(t *testing.T) {
	s := startSiteWrap(t, 12*time.Second) // under the page's 15 s reminder margin: reminded at once
	b := browsertest.Start(t, 3*time.Minute)
	ag := browsertest.NewTab(t, b, "desktop", s.url)
	ag.SignIn("/", tokDewi)
	ag.UntilText("#state-badge", "Tidak masuk")
	ag.Do(chromedp.Click(chromedp.ID("btn-ready")))
	ag.UntilText("#state-badge", "Siap")
	s.enqueue(t, "call-r", map[string]any{"customer_name": "Ibu Wati", "identified_by": "none"})
	ag.UntilText("#call-phase", "berdering")
	if err := s.svc.Answered(context.Background(), "call-r", "1003"); err != nil {
		t.Fatal(err)
	}
	ag.UntilText("#call-phase", "tersambung")
	if !browsertest.Eval[bool](ag, `document.getElementById("reminder").hidden`) {
		t.Error("the reminder shows during the call")
	}
	if err := s.svc.Ended(context.Background(), "call-r", acd.PartyAgent); err != nil {
		t.Fatal(err)
	}
	ag.UntilText("#state-badge", "Wrap-up")
	ag.Until("reminder shown", `!document.getElementById("reminder").hidden`)
	ag.UntilText("#reminder", "disposisi belum dicatat")
	ag.UntilText("#state-badge", "Siap") // the wrap-up ran out
	ag.Until("the call's view cleared", `!document.getElementById("no-call").hidden && document.getElementById("reminder").hidden`)
	ag.UntilText("#today", "Tidak dicatat")
}
