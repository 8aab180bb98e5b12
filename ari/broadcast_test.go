package ari

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// newBroadcastSim is a simulator whose [broadcast-in] waits window (sim
// time) for a claim.
func newBroadcastSim(t *testing.T, scale float64, window time.Duration) *arisim.Server {
	t.Helper()
	sim := arisim.New(arisim.Options{
		Username: testUser, Password: testPass, TimeScale: scale,
		PromptDurations: testPrompts, BroadcastTimeout: window,
	})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("sim start: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

// owners records which controller's handler ran each call.
type owners struct {
	mu  sync.Mutex
	by  map[string][]string
	err []string
}

func (o *owners) handler(app string, body func(ctx context.Context, call Call) error) Handler {
	return func(ctx context.Context, call Call) {
		o.mu.Lock()
		o.by[call.ID()] = append(o.by[call.ID()], app)
		o.mu.Unlock()
		if err := body(ctx, call); err != nil && !errors.Is(err, ErrCallGone) {
			o.mu.Lock()
			o.err = append(o.err, fmt.Sprintf("%s %s: %v", app, call.ID(), err))
			o.mu.Unlock()
		}
	}
}

func greetAndHangUp(ctx context.Context, call Call) error {
	if err := call.Answer(ctx); err != nil {
		return err
	}
	if _, err := call.Play(ctx, PlayOptions{Media: []string{"sound:greeting", "sound:bye"}}); err != nil {
		return err
	}
	return call.Hangup(ctx, "normal")
}

func appName(i int) string { return "tenesa-ivr-" + string(rune('a'+i)) }

// Three controllers on one PBX, many broadcast calls at once: every call is
// claimed exactly once, by one controller whose handler alone runs it to
// the end; the losers' 409s are counted, no claim is skipped or fails.
func TestThreeControllersClaimEveryBroadcastCallExactlyOnce(t *testing.T) {
	leakCheck(t)
	const calls, concurrency = 90, 30
	// A window long enough that no claim misses it on a loaded machine
	// (1 h sim = 3.6 s real): a timeout would be a failure here.
	sim := newBroadcastSim(t, 0.001, time.Hour)
	own := &owners{by: map[string][]string{}}
	var hs []*harness
	for i := range 3 {
		app := appName(i)
		hs = append(hs, startOn(t, sim, own.handler(app, greetAndHangUp), func(o *Options) {
			o.Application = app
			o.RequestTimeout = DefaultRequestTimeout // -race on 2 CPUs: tail latency
		}))
	}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	reports := make([]arisim.CallReport, calls)
	ids := make([]string, calls)
	for i := range calls {
		sem <- struct{}{}
		c := hs[0].place(arisim.Caller{Broadcast: true})
		wg.Go(func() {
			defer func() { <-sem }()
			select {
			case <-c.Done():
			case <-timeoutCh():
			}
			reports[i] = c.Transcript()
			ids[i] = c.ChannelID()
		})
	}
	wg.Wait()
	for _, h := range hs {
		h.waitIdle()
	}
	won := map[string]int{}
	for i, r := range reports {
		if r.Broadcast != "SUCCESS" || r.HungUpBy != "controller" || r.ClaimedBy == "" {
			t.Errorf("call %d: broadcast %q, claimed by %q, hung up by %q; want SUCCESS, a controller, controller",
				i, r.Broadcast, r.ClaimedBy, r.HungUpBy)
			continue
		}
		own.mu.Lock()
		ran := own.by[ids[i]]
		own.mu.Unlock()
		if len(ran) != 1 || ran[0] != r.ClaimedBy {
			t.Errorf("call %d (%s): handled by %v, claimed by %s; want exactly its claimer", i, ids[i], ran, r.ClaimedBy)
		}
		won[r.ClaimedBy]++
	}
	if len(own.by) != calls {
		t.Errorf("%d calls handled, want %d", len(own.by), calls)
	}
	var lost, wonCounted int
	for i, h := range hs {
		h.obs.mu.Lock()
		c := h.obs.claims
		if c[string(ClaimWon)] != won[appName(i)] {
			t.Errorf("%s: counted %d won, the PBX says %d", appName(i), c[string(ClaimWon)], won[appName(i)])
		}
		if c[string(ClaimSkipped)] != 0 {
			t.Errorf("%s: claims %v: none should be skipped", appName(i), c)
		}
		// a loser's claim that comes after the winner's session ended
		// gets 404 (transcript 16), counted as failed
		lost += c[string(ClaimLost)] + c[string(ClaimFailed)]
		wonCounted += c[string(ClaimWon)]
		h.obs.mu.Unlock()
	}
	if wonCounted+lost != 3*calls {
		t.Errorf("won %d + lost or late %d claims, want every controller to answer every broadcast (%d)", wonCounted, lost, 3*calls)
	}
	own.mu.Lock()
	for _, e := range own.err {
		t.Error(e)
	}
	own.mu.Unlock()
	t.Logf("won per controller %v, lost %d", won, lost)
}

// held is a handler that answers and keeps the call until release closes.
func held(started chan<- string, release <-chan struct{}) func(ctx context.Context, call Call) error {
	return func(ctx context.Context, call Call) error {
		if err := call.Answer(ctx); err != nil {
			return err
		}
		started <- call.ID()
		select {
		case <-release:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		return call.Hangup(ctx, "normal")
	}
}

// ari.max_calls spreads the load: three controllers limited to two calls
// each take exactly two of six held calls; the seventh is claimed by
// nobody (each controller skips it) and goes to the dialplan's fallback
// when the broadcast times out.
func TestControllersAtTheirCallLimitDoNotClaimAndTheCallTimesOut(t *testing.T) {
	leakCheck(t)
	const limit = 2
	// a window no claim misses on a loaded machine: 1 h sim = 36 s real
	sim := newBroadcastSim(t, 0.01, time.Hour)
	own := &owners{by: map[string][]string{}}
	started := make(chan string, 3*limit)
	release := make(chan struct{})
	var hs []*harness
	for i := range 3 {
		app := appName(i)
		hs = append(hs, startOn(t, sim, own.handler(app, held(started, release)), func(o *Options) {
			o.Application = app
			o.MaxCalls = limit
		}))
	}
	var placed []*arisim.Call
	for range 3 * limit {
		placed = append(placed, hs[0].place(arisim.Caller{Broadcast: true}))
		recv(t, started, "a held call's handler")
		// A claim in flight counts against the limit until its answer (so
		// concurrent broadcasts cannot overshoot it): let every controller
		// have its answer before the next call.
		for _, h := range hs {
			h.obs.waitFor(t, "the claim answered", func(o *testObserver) bool { return answered(o) == len(placed) })
		}
	}
	for i, h := range hs {
		if n := h.ctrl.ActiveCalls(); n != limit {
			t.Errorf("%s owns %d calls, want its limit %d", appName(i), n, limit)
		}
	}
	// this one nobody can take: its window is short (2 s sim, as recorded)
	extra := hs[0].place(arisim.Caller{Broadcast: true, BroadcastTimeout: 2 * time.Second})
	r := waitDone(t, extra)
	if r.Broadcast != "TIMEOUT" || r.ClaimedBy != "" {
		t.Errorf("call over the limits: broadcast %q claimed by %q, want TIMEOUT and nobody", r.Broadcast, r.ClaimedBy)
	}
	for i, h := range hs {
		// each answered all seven broadcasts: two won, the rest lost or
		// skipped, at least the last one skipped
		h.obs.waitFor(t, "every broadcast answered", func(o *testObserver) bool { return answered(o) == 3*limit+1 })
		h.obs.mu.Lock()
		if c := h.obs.claims; c[string(ClaimWon)] != limit || c[string(ClaimSkipped)] < 1 || c[string(ClaimFailed)] != 0 {
			t.Errorf("%s: claims %v, want %d won, at least 1 skipped, none failed", appName(i), c, limit)
		}
		h.obs.mu.Unlock()
	}
	close(release)
	for _, c := range placed {
		if r := waitDone(t, c); r.HungUpBy != "controller" {
			t.Errorf("held call ended by %q, want controller", r.HungUpBy)
		}
	}
	for _, h := range hs {
		h.waitIdle()
	}
}

// answered is how many broadcasts the controller has dealt with.
func answered(o *testObserver) int {
	n := 0
	for _, r := range ClaimResults {
		n += o.claims[string(r)]
	}
	return n
}

// A draining controller claims nothing; with every controller draining
// the call times out to the fallback.
func TestDrainingControllerDoesNotClaim(t *testing.T) {
	leakCheck(t)
	sim := newBroadcastSim(t, 0.01, time.Hour) // 36 s real: no claim misses it
	own := &owners{by: map[string][]string{}}
	a := startOn(t, sim, own.handler("tenesa-ivr-a", greetAndHangUp), func(o *Options) { o.Application = "tenesa-ivr-a" })
	b := startOn(t, sim, own.handler("tenesa-ivr-b", greetAndHangUp), func(o *Options) { o.Application = "tenesa-ivr-b" })
	a.ctrl.Drain()
	for i := range 5 {
		r := waitDone(t, a.place(arisim.Caller{Broadcast: true}))
		if r.ClaimedBy != "tenesa-ivr-b" || r.HungUpBy != "controller" {
			t.Errorf("call %d: claimed by %q, hung up by %q; want the controller that is not draining", i, r.ClaimedBy, r.HungUpBy)
		}
	}
	a.obs.waitFor(t, "the draining controller skipped every call", func(o *testObserver) bool {
		return o.claims[string(ClaimSkipped)] == 5
	})
	b.ctrl.Drain()
	r := waitDone(t, a.place(arisim.Caller{Broadcast: true, BroadcastTimeout: 2 * time.Second}))
	if r.Broadcast != "TIMEOUT" || r.ClaimedBy != "" {
		t.Errorf("with every controller draining: broadcast %q claimed by %q, want TIMEOUT", r.Broadcast, r.ClaimedBy)
	}
	a.obs.mu.Lock()
	if a.obs.started != 0 || a.obs.claims[string(ClaimWon)] != 0 {
		t.Errorf("draining controller started %d calls and won %d claims, want none", a.obs.started, a.obs.claims[string(ClaimWon)])
	}
	a.obs.mu.Unlock()
	b.waitIdle()
}

// Transcript 17: the caller hangs up while the call is offered.
// StasisBroadcast notices it only at its next 200 ms check, so a claim in
// that gap still wins and the winner gets StasisStart then StasisEnd at
// once; the handler ends with ErrCallGone and the controller is idle. A
// claim after the check gets 404 and counts as failed; no call starts.
func TestClaimAfterTheCallerHungUp(t *testing.T) {
	leakCheck(t)
	for _, tc := range []struct {
		name   string
		scale  float64       // the 200 ms check in real time: 200 ms × scale
		stall  time.Duration // how long the claim is held on its way (real time)
		result ClaimResult
	}{
		// the check at 4 s real, the claim at 300 ms
		{"claim before the hang-up is noticed wins a call that ends at once", 20, 300 * time.Millisecond, ClaimWon},
		// the check at 10 ms real, the claim at 1 s
		{"claim after the hang-up is noticed fails", 0.05, time.Second, ClaimFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newBroadcastSim(t, tc.scale, 2*time.Second)
			gone := make(chan error, 1)
			a := startOn(t, sim, func(ctx context.Context, call Call) {
				<-ctx.Done()
				gone <- context.Cause(ctx)
			}, func(o *Options) { o.Application = "tenesa-ivr-a" })
			// The claim reaches the PBX tc.stall after the caller hung up.
			restore := sim.StallRequests(func(method, path string) bool { return strings.HasSuffix(path, "/events/claim") }, tc.stall)
			defer restore()
			c := a.place(arisim.Caller{Broadcast: true})
			c.HangUp()
			a.obs.waitFor(t, "the claim's result", func(o *testObserver) bool { return o.claims[string(tc.result)] == 1 })
			r := waitDone(t, c)
			if tc.result == ClaimWon {
				if err := recv(t, gone, "the handler's end"); !errors.Is(err, ErrCallGone) {
					t.Errorf("handler ended with %v, want ErrCallGone", err)
				}
				if r.ClaimedBy != "tenesa-ivr-a" || r.Broadcast != "SUCCESS" {
					t.Errorf("claimed by %q, broadcast %q; want tenesa-ivr-a, SUCCESS", r.ClaimedBy, r.Broadcast)
				}
			} else if r.ClaimedBy != "" || r.Broadcast != "TIMEOUT" {
				t.Errorf("claimed by %q, broadcast %q; want nobody, TIMEOUT", r.ClaimedBy, r.Broadcast)
			}
			a.waitIdle()
			a.obs.mu.Lock()
			defer a.obs.mu.Unlock()
			if want := map[ClaimResult]int{ClaimWon: 1}[tc.result]; a.obs.started != want {
				t.Errorf("%d calls started, want %d", a.obs.started, want)
			}
		})
	}
}

// The single-controller path is unchanged: a controller whose application
// is reached by Stasis() directly takes calls without any claim.
func TestPlainStasisCallsNeedNoClaim(t *testing.T) {
	leakCheck(t)
	own := &owners{by: map[string][]string{}}
	hs := start(t, own.handler(testApp, greetAndHangUp), func(o *Options) { o.MaxCalls = 1 })
	r := waitDone(t, hs.place(arisim.Caller{}))
	if r.HungUpBy != "controller" || r.Broadcast != "" {
		t.Errorf("hung up by %q, broadcast %q; want controller and no broadcast", r.HungUpBy, r.Broadcast)
	}
	hs.waitIdle()
	hs.obs.mu.Lock()
	defer hs.obs.mu.Unlock()
	if len(hs.obs.claims) != 0 {
		t.Errorf("claims %v on the plain Stasis path, want none", hs.obs.claims)
	}
}
