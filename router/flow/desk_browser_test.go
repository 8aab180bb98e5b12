package flow_test

// The agent desktop and the leaders' board in a real headless Chromium
// (internal/browsertest) on REAL calls: callers placed on the ARI
// simulator go through the real controller and flow (greeting,
// identification from the customer data in Redis, menu, routing) into the
// acd hand-off, which rings the agents' simulated endpoints. The pages are
// the agent API (router/agentapi) over the same acd, on 127.0.0.1:0, with
// the tokens from the config as serve wires them. The test lives here, in
// flow's external test package, so that agentapi never imports the flow.

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/browsertest"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/agentapi"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation/importer"
)

// Tokens of the desk test's agent (1001) and team leader (1004), set in the
// config as an operator would (agents[].token).
const (
	deskTokAgent  = "desk-1001-token-4f9a1c2e7b"
	deskTokLeader = "lead-1004-token-8d3e6a0f51"
)

// A customer whose name in the CRM carries markup, calling from its number.
const (
	markupName = `<script>alert(1)</script><img src=x onerror=alert(2)>PT Maju`
	aniMarkup  = "+62215550009"
	markupRow  = `DES-X,"` + markupName + `",DES,silver,id,jakarta,indihome,+62 21 5550009,470300000009,Rini Kartika` + "\n"
)

