package ari

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// requestLog records every REST request the simulator receives (a stall
// filter that never stalls).
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func logRequests(sim *arisim.Server) *requestLog {
	l := &requestLog{}
	// Registered before the test acts; never removed (the sim is per test).
	sim.StallRequests(func(method, path string) bool {
		l.mu.Lock()
		l.reqs = append(l.reqs, method+" "+path)
		l.mu.Unlock()
		return false
	}, 0)
	return l
}

// all returns the requests logged, without events WebSocket handshakes.
func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(l.reqs), func(r string) bool { return r == "GET /ari/events" })
}

// heardStarted reports whether the caller has heard media start.
func heardStarted(c *arisim.Call, media string) bool {
	for _, h := range c.Transcript().Heard {
		if h.Media == media {
			return true
		}
	}
	return false
}

// Issue 15: a controller whose application another connection took stops
// owning its calls: their contexts end with ErrReplaced, it sends nothing
// more (no stop, no continue, no hang-up), readiness fails, it does not
// reconnect, and Run reports it.
func TestReplacedControllerReleasesItsCalls(t *testing.T) {
	leakCheck(t)
	sim := newSim(t, 0.01)
	causes := make(chan error, 1)
	hs := startOn(t, sim, func(ctx context.Context, call Call) {
		if call.Answer(ctx) != nil {
			return
		}
		_, err := call.Play(ctx, PlayOptions{Media: []string{"sound:long"}})
		if !errors.Is(err, ErrReplaced) {
			t.Errorf("Play error = %v, want ErrReplaced", err)
		}
		causes <- context.Cause(ctx)
	})
	c := hs.place(arisim.Caller{})
	eventually(t, "the long prompt playing", func() bool { return heardStarted(c, "sound:long") })
	reqs := logRequests(sim)

	dialRaw(t, sim) // another connection registers the app
	if cause := recv(t, causes, "the handler's end"); !errors.Is(cause, ErrReplaced) {
		t.Fatalf("call context cause = %v, want ErrReplaced", cause)
	}
	hs.obs.waitFor(t, "calls released", func(o *testObserver) bool { return o.replaced == 1 && o.ended == o.started })
	if hs.ctrl.Connected() || !hs.ctrl.Replaced() {
		t.Errorf("Connected = %v, Replaced = %v after ApplicationReplaced; want false, true", hs.ctrl.Connected(), hs.ctrl.Replaced())
	}
	// The caller is still in Stasis, the prompt still playing, for the new
	// owner: the replaced controller touched nothing.
	select {
	case <-c.Done():
		t.Fatalf("the caller's channel ended: %+v", c.Transcript())
	default:
	}
	if h := c.Transcript().Heard; len(h) != 1 || h[0].Status != "" {
		t.Errorf("heard = %+v, want sound:long still playing", h)
	}
	if got := reqs.all(); len(got) != 0 {
		t.Errorf("requests after ApplicationReplaced: %v, want none", got)
	}

	hs.cancel()
	err := recv(t, hs.runErr, "Run's return")
	close(hs.runErr)
	if !errors.Is(err, ErrReplaced) {
		t.Errorf("Run = %v, want ErrReplaced", err)
	}
	hs.obs.mu.Lock()
	reconnects := hs.obs.reconnects
	hs.obs.mu.Unlock()
	if reconnects != 0 {
		t.Errorf("reconnects = %d after ApplicationReplaced, want 0", reconnects)
	}
	if got := reqs.all(); len(got) != 0 {
		t.Errorf("requests after ApplicationReplaced: %v, want none", got)
	}
}

