package ari

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"go.uber.org/goleak"
)

const (
	testApp  = "tenesa-ivr"
	testUser = "tenesa"
	testPass = "s3cret"
	// waitLong bounds every wait in the tests; reaching it is a failure.
	waitLong = 10 * time.Second
)

// Sim-time prompt durations (TimeScale 0.01: 1 s of sim time = 10 ms).
var testPrompts = map[string]time.Duration{
	"sound:greeting": 2 * time.Second,
	"sound:menu":     time.Second,
	"sound:long":     60 * time.Second,
	"sound:bye":      500 * time.Millisecond,
}

// leakCheck registers goleak first so it runs after every other cleanup.
func leakCheck(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

// testObserver records the controller's hooks and signals every change.
type testObserver struct {
	mu           sync.Mutex
	up           bool
	reconnects   int
	unknownTypes []string
	replaced     int
	resyncs      int
	adopted      int
	resyncGone   int
	started      int
	startedAdopt int
	ended        int
	failed       map[string]int
	dropped      int
	claims       map[string]int // by ClaimResult
	changed      chan struct{}
}

func newTestObserver() *testObserver {
	return &testObserver{failed: map[string]int{}, claims: map[string]int{}, changed: make(chan struct{}, 1)}
}

func (o *testObserver) update(f func()) {
	o.mu.Lock()
	f()
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

func (o *testObserver) Connected(up bool)    { o.update(func() { o.up = up }) }
func (o *testObserver) Reconnect()           { o.update(func() { o.reconnects++ }) }
func (o *testObserver) Event(string)         {}
func (o *testObserver) ApplicationReplaced() { o.update(func() { o.replaced++ }) }
func (o *testObserver) UnknownEvent(typ string) {
	o.update(func() { o.unknownTypes = append(o.unknownTypes, typ) })
}
func (o *testObserver) Resynced(adopted, gone int) {
	o.update(func() { o.resyncs++; o.adopted += adopted; o.resyncGone += gone })
}
func (o *testObserver) CallStarted(adopted bool) {
	o.update(func() {
		o.started++
		if adopted {
			o.startedAdopt++
		}
	})
}
func (o *testObserver) CallEnded() { o.update(func() { o.ended++ }) }
func (o *testObserver) RequestFailed(op string, _ int) {
	o.update(func() { o.failed[op]++ })
}
func (o *testObserver) EventDropped(string) { o.update(func() { o.dropped++ }) }
func (o *testObserver) Claim(r string)      { o.update(func() { o.claims[r]++ }) }

// waitFor blocks until cond (called under the observer's lock) holds.
func (o *testObserver) waitFor(t *testing.T, what string, cond func(o *testObserver) bool) {
	t.Helper()
	deadline := time.NewTimer(waitLong)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		ok := cond(o)
		o.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-o.changed:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

type harness struct {
	t      *testing.T
	sim    *arisim.Server
	ctrl   *Controller
	obs    *testObserver
	cancel context.CancelFunc
	runErr chan error
}

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel).With().Timestamp().Logger()
}

func newSim(t *testing.T, scale float64) *arisim.Server {
	t.Helper()
	sim := arisim.New(arisim.Options{
		Username:        testUser,
		Password:        testPass,
		TimeScale:       scale,
		PromptDurations: testPrompts,
	})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("sim start: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

func testOptions(t *testing.T, sim *arisim.Server, obs Observer) Options {
	return Options{
		URL:            sim.URL(),
		WebsocketURL:   sim.WebsocketURL(),
		Username:       testUser,
		Password:       testPass,
		Application:    testApp,
		RequestTimeout: 500 * time.Millisecond,
		ReconnectMin:   5 * time.Millisecond,
		ReconnectMax:   50 * time.Millisecond,
		Logger:         testLogger(t),
		Observer:       obs,
	}
}

// start runs a controller with h against a fresh simulator and waits until
// it is connected and has resynced once.
func start(t *testing.T, h Handler, tweak ...func(*Options)) *harness {
	t.Helper()
	sim := newSim(t, 0.01)
	return startOn(t, sim, h, tweak...)
}

func startOn(t *testing.T, sim *arisim.Server, h Handler, tweak ...func(*Options)) *harness {
	t.Helper()
	obs := newTestObserver()
	opts := testOptions(t, sim, obs)
	for _, f := range tweak {
		f(&opts)
	}
	ctrl, err := NewController(opts)
	if err != nil {
		t.Fatalf("NewController: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs := &harness{t: t, sim: sim, ctrl: ctrl, obs: obs, cancel: cancel, runErr: make(chan error, 1)}
	go func() { hs.runErr <- ctrl.Run(ctx, h) }()
	t.Cleanup(hs.stop)
	obs.waitFor(t, "connected and resynced", func(o *testObserver) bool { return o.up && o.resyncs > 0 })
	return hs
}

// stop cancels Run and waits for it (idempotent).
func (hs *harness) stop() {
	hs.t.Helper()
	hs.cancel()
	select {
	case err, ok := <-hs.runErr:
		if ok && err != nil {
			hs.t.Errorf("Run: %v", err)
		}
		if ok {
			close(hs.runErr)
		}
	case <-time.After(waitLong):
		hs.t.Fatalf("Run did not return after cancel")
	}
}

func (hs *harness) place(c arisim.Caller) *arisim.Call {
	hs.t.Helper()
	if c.Number == "" {
		c.Number = "081234567890"
	}
	call, err := hs.sim.PlaceCall(c)
	if err != nil {
		hs.t.Fatalf("PlaceCall: %v", err)
	}
	return call
}

// waitDone waits until the simulated call's channel is gone.
func waitDone(t *testing.T, c *arisim.Call) arisim.CallReport {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(waitLong):
		t.Fatalf("call %s did not end", c.ChannelID())
	}
	return c.Transcript()
}

// recv receives one value or fails the test.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLong):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// waitIdle waits until no call goroutine is left.
func (hs *harness) waitIdle() {
	hs.t.Helper()
	hs.obs.waitFor(hs.t, "all calls ended", func(o *testObserver) bool { return o.ended == o.started })
	if n := hs.ctrl.ActiveCalls(); n != 0 {
		hs.t.Fatalf("ActiveCalls = %d after every call ended", n)
	}
}

func heard(r arisim.CallReport) []string {
	var out []string
	for _, h := range r.Heard {
		out = append(out, h.Media+"="+h.Status)
	}
	return out
}

// eventually polls a condition of the simulator that has no notification.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(waitLong)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func timeoutCh() <-chan time.Time { return time.After(waitLong) }
