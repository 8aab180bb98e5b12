package ari

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

// A controller is killed (its connection cut: no drain, no clean-up)
// while it holds a broadcast call. An adopter of its application adopts
// the call (TakenOver), claims none of the broadcast calls offered
// meanwhile (a live controller does), and RunAdopted returns once the
// adopted call is finished, leaving the application unregistered.
func TestAdopterTakesTheDeadAppsCallClaimsNothingAndEndsWhenIdle(t *testing.T) {
	leakCheck(t)
	sim := newBroadcastSim(t, 0.01, time.Hour) // 36 s real: no claim misses it
	proxy := redistest.StartProxy(t, sim.Addr())
	held := make(chan string, 1)
	a := startOn(t, sim, func(ctx context.Context, call Call) {
		held <- call.ID()
		<-ctx.Done()
	}, func(o *Options) {
		o.Application = "tenesa-ivr-a"
		o.URL, o.WebsocketURL = "http://"+proxy.Addr()+"/ari", "ws://"+proxy.Addr()+"/ari/events"
	})
	c1 := a.place(arisim.Caller{Broadcast: true})
	id := recv(t, held, "the call held by a")
	proxy.SetMode(redistest.Refuse) // kill -9
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(waitLong)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for: %s", what)
			}
			time.Sleep(5 * time.Millisecond) // polling the simulator's state
		}
	}
	waitFor("a's socket gone", func() bool { return sim.ActiveSockets("tenesa-ivr-a") == 0 })

	own := &owners{by: map[string][]string{}}
	startOn(t, sim, own.handler("tenesa-ivr-b", greetAndHangUp), func(o *Options) { o.Application = "tenesa-ivr-b" })

	obs := newTestObserver()
	opts := testOptions(t, sim, obs)
	opts.Application, opts.Adopter = "tenesa-ivr-a", true
	ad, err := NewController(opts)
	if err != nil {
		t.Fatal(err)
	}
	adopted := make(chan CallInfo, 1)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- ad.RunAdopted(context.Background(), func(ctx context.Context, call Call) {
			adopted <- call.Info()
			select {
			case <-release:
				_ = call.Hangup(ctx, "normal")
			case <-ctx.Done():
			}
		})
	}()
	info := recv(t, adopted, "the adopted call")
	if info.ChannelID != id || !info.Adopted || !info.TakenOver {
		t.Fatalf("adopted %+v, want %s adopted and taken over", info, id)
	}
	// a broadcast call while the adopter holds the application
	r := waitDone(t, a.place(arisim.Caller{Broadcast: true}))
	if r.ClaimedBy != "tenesa-ivr-b" {
		t.Errorf("new broadcast call claimed by %q, want the live controller b", r.ClaimedBy)
	}
	obs.waitFor(t, "the adopter skipped the broadcast", func(o *testObserver) bool { return o.claims[string(ClaimSkipped)] == 1 })
	select {
	case err := <-done:
		t.Fatalf("RunAdopted returned (%v) with an adopted call in progress", err)
	default:
	}
	close(release)
	if err := recv(t, done, "RunAdopted's end"); err != nil {
		t.Fatalf("RunAdopted: %v, want nil once the adopted call ended", err)
	}
	if tr := waitDone(t, c1); tr.HungUpBy != "controller" {
		t.Errorf("adopted caller hung up by %q", tr.HungUpBy)
	}
	waitFor("the adopted application released", func() bool { return sim.ActiveSockets("tenesa-ivr-a") == 0 })
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.claims[string(ClaimWon)] != 0 {
		t.Errorf("the adopter won %d claims", obs.claims[string(ClaimWon)])
	}
}

// A controller whose application is taken over while it is alive (its
// lease lapsed: Redis unreachable for a while) releases its calls to the
// adopter, and with Rejoin connects again once the adopter is done: it is
// ready and takes new calls, not the adopted ones.
func TestReplacedControllerRejoinsAfterTheAdopterReleases(t *testing.T) {
	leakCheck(t)
	sim := newSim(t, 0.01)
	mayRejoin := make(chan struct{})
	rejoinAsked := make(chan struct{}, 1)
	var handled []string
	var mu sync.Mutex
	first := make(chan string, 2)
	a := startOn(t, sim, func(ctx context.Context, call Call) {
		mu.Lock()
		handled = append(handled, call.ID())
		mu.Unlock()
		first <- call.ID()
		<-ctx.Done()
	}, func(o *Options) {
		o.Rejoin = func(ctx context.Context) error {
			rejoinAsked <- struct{}{}
			select {
			case <-mayRejoin:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
	c1 := a.place(arisim.Caller{})
	id := recv(t, first, "the first call")

	opts := testOptions(t, sim, newTestObserver())
	opts.Adopter = true
	ad, err := NewController(opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- ad.RunAdopted(context.Background(), func(ctx context.Context, call Call) {
			if call.ID() != id || !call.Info().TakenOver {
				t.Errorf("adopter got %s (%+v), want %s taken over", call.ID(), call.Info(), id)
			}
			_ = call.Hangup(ctx, "normal")
		})
	}()
	recv(t, rejoinAsked, "a's rejoin, once its released call ended")
	if a.ctrl.Connected() {
		t.Error("a replaced controller reports ready")
	}
	if err := recv(t, done, "the adopter's end"); err != nil {
		t.Fatal(err)
	}
	if tr := waitDone(t, c1); tr.HungUpBy != "controller" {
		t.Errorf("adopted call hung up by %q", tr.HungUpBy)
	}
	close(mayRejoin)
	a.obs.waitFor(t, "a connected again", func(*testObserver) bool { return a.ctrl.Connected() })
	c2 := a.place(arisim.Caller{})
	id2 := recv(t, first, "a new call on the rejoined controller")
	c2.HangUp()
	waitDone(t, c2)
	a.waitIdle()
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 2 || handled[1] != id2 || id2 == id {
		t.Errorf("a handled %v, want its first call then only the new one", handled)
	}
}
