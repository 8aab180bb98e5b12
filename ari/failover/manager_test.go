package failover_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/tenesa-ivr/tenesa-ivr/ari/failover"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Wall-clock lease of the tests: long enough that a live manager on a
// loaded machine never loses it (three renewals per TTL).
const (
	ttl   = 900 * time.Millisecond
	renew = 300 * time.Millisecond
)

func testLog(t *testing.T) zerolog.Logger {
	if os.Getenv("TENESA_TEST_LOG") != "" {
		return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel)
	}
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

// adoptions records what each manager adopted; an adoption holds until
// the test releases it.
type adoptions struct {
	mu      sync.Mutex
	by      map[string][]string // peer → adopters, in order
	changed chan struct{}
	release chan struct{}
}

func newAdoptions() *adoptions {
	return &adoptions{by: map[string][]string{}, changed: make(chan struct{}, 64), release: make(chan struct{})}
}

func (a *adoptions) fn(self string) failover.AdoptFunc {
	return func(ctx context.Context, p failover.Peer) error {
		a.mu.Lock()
		a.by[p.Instance] = append(a.by[p.Instance], self+":"+p.Application)
		a.mu.Unlock()
		a.changed <- struct{}{}
		select {
		case <-a.release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (a *adoptions) of(peer string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.by[peer]...)
}

type running struct {
	m    *failover.Manager
	stop func()
}

func start(t *testing.T, prefix, inst string, a *adoptions) running {
	t.Helper()
	m, err := failover.New(failover.Options{Client: redistest.Client(t), KeyPrefix: prefix, Instance: inst,
		Application: "tenesa-ivr-" + inst, LeaseTTL: ttl, RenewEvery: renew, Adopt: a.fn(inst), Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return running{m, stop}
}

// waitFor waits for cond, re-checking on every adoption and at most every
// 50 ms; the bound is generous (wall clock under load).
func waitFor(t *testing.T, a *adoptions, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-a.changed:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for: %s", what)
		}
	}
}

// Three controllers; one dies (stops renewing, no resign): exactly one of
// the two survivors takes its application over, and nobody takes a live
// controller's.
func TestDeadPeerIsTakenOverByExactlyOneSurvivor(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := newAdoptions()
	dead := start(t, prefix, "a", a)
	start(t, prefix, "b", a)
	start(t, prefix, "c", a)
	dead.stop() // kill -9: the lease is left to expire
	waitFor(t, a, "a taken over", func() bool { return len(a.of("a")) > 0 })
	// Several more rounds of both survivors: still one adopter.
	rounds := time.After(4 * ttl)
	for done := false; !done; {
		select {
		case <-a.changed:
		case <-rounds:
			done = true
		}
	}
	if got := a.of("a"); len(got) != 1 || (got[0] != "b:tenesa-ivr-a" && got[0] != "c:tenesa-ivr-a") {
		t.Fatalf("adoptions of a: %v, want exactly one by b or c", got)
	}
	if len(a.of("b"))+len(a.of("c")) != 0 {
		t.Fatalf("a live controller's application was taken: b %v c %v", a.of("b"), a.of("c"))
	}
	close(a.release)
}

// A controller that comes back while a survivor still serves its calls
// waits for the release before it connects, and is not taken over again
// once its lease lives.
func TestReturningControllerWaitsForTheSurvivorsRelease(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := newAdoptions()
	dead := start(t, prefix, "a", a)
	b := start(t, prefix, "b", a)
	dead.stop()
	waitFor(t, a, "a taken over by b", func() bool { return len(a.of("a")) == 1 })

	back, err := failover.New(failover.Options{Client: redistest.Client(t), KeyPrefix: prefix, Instance: "a",
		Application: "tenesa-ivr-a", LeaseTTL: ttl, RenewEvery: renew, Adopt: a.fn("a"), Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := back.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := back.HeldBy(ctx, "a"); err != nil || h != "b" {
		t.Fatalf("takeover lock of a: %q, %v; want b", h, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- back.WaitOwnApp(ctx) }()
	select {
	case err := <-waited:
		t.Fatalf("WaitOwnApp returned (%v) while b still serves a's calls", err)
	case <-time.After(3 * ttl): // several renewals of b's lock: a must still wait
	}
	close(a.release) // b's adopted calls are finished
	select {
	case err := <-waited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("WaitOwnApp did not return after the release")
	}
	if h, _ := back.HeldBy(ctx, "a"); h != "" {
		t.Fatalf("takeover lock of a still held by %q", h)
	}
	runDone := make(chan struct{})
	go func() { defer close(runDone); back.Run(ctx) }()
	defer func() { cancel(); <-runDone }()
	peers, err := b.m.Peers(ctx)
	if err != nil || len(peers) != 2 {
		t.Fatalf("peers %v, %v: the returned controller is registered again", peers, err)
	}
	// b sees a's lease and takes nothing more.
	deadline := time.After(3 * ttl)
	for done := false; !done; {
		select {
		case <-a.changed:
			t.Fatalf("a live, returned controller was taken over again: %v", a.of("a"))
		case <-deadline:
			done = true
		}
	}
}

func TestValidateNamesTheProblem(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ttl, renew time.Duration
		ok         bool
	}{
		{"defaults", failover.DefaultLeaseTTL, failover.DefaultRenewEvery, true},
		{"ttl too short", 100 * time.Millisecond, 10 * time.Millisecond, false},
		{"renew not inside the ttl", 3 * time.Second, 2 * time.Second, false},
		{"renew zero", 3 * time.Second, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := failover.Validate(tc.ttl, tc.renew); (err == nil) != tc.ok {
				t.Fatalf("Validate(%s, %s) = %v", tc.ttl, tc.renew, err)
			}
		})
	}
}