// importCustomers replaces the world's customer data with csv (a new
// version, as the import command does).
func (w *world) importCustomers(t *testing.T, csv string) {
	t.Helper()
	keys, err := seg.NewKeyspace(w.cfg.Redis.KeyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := seg.NewRepository(w.rdb, keys)
	if err != nil {
		t.Fatal(err)
	}
	var p *plan.Plan = w.flow.Plans.Load()
	im, err := importer.New(importer.Options{Repository: repo, Rules: p.Segments})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := im.Customers(context.Background(), importer.Source{R: strings.NewReader(csv), Format: importer.FormatCSV})
	if err != nil || sum.Bad > 0 {
		t.Fatalf("import: %v (%s)", err, sum)
	}
}

// deskSite is an acd world whose agent API (pages included) listens on
// 127.0.0.1:0 with the config's tokens, as serve starts it.
func deskSite(t *testing.T) (*acdWorld, string) {
	t.Helper()
	aw := newACDWorld(t, acdOpts{tweak: func(cfg *configs.Config) {
		// Long enough for a person: the agent ends it by getting ready.
		cfg.ACD.QueueDefaults.WrapUp = 10 * time.Minute
		for i := range cfg.Agents {
			a := &cfg.Agents[i]
			switch a.ID {
			case "1001": // also follows up open tickets
				a.Token = deskTokAgent
				a.Queues = append(a.Queues, "ticket-desk")
			case "1004":
				a.Token = deskTokLeader
			}
		}
	}})
	api, err := agentapi.New(aw.svc, agentapi.Options{Tokens: aw.cfg.AgentTokens(), Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(func() { api.Close(); srv.CloseClientConnections(); srv.Close() })
	return aw, srv.URL
}

// queueWaiting is a page condition: the board's queue row name shows n
// callers waiting.
func queueWaiting(name string, n int) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#queues tr")].some(tr => tr.cells[0].textContent === %q && tr.cells[1].textContent === %q)`,
		name, fmt.Sprint(n))
}

// fmtWait is the page's mm:ss of a duration (common.js: whole
// milliseconds, then whole seconds).
func fmtWait(d time.Duration) string {
	s := int(d.Round(time.Millisecond) / time.Second)
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// TestBrowserAgentWorksRealCallsAndLeaderTakesTheEscalation: in Chromium,
// a wrong token is refused on the desktop; the agent signs in while a real
// caller (known by number, complaint about IndiHome through the menu) waits
// in the queue the routing chose, which the leader's board shows; the agent
// gets ready, the acd rings the agent's endpoint, it answers and the
// desktop shows the screen-pop the flow built (name, segment, tier,
// service ID, intent, product, open ticket, identified by, IVR path, the
// acd's time waited, queue, call id). The caller hangs up; in wrap-up the
// agent records the disposition and gets ready; the handling record the
// controller writes for that call carries it. A second real caller, whose
// CRM name carries markup, is shown with the name as text; the agent
// escalates it with a reason; the board's inbox shows the case; the leader
// takes it, takes the caller on the leader's own desktop (the name still
// text), resolves the case; the call's one record says the leader answered
// it in the team-leader queue after 1001's escalation.
func TestBrowserAgentWorksRealCallsAndLeaderTakesTheEscalation(t *testing.T) {
	aw, url := deskSite(t)
	ctx := context.Background()
	b := browsertest.Start(t, 6*time.Minute)

	ld := browsertest.NewTab(t, b, "board", url)
	ld.SignIn("/board", deskTokLeader)
	ld.Until("board shown", `!document.getElementById("board").hidden`)
	ld.UntilText("#who-name", "Team Leader 1004")

	// A wrong token is refused and not kept; the right one opens the desk.
	ag := browsertest.NewTab(t, b, "desktop", url)
	ag.SignIn("/", "desk-1001-token-not-the-right-one")
	ag.UntilText("#signin-error", "Token ditolak")
	if browsertest.Eval[bool](ag, `!document.getElementById("desk").hidden`) ||
		browsertest.Eval[string](ag, `sessionStorage.getItem("tenesa.token") || ""`) != "" {
		t.Fatal("a wrong token opened the desk or was kept")
	}
	ag.SignIn("/", deskTokAgent)
	ag.Until("desk shown", `!document.getElementById("desk").hidden`)
	ag.UntilText("#who-name", "Agent 1001 (1001)")
	ag.UntilText("#state-badge", "Tidak masuk")

	// Call 1: PT Uji Nusantara, known by its number, asks for its ticket's
	// status (2), gives the service ID, hears the ticket is in progress and
	// asks for an agent (0): the routing's ticket-follow-up rule. It stays
	// on the line until the test hangs it up.
	call1 := aw.place(t, arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
		menu("ask-service-id", sidDES+"#"), menu("offer-agent", "0"),
		[]arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(24 * time.Hour)})})
	id1 := call1.ChannelID()
	ld.Until("the caller waiting in ticket-desk", queueWaiting("ticket-desk", 1))

	ag.Do(chromedp.Click(chromedp.ID("btn-ready")))
	ag.UntilText("#call-phase", "tersambung")
	ag.UntilText("#pop-call", id1)
	waitUntil(t, "caller 1 bridged with the agent", func() bool { return len(call1.Transcript().BridgedWith) > 0 })
	ld.UntilText(`#agents tr[data-agent="1001"]`, "Dalam panggilan")
	h1, err := aw.svc.Handling(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	for sel, want := range map[string]string{"#pop-name": "PT Uji Nusantara", "#pop-segment": "DES", "#pop-tier": "gold",
		"#pop-service": sidDES, "#pop-intent": "ticket_status", "#pop-product": "—", "#pop-ticket": "IN100234501",
		"#pop-identified": "nomor penelepon", "#pop-keys": "2 › " + sidDES + "# › 0", "#pop-queue": "ticket-desk",
		"#pop-waited": fmtWait(h1.Wait)} {
		if got := ag.Text(sel); got != want {
			t.Errorf("screen-pop %s = %q, want %q", sel, got, want)
		}
	}

	// The caller hangs up; in wrap-up the agent records the disposition,
	// then gets ready (ending the wrap-up).
	call1.HangUp()
	ag.UntilText("#state-badge", "Wrap-up")
	ag.UntilText("#call-phase", "selesai")
	ag.Until("wrap-up countdown", `!document.getElementById("wrapup").hidden && /^\d\d:\d\d$/.test(document.getElementById("wrapup-left").textContent)`)
	ag.Do(chromedp.Click(chromedp.CSS(`input[name=category][value=information]`)),
		chromedp.SendKeys(chromedp.ID("ticket"), "IN100234501"), chromedp.Click(chromedp.ID("further")),
		chromedp.Click(chromedp.ID("closing")), chromedp.Click(chromedp.CSS(`#dispo button[type=submit]`)))
	ag.UntilText("#dispo-ok", "Disposisi tersimpan.")
	ag.Do(chromedp.Click(chromedp.ID("btn-ready")))
	ag.UntilText("#state-badge", "Siap")
	r1 := aw.waitRecord(t, id1)
	if r1.Outcome != router.OutcomeAgentAnswered || r1.AgentID != "1001" || r1.Queue != "ticket-desk" ||
		r1.CustomerID != "DES-T1" || r1.Identification.Method != "ani" || r1.Intent != "ticket_status" ||
		r1.SelfServiceResult != "ticket_in_progress" || r1.EndedBy != "caller" {
		t.Errorf("record of call 1: outcome %s agent %q queue %q customer %q by %q intent %q self-service %q ended by %q",
			r1.Outcome, r1.AgentID, r1.Queue, r1.CustomerID, r1.Identification.Method, r1.Intent, r1.SelfServiceResult, r1.EndedBy)
	}
	if d := r1.Disposition; d == nil || d.Category != "information" || d.TicketID != "IN100234501" ||
		!d.FurtherHelpOffered || !d.StandardClosing || d.AgentID != "1001" || r1.DispositionMissing {
		t.Errorf("record of call 1: disposition %+v, missing %v: want the one recorded on the desktop", d, r1.DispositionMissing)
	}
	ag.UntilText("#today", id1)
	ag.UntilText("#today", "Informasi")
	ag.UntilText("#today", "IN100234501")

	// Call 2: a customer whose CRM name carries markup asks for an agent.
	aw.importCustomers(t, customersCSV+markupRow)
	call2 := aw.place(t, arisim.Caller{Number: aniMarkup, Script: steps(menu("menu-main", "0"),
		[]arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.WaitPromptEnd("escalation-supervisor"), arisim.Wait(24 * time.Hour)})})
	id2 := call2.ChannelID()
	ag.UntilText("#call-phase", "tersambung")
	ag.UntilText("#pop-call", id2)
	nameIsText := func(tb *browsertest.Tab) {
		t.Helper()
		if got := tb.Text("#pop-name"); got != markupName {
			t.Errorf("customer name shown as %q, want the markup as text %q", got, markupName)
		}
		if n := browsertest.Eval[int](tb, `document.querySelectorAll("#pop-name *, img[src=x]").length + document.scripts.length`); n != 2 {
			t.Errorf("the customer name made elements: %d nodes/scripts, want only the page's 2 scripts", n)
		}
	}
	nameIsText(ag)

	// The agent escalates it with a reason: the caller is told and waits
	// for a leader; the case is in the board's inbox.
	reason := "Pelanggan minta kompensasi gangguan 3 hari; di luar wewenang agen"
	ag.Do(chromedp.SendKeys(chromedp.ID("esc-reason"), reason), chromedp.Click(chromedp.CSS(`#escalate button[type=submit]`)))
	ag.UntilText("#esc-ok", "dieskalasi")
	ag.UntilText("#state-badge", "Wrap-up")
	inbox := fmt.Sprintf(`#inbox li[data-call=%q]`, id2)
	ld.UntilText(inbox, reason)
	ld.UntilText(inbox, "terbuka")
	ld.UntilText(inbox, "Agent 1001")
	ld.Until("the caller waiting in team-leader", queueWaiting("team-leader", 1))
	waitUntil(t, "escalation announced to caller 2", func() bool { return heardPromptSub(call2.Transcript(), "escalation-supervisor") })

	// The leader takes the case on the board and the caller on the
	// leader's own desktop.
	ld.Do(chromedp.Click(chromedp.CSS(inbox + ` button[data-op=take]`)))
	ld.UntilText(inbox, "diambil oleh Team Leader 1004")
	lt := browsertest.NewTab(t, b, "leader's desktop", url)
	lt.SignIn("/", deskTokLeader)
	lt.UntilText("#state-badge", "Tidak masuk")
	lt.Do(chromedp.Click(chromedp.ID("btn-ready")))
	lt.UntilText("#call-phase", "tersambung")
	lt.UntilText("#pop-call", id2)
	lt.UntilText("#pop-queue", "team-leader")
	nameIsText(lt)
	waitUntil(t, "caller 2 bridged with the leader", func() bool { return len(call2.Transcript().BridgedWith) > 0 })

	call2.HangUp()
	lt.UntilText("#state-badge", "Wrap-up")
	ld.Do(chromedp.SendKeys(chromedp.CSS(inbox+` input`), "Kompensasi disetujui, tiket IN100235001"),
		chromedp.Click(chromedp.CSS(inbox+` button[data-op=resolve]`)))
	ld.Until("inbox empty", `!document.getElementById("inbox-none").hidden`)
	lt.Do(chromedp.Click(chromedp.ID("btn-ready")))
	lt.UntilText("#state-badge", "Siap")
	r2 := aw.waitRecord(t, id2)
	if r2.Outcome != router.OutcomeAgentAnswered || r2.AgentID != "1004" || r2.Queue != "team-leader" ||
		r2.FirstQueue != "enterprise-care" || r2.CustomerID != "DES-X" {
		t.Errorf("record of call 2: outcome %s agent %q queue %q first %q customer %q", r2.Outcome, r2.AgentID, r2.Queue, r2.FirstQueue, r2.CustomerID)
	}
	if len(r2.Escalations) != 1 || r2.Escalations[0].By != "1001" || r2.Escalations[0].Reason != string(acd.EscalationAgent) ||
		r2.Escalations[0].To != "team-leader" {
		t.Errorf("record of call 2: escalations %+v, want one by 1001 to team-leader", r2.Escalations)
	}
	c, err := aw.svc.Case(ctx, id2)
	if err != nil || c.Status != acd.CaseResolved || c.Leader != "1004" || c.Reason != reason ||
		c.Note != "Kompensasi disetujui, tiket IN100235001" {
		t.Errorf("case %+v (%v): want resolved by 1004 with the agent's reason", c, err)
	}
	ag.UntilText("#today", id2)
	ag.UntilText("#today", "Dieskalasi")
}
