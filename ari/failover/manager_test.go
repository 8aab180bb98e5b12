package failover_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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
	return startWith(t, redistest.Client(t), prefix, inst, a)
}

func startWith(t *testing.T, client redis.UniversalClient, prefix, inst string, a *adoptions) running {
	t.Helper()
	m, err := failover.New(failover.Options{Client: client, KeyPrefix: prefix, Instance: inst,
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
		{"renew too short", time.Second, 10 * time.Millisecond, false},
		{"fast lease", 750 * time.Millisecond, 250 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := failover.Validate(tc.ttl, tc.renew); (err == nil) != tc.ok {
				t.Fatalf("Validate(%s, %s) = %v", tc.ttl, tc.renew, err)
			}
		})
	}
}

// healthy is the number of healthy looks m has made so far.
func healthy(m *failover.Manager) int64 { return m.Ticks() - m.UnhealthyTicks() }

// waitLooks waits until every manager has made n more healthy looks than
// it had when called (a wall-clock-free "several rounds").
func waitLooks(t *testing.T, what string, n int64, ms ...*failover.Manager) {
	t.Helper()
	from := make([]int64, len(ms))
	for i, m := range ms {
		from[i] = healthy(m)
	}
	redistest.WaitFor(t, what, time.Minute, func() bool {
		for i, m := range ms {
			if healthy(m)-from[i] < n {
				return false
			}
		}
		return true
	})
}

// A killed controller is taken over after its lease expired and stayed
// absent for two more looks of the survivor: within ⌈lease_ttl /
// renew_every⌉ + 3 looks of the survivor after the kill (more only when
// the survivor's own looks were unhealthy, each of which restarts the
// count), and never sooner than lease_ttl − renew_every + ConfirmAfter
// (less a timer jitter) after it.
func TestKilledControllerIsTakenOverWithinTheLeaseAndThreeLooks(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := newAdoptions()
	dead := start(t, prefix, "a", a)
	// b's counters at the adoption, read inside its Adopt (called from
	// the look that took a over, before that look is counted).
	var bm atomic.Pointer[failover.Manager]
	var adoptedTicks, adoptedUnhealthy atomic.Int64
	var adoptedWall atomic.Int64
	inner := a.fn("b")
	m, err := failover.New(failover.Options{Client: redistest.Client(t), KeyPrefix: prefix, Instance: "b",
		Application: "tenesa-ivr-b", LeaseTTL: ttl, RenewEvery: renew, Log: testLog(t),
		Adopt: func(ctx context.Context, p failover.Peer) error {
			adoptedWall.Store(time.Now().UnixNano())
			adoptedTicks.Store(bm.Load().Ticks())
			adoptedUnhealthy.Store(bm.Load().UnhealthyTicks())
			return inner(ctx, p)
		}})
	if err != nil {
		t.Fatal(err)
	}
	bm.Store(m)
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitLooks(t, "b looks at a live a", 4, m)
	if got := a.of("a"); len(got) != 0 {
		t.Fatalf("a live controller was taken over: %v", got)
	}
	killTicks, killUnhealthy := m.Ticks(), m.UnhealthyTicks()
	killed := time.Now()
	dead.stop() // kill -9: no resign, the lease is left to expire
	waitFor(t, a, "a taken over by b", func() bool { return len(a.of("a")) > 0 })
	adoptedAfter := time.Unix(0, adoptedWall.Load()).Sub(killed)
	looks := adoptedTicks.Load() - killTicks
	bad := adoptedUnhealthy.Load() - killUnhealthy
	maxLooks := int64((ttl+renew-1)/renew) + 3 + 3*bad
	t.Logf("taken over %d looks (%d unhealthy) and %s after the kill", looks, bad, adoptedAfter.Round(time.Millisecond))
	if looks > maxLooks {
		t.Fatalf("taken over %d looks after the kill (%d unhealthy), want at most %d", looks, bad, maxLooks)
	}
	if least := ttl - renew + m.ConfirmAfter() - renew/8; adoptedAfter < least {
		t.Fatalf("taken over %s after the kill: sooner than the lease could expire and be confirmed absent (%s)", adoptedAfter, least)
	}
	if got := a.of("a"); len(got) != 1 || got[0] != "b:tenesa-ivr-a" {
		t.Fatalf("adoptions of a: %v, want exactly one by b", got)
	}
	close(a.release)
}

// noTakeover fails when any application was taken over.
func noTakeover(t *testing.T, a *adoptions, ms ...*failover.Manager) {
	t.Helper()
	for _, in := range []string{"a", "b"} {
		if got := a.of(in); len(got) != 0 {
			t.Fatalf("live controller %s was taken over: %v", in, got)
		}
	}
	for _, m := range ms {
		if n := m.Takeovers(); n != 0 {
			t.Fatalf("%d takeovers of a live controller", n)
		}
	}
}

