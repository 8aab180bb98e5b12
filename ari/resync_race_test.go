package ari

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// A call that enters Stasis after the controller subscribed, while the
// post-connect resync is listing the application, and whose StasisStart is
// still on the wire when the listing comes back, is started as a new call
// exactly once; the channel left in the application before the connect is
// adopted.
func TestNewCallDuringResyncListingIsNotAdopted(t *testing.T) {
	leakCheck(t)
	sim := newSim(t, 0.01)

	// A owns the first call, then dies without a word: the channel stays in
	// the application with nobody owning it.
	holdA := func(ctx context.Context, call Call) { <-ctx.Done() }
	a := startOn(t, sim, holdA)
	old := a.place(arisim.Caller{})
	a.obs.waitFor(t, "A owns the first call", func(o *testObserver) bool { return o.started == 1 })
	a.ctrl.releaseCalls(fmt.Errorf("killed by the test: %w", ErrReplaced))
	a.cancel()
	_ = recv(t, a.runErr, "A's Run")
	close(a.runErr)

	// B's resync listing waits at the gate; every event for the app is kept
	// on the wire until B sends its event barrier (or the test releases it).
	listing := func(method, path string) bool {
		return method == "GET" && path == "/ari/applications/"+testApp
	}
	entered, open := sim.GateRequests(listing)
	release := sim.HoldEvents(testApp, func(method, path string) bool {
		return method == "POST" && strings.HasPrefix(path, "/ari/events/user/")
	})
	t.Cleanup(release)
	t.Cleanup(open)

	runs := make(chan CallInfo, 4)
	ivr := func(ctx context.Context, call Call) {
		runs <- call.Info()
		_ = call.Hangup(ctx, "normal")
	}
	obs := newTestObserver()
	opts := testOptions(t, sim, obs)
	b, err := NewController(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(ctx, ivr) }()
	defer func() {
		release()
		open()
		cancel()
		if err := recv(t, runErr, "B's Run"); err != nil {
			t.Errorf("B's Run: %v", err)
		}
	}()

	recv(t, entered, "B's resync listing the application")
	// B is subscribed (the resync runs after the socket is up): the new
	// call's StasisStart is for B, and stays on the wire.
	fresh, err := sim.PlaceCall(arisim.Caller{Number: "081298765432"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new call's StasisStart on the wire", func() bool {
		return slices.Contains(sim.HeldEvents(testApp), "StasisStart")
	})
	open() // the listing now holds both channels

	got := map[string]CallInfo{}
	for range 2 {
		info := recv(t, runs, "a call started by B")
		if prev, dup := got[info.ChannelID]; dup {
			t.Fatalf("channel %s started twice: %+v, then %+v", info.ChannelID, prev, info)
		}
		got[info.ChannelID] = info
	}
	oldInfo, okOld := got[old.ChannelID()]
	newInfo, okNew := got[fresh.ChannelID()]
	if !okOld || !okNew {
		t.Fatalf("B started %v, want the old channel %s and the new one %s", got, old.ChannelID(), fresh.ChannelID())
	}
	if !oldInfo.Adopted {
		t.Errorf("channel left in the application before the connect: %+v, want adopted", oldInfo)
	}
	if newInfo.Adopted {
		t.Errorf("new call whose StasisStart came during the resync was adopted: %+v", newInfo)
	}
	waitDone(t, old)
	waitDone(t, fresh)
	obs.waitFor(t, "both calls ended", func(o *testObserver) bool { return o.ended == 2 })
	obs.mu.Lock()
	started, adopted := obs.started, obs.startedAdopt
	obs.mu.Unlock()
	if started != 2 || adopted != 1 {
		t.Errorf("CallStarted %d times (%d adopted), want 2 (1 adopted)", started, adopted)
	}
	select {
	case info := <-runs:
		t.Errorf("a third handler run: %+v", info)
	default:
	}
}

// When the event barrier cannot be sent (here: Asterisk answers 500), the
// resync still adopts the channel left in the application: no caller is
// left in silence for the sake of the barrier.
func TestResyncAdoptsEvenWhenTheEventBarrierFails(t *testing.T) {
	leakCheck(t)
	sim := newSim(t, 0.01)
	holdA := func(ctx context.Context, call Call) { <-ctx.Done() }
	a := startOn(t, sim, holdA)
	old := a.place(arisim.Caller{})
	a.obs.waitFor(t, "A owns the call", func(o *testObserver) bool { return o.started == 1 })
	a.ctrl.releaseCalls(fmt.Errorf("killed by the test: %w", ErrReplaced))
	a.cancel()
	_ = recv(t, a.runErr, "A's Run")
	close(a.runErr)

	restore := sim.FailRequests(func(method, path string) bool {
		return method == "POST" && strings.HasPrefix(path, "/ari/events/user/")
	}, 500, "Internal Server Error", 1000)
	defer restore()
	runs := make(chan CallInfo, 2)
	b := startOn(t, sim, func(ctx context.Context, call Call) {
		runs <- call.Info()
		_ = call.Hangup(ctx, "normal")
	})
	if info := recv(t, runs, "adoption"); !info.Adopted || info.ChannelID != old.ChannelID() {
		t.Fatalf("B ran %+v, want the old channel %s adopted", info, old.ChannelID())
	}
	waitDone(t, old)
	b.obs.mu.Lock()
	failed := b.obs.failed["event_barrier"]
	b.obs.mu.Unlock()
	if failed == 0 {
		t.Errorf("the failed barrier was not reported (RequestFailed event_barrier)")
	}
	b.waitIdle()
}
