package flow_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// TestHungRedisDoesNotHoldTheCaller: with the records stream's Redis hung,
// a caller on a failure path (the greeting playback fails) still reaches
// the dialplan's fallback at once; the record waits in the writer and lands
// in the stream, exactly once, when Redis answers again.
func TestHungRedisDoesNotHoldTheCaller(t *testing.T) {
	proxy := redistest.StartProxy(t, redistest.Addr())
	proxy.SetMode(redistest.Blackhole)
	// a teardown bound far beyond the test: a record written before the
	// caller is released would hold the caller for the whole test
	// a client bounded by its contexts only, as in production
	hung := redis.NewClient(&redis.Options{Addr: proxy.Addr(), ContextTimeoutEnabled: true,
		ReadTimeout: -1, WriteTimeout: -1, MaxRetries: -1})
	t.Cleanup(func() { _ = hung.Close() })
	w := newWorld(t, worldOpts{recordsTo: hung, teardown: 10 * time.Minute})
	restore := w.sim.StallRequests(func(method, path string) bool {
		return method == "POST" && strings.Contains(path, "/play")
	}, time.Minute)
	defer restore()

	call, err := w.sim.PlaceCall(arisim.Caller{Number: aniDES})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-call.Done():
	case <-time.After(10 * time.Second): // the failing playback takes the 2s ARI request timeout
		t.Fatal("caller not released while the records' Redis hangs")
	}
	if tr := call.Transcript(); tr.HungUpBy != "continue" {
		t.Fatalf("caller ended by %q, want continued to the dialplan fallback", tr.HungUpBy)
	}
	waitUntil(t, "a failed record write", func() bool { return w.writes.failed.Load() > 0 })
	if n := w.writer.Pending(); n != 1 {
		t.Fatalf("%d records pending, want the call's one kept for retry", n)
	}
	ctx := context.Background()
	if n, err := w.rdb.XLen(ctx, w.stream).Result(); err != nil || n != 0 {
		t.Fatalf("stream length %d (%v) while Redis hangs", n, err)
	}

	proxy.SetMode(redistest.Pass)
	r := w.waitRecord(t, call.ChannelID())
	if r.Outcome != router.OutcomeFailed || r.AbandonStage != router.StageGreeting {
		t.Errorf("record outcome %q stage %q (%s), want failed at the greeting", r.Outcome, r.AbandonStage, r.FailReason)
	}
	entries, err := w.rdb.XRange(ctx, w.stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Values["call_id"] != call.ChannelID() {
		t.Fatalf("stream holds %d entries (%v), want the call's one", len(entries), entries)
	}
	var stored router.Record
	if err := json.Unmarshal([]byte(entries[0].Values["record"].(string)), &stored); err != nil || stored.Outcome != router.OutcomeFailed {
		t.Errorf("stored record %+v (%v)", stored, err)
	}
}

// TestHandoverNeverAdopted: a controller stops while the caller talks to an
// agent (the record is handed over); the caller hangs up before any
// controller is back, so nobody adopts the call. The sweeper finalises the
// record once its due time has passed, exactly once.
func TestHandoverNeverAdopted(t *testing.T) {
	w := newWorld(t, worldOpts{})
	call, err := w.sim.PlaceCall(arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "0"),
		[]arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(4 * time.Minute), hangUp})})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "caller bridged with the agent", func() bool { return w.isBridged(call.ChannelID()) })
	w.stopController()
	select {
	case <-call.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("call did not end")
	}
	waitUntil(t, "caller's channel gone", func() bool { return !slices.Contains(w.sim.Channels(), call.ChannelID()) })
	w.startController(t) // back, with nothing left to adopt

	ctx := context.Background()
	handedOver := time.Unix(0, w.clock.Load())
	n, err := router.SweepHandoversOnce(ctx, w.handover, w.writer, handedOver.Add(4*time.Minute))
	if err != nil || n != 0 {
		t.Fatalf("sweep before the due time finalised %d (%v)", n, err)
	}
	n, err = router.SweepHandoversOnce(ctx, w.handover, w.writer, handedOver.Add(6*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("sweep after the due time finalised %d (%v), want 1", n, err)
	}
	r := w.waitRecord(t, call.ChannelID())
	if r.Outcome != router.OutcomeAgentAnswered || !r.HandoverUnadopted || r.Adopted ||
		r.AgentAnsweredAt == nil || r.TalkSeconds <= 0 || r.EndedAt.IsZero() {
		t.Errorf("swept record: outcome %q unadopted %v adopted %v answered %v talk %v ended %v",
			r.Outcome, r.HandoverUnadopted, r.Adopted, r.AgentAnsweredAt, r.TalkSeconds, r.EndedAt)
	}
	if n, err := router.SweepHandoversOnce(ctx, w.handover, w.writer, handedOver.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("second sweep finalised %d (%v)", n, err)
	}
}