// Issue 19: a PlaybackFinished lost after PlaybackStarted does not hold the
// call until hang-up: the playback is stopped after its known length plus
// the margin, and the call goes on.
func TestLostPlaybackFinishedIsBounded(t *testing.T) {
	leakCheck(t)
	sim := newSim(t, 0.01)
	var lost atomic.Int32
	sim.DropEvents(func(typ, _ string) bool {
		return typ == "PlaybackFinished" && lost.CompareAndSwap(0, 1) // the greeting's
	})
	done := make(chan PlayResult, 1)
	hs := startOn(t, sim, func(ctx context.Context, call Call) {
		if call.Answer(ctx) != nil {
			return
		}
		res, err := call.Play(ctx, PlayOptions{Media: []string{"sound:greeting"}})
		if err != nil {
			t.Errorf("Play: %v", err)
			return
		}
		done <- res
		if _, err := call.Play(ctx, PlayOptions{Media: []string{"sound:bye"}}); err != nil {
			t.Errorf("Play bye: %v", err)
		}
		_ = call.Hangup(ctx, "normal")
	}, func(o *Options) {
		// sound:greeting is 2 s of sim time = 20 ms at scale 0.01.
		o.PromptDurations = map[string]time.Duration{"sound:greeting": 20 * time.Millisecond}
		o.PlaybackMargin = 20 * time.Millisecond
		o.MaxPlayback = waitLong * 2 // must not be what ends it
	})
	c := hs.place(arisim.Caller{})
	if res := recv(t, done, "the greeting's end"); res.Status != PlayFinished {
		t.Errorf("greeting = %+v, want finished", res)
	}
	r := waitDone(t, c)
	if got := heard(r); !slices.Equal(got, []string{"sound:greeting=done", "sound:bye=done"}) {
		t.Errorf("heard %v", got)
	}
	if lost.Load() != 1 {
		t.Error("no PlaybackFinished was lost: the test proves nothing")
	}
	hs.waitIdle()
}

// Issue 22: a controller killed while its greeting plays, restarted later:
// the new one adopts the call, does not answer the Up channel (answer would
// wait behind the old playback in the channel's control queue, transcript
// 20), stops the playback the old one left running (its id is
// deterministic), and the caller hears the IVR again within 1 s (sim).
func TestAdoptionResumesMidGreeting(t *testing.T) {
	leakCheck(t)
	// 1 s of sim time is 200 ms here: room for a loaded test machine. The
	// greeting (8 s sim) outlasts the kill and the restart.
	sim := arisim.New(arisim.Options{Username: testUser, Password: testPass, TimeScale: 0.2,
		PromptDurations: map[string]time.Duration{"sound:welcome": 8 * time.Second, "sound:menu": time.Second}})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	runs := make(chan CallInfo, 2)
	ivr := func(ctx context.Context, call Call) {
		runs <- call.Info()
		if call.Answer(ctx) != nil {
			return
		}
		if _, err := call.Play(ctx, PlayOptions{Media: []string{"sound:welcome", "sound:menu"}}); err != nil {
			return
		}
		_ = call.Hangup(ctx, "normal")
	}
	a := startOn(t, sim, ivr)
	c := a.place(arisim.Caller{})
	if info := recv(t, runs, "first run"); info.Adopted {
		t.Fatalf("first run adopted: %+v", info)
	}
	eventually(t, "the greeting playing", func() bool { return heardStarted(c, "sound:welcome") })

	// Kill A: it stops without sending anything (like a dead process).
	a.ctrl.releaseCalls(fmt.Errorf("killed by the test: %w", ErrReplaced))
	a.cancel()
	_ = recv(t, a.runErr, "A's Run")
	close(a.runErr)

	reqs := logRequests(sim)
	b := startOn(t, sim, ivr)
	if info := recv(t, runs, "adoption"); !info.Adopted || info.State != "Up" {
		t.Fatalf("second run: %+v, want adopted, Up", info)
	}
	r := waitDone(t, c)
	if got := heard(r); !slices.Equal(got, []string{"sound:welcome=stopped", "sound:welcome=done", "sound:menu=done"}) {
		t.Fatalf("heard %v, want the greeting stopped, then played again and the menu", got)
	}
	if gap := r.Heard[1].Start.Sub(r.Heard[0].End); gap > time.Second {
		t.Errorf("the IVR resumed %v (sim) after the old prompt was stopped, want within 1s", gap)
	}
	for _, q := range reqs.all() {
		if strings.HasSuffix(q, "/answer") {
			t.Errorf("B sent %s to an Up channel", q)
		}
	}
	if r.HungUpBy != "controller" {
		t.Errorf("hung up by %q, want controller (the IVR ran to its end)", r.HungUpBy)
	}
	b.waitIdle()
}