// Redis cannot be reached (refused, or hanging) for longer than
// lease_ttl while it keeps running: every lease — the two live
// controllers' too — expires meanwhile. Both controllers see errors, then
// their own lease lapsed, and set their leases again before either could
// confirm the other's absence: no takeover.
func TestRedisOutageLongerThanTheLeaseTakesNoLiveControllerOver(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode redistest.Mode
	}{{"refused", redistest.Refuse}, {"hanging", redistest.Blackhole}} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := redistest.Prefix(t)
			proxy := redistest.StartProxy(t, redistest.Addr())
			t.Cleanup(proxy.Close)
			a := newAdoptions()
			ra := startWith(t, redistest.Client(t, proxy.Addr()), prefix, "a", a)
			rb := startWith(t, redistest.Client(t, proxy.Addr()), prefix, "b", a)
			waitLooks(t, "a and b look at each other", 4, ra.m, rb.m)
			fromA, fromB := ra.m.UnhealthyTicks(), rb.m.UnhealthyTicks()
			proxy.SetMode(tc.mode)
			// Each unhealthy look spans at least renew_every (its
			// timeout, or the ticker), so this many span more than
			// lease_ttl without Redis.
			n := int64(ttl/renew) + 2
			redistest.WaitFor(t, "both controllers fail to reach Redis for longer than lease_ttl", time.Minute, func() bool {
				return ra.m.UnhealthyTicks()-fromA >= n && rb.m.UnhealthyTicks()-fromB >= n
			})
			proxy.SetMode(redistest.Pass)
			redistest.WaitFor(t, "both controllers find their own lease expired", time.Minute, func() bool {
				return ra.m.Lapses() >= 1 && rb.m.Lapses() >= 1
			})
			waitLooks(t, "several healthy rounds after the outage", 6, ra.m, rb.m)
			noTakeover(t, a, ra.m, rb.m)
			close(a.release)
		})
	}
}

// A real Redis master failover (SIGKILL of the master; the sentinels
// promote the replica after down-after, longer than lease_ttl): the
// promoted replica holds no live lease any more. The two live controllers
// follow the new master through their failover clients, find their own
// leases lapsed, set them again — and neither takes the other over.
func TestRedisMasterFailoverTakesNoLiveControllerOver(t *testing.T) {
	s := redistest.StartSentinel(t, redistest.SentinelOptions{})
	addrs := []string{s.Sentinels[0].Addr, s.Sentinels[1].Addr, s.Sentinels[2].Addr}
	client := func() redis.UniversalClient {
		c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: redistest.SentinelMaster, SentinelAddrs: addrs})
		t.Cleanup(func() { c.Close() })
		return c
	}
	a := newAdoptions()
	ra := startWith(t, client(), "test:failover:", "a", a) // a private Redis
	rb := startWith(t, client(), "test:failover:", "b", a)
	waitLooks(t, "a and b look at each other", 4, ra.m, rb.m)
	old := s.KillMaster()
	s.WaitNewMaster(old, time.Minute)
	redistest.WaitFor(t, "both controllers find their own lease expired on the new master", time.Minute, func() bool {
		return ra.m.Lapses() >= 1 && rb.m.Lapses() >= 1
	})
	waitLooks(t, "several healthy rounds after the failover", 6, ra.m, rb.m)
	noTakeover(t, a, ra.m, rb.m)
	close(a.release)
}

// A survivor serving a dead controller's application keeps it through a
// Redis outage longer than lease_ttl: its takeover lock expired meanwhile,
// and it takes the lock again (the peer is still dead) instead of dropping
// the adopted callers.
func TestAdopterKeepsTheDeadPeersApplicationThroughARedisOutage(t *testing.T) {
	prefix := redistest.Prefix(t)
	proxy := redistest.StartProxy(t, redistest.Addr())
	t.Cleanup(proxy.Close)
	a := newAdoptions()
	dead := startWith(t, redistest.Client(t, proxy.Addr()), prefix, "a", a)
	rb := startWith(t, redistest.Client(t, proxy.Addr()), prefix, "b", a)
	dead.stop()
	waitFor(t, a, "a taken over by b", func() bool { return len(a.of("a")) == 1 })
	from := rb.m.UnhealthyTicks()
	proxy.SetMode(redistest.Refuse)
	n := int64(ttl/renew) + 2
	redistest.WaitFor(t, "b fails to reach Redis for longer than lease_ttl", time.Minute, func() bool {
		return rb.m.UnhealthyTicks()-from >= n
	})
	proxy.SetMode(redistest.Pass)
	redistest.WaitFor(t, "b finds its own lease expired", time.Minute, func() bool { return rb.m.Lapses() >= 1 })
	waitLooks(t, "several healthy rounds after the outage", 6, rb.m)
	if got := rb.m.Adopting(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("b adopts %v after the outage, want still [a]", got)
	}
	if got := a.of("a"); len(got) != 1 {
		t.Fatalf("adoptions of a: %v, want the one of before the outage", got)
	}
	ctx := context.Background()
	if h, err := rb.m.HeldBy(ctx, "a"); err != nil || h != "b" {
		t.Fatalf("takeover lock of a after the outage: %q, %v; want b", h, err)
	}
	close(a.release)
}
