package agentapi_test

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenesa-ivr/tenesa-ivr/internal/browsertest"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the pages' screenshots to docs/")

// TestScreenshots renders the agent desktop (a connected call with its
// screen-pop, today's calls) and the leaders' board (queues with waiting
// callers, agents in several states, an escalation and a help request) in
// Chromium and checks they are 1280 px wide PNGs. With -update-screenshots
// it writes them to docs/agent-desktop.png and docs/leader-board.png:
//
//	go test ./router/agentapi -run TestScreenshots -update-screenshots
func TestScreenshots(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	b := browsertest.Start(t, 3*time.Minute)
	ld := browsertest.NewTab(t, b, "board", s.url)
	ld.SignIn("/board", tokRina)
	ld.Until("board shown", `!document.getElementById("board").hidden`)

	// Dewi takes a call and escalates it: it waits in the team-leader queue.
	must(s.svc.Login(ctx, "1003"))
	s.enqueue(t, "1764467101.204", map[string]any{"customer_name": "CV Sinar Abadi", "segment": "DES", "tier": "gold",
		"service_id": "131255501234", "intent": "gangguan", "product": "indihome", "identified_by": "ani", "keys": "2 1"})
	must(s.svc.Answered(ctx, "1764467101.204", "1003"))
	must(s.svc.EscalateWithReason(ctx, "1764467101.204", "1003",
		"Pelanggan meminta kompensasi atas gangguan 3 hari; di luar wewenang agen."))
	// Sari works one call, then takes the one on screen.
	must(s.svc.Login(ctx, "1001"))
	s.enqueue(t, "1764466802.117", map[string]any{"customer_name": "Bapak Hendra", "segment": "DES", "tier": "silver",
		"service_id": "131244400021", "intent": "informasi", "product": "indihome", "identified_by": "sid", "keys": "3"})
	must(s.svc.Answered(ctx, "1764466802.117", "1001"))
	must(s.svc.Disposition(ctx, "1764466802.117", "1001", acd.Disposition{Category: acd.CategoryInformation,
		TicketID: "IN-20261130-0042", FurtherHelpOffered: true, StandardClosing: true}))
	must(s.svc.Ended(ctx, "1764466802.117", acd.PartyCaller))
	must(s.svc.Ready(ctx, "1001"))
	s.enqueue(t, "1764467355.301", map[string]any{"customer_name": "PT Maju Bersama Nusantara", "segment": "DES",
		"tier": "platinum", "service_id": "131234567890", "intent": "gangguan", "topic": "internet lambat",
		"product": "indihome", "open_ticket": "IN-20261129-0815", "identified_by": "sid", "keys": "2 1 3"})
	must(s.svc.Answered(ctx, "1764467355.301", "1001"))
	// Budi on a break, two callers waiting for an agent.
	must(s.svc.Login(ctx, "1002"))
	must(s.svc.Pause(ctx, "1002", "break"))
	for _, id := range []string{"1764467390.330", "1764467412.341"} {
		w, err := s.svc.Enqueue(ctx, acd.CallEntry{CallID: id, Queue: "des-general", EnqueuedAt: time.Now().Add(-95 * time.Second)})
		must(err)
		t.Cleanup(w.Close)
	}
	must(s.svc.RequestHelp(ctx, "1001", "1764467355.301", "Pelanggan menanyakan status tiket lama, mohon dibantu cek."))

	ag := browsertest.NewTab(t, b, "desktop", s.url)
	ag.SignIn("/", tokSari)
	ag.UntilText("#call-phase", "tersambung")
	ag.UntilText("#today", "IN-20261130-0042")
	ag.Do(chromedp.Click(chromedp.CSS(`input[name=category][value=complaint]`)), chromedp.Click(chromedp.ID("further")))
	ld.UntilText("#helps", "status tiket lama")
	ld.UntilText("#inbox", "kompensasi")
	ld.UntilText(`#agents tr[data-agent="1001"]`, "Dalam panggilan")
	ld.UntilText(`#agents tr[data-agent="1002"]`, "Jeda")
	ld.UntilText("#queues", "team-leader")

	for _, shot := range []struct {
		tab  *browsertest.Tab
		file string
	}{{ag, "agent-desktop.png"}, {ld, "leader-board.png"}} {
		buf, err := chromedp.Run(shot.tab.Context(), chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", shot.file, err)
		}
		if w := img.Bounds().Dx(); w != 1280 {
			t.Errorf("%s: %d px wide, want 1280", shot.file, w)
		}
		dir := t.TempDir()
		if *updateScreenshots {
			dir = filepath.Join("..", "..", "docs")
		}
		if err := os.WriteFile(filepath.Join(dir, shot.file), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
