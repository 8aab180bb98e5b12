package segmentation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// TestRedisDownOrHung cuts Redis mid-test behind a TCP proxy: look-ups answer
// "unknown, degraded" within the budget, the breaker then stops asking,
// cached callers are still recognised, and everything recovers when Redis
// is back.
func TestRedisDownOrHung(t *testing.T) {
	for _, c := range []struct {
		name string
		mode redistest.Mode
	}{
		{"hung", redistest.Blackhole},
		{"down", redistest.Refuse},
	} {
		t.Run(c.name, func(t *testing.T) {
			proxy := redistest.StartProxy(t, redistest.Addr())
			const budget = 60 * time.Millisecond
			f := newFixture(t, proxy.Addr(), func(o *seg.Options) {
				o.Budget = budget
				o.BreakerFailures = 3
				o.BreakerCooldown = time.Second
			})
			loadSample(t, f)
			ctx := context.Background()
			if r, err := f.res.ByANI(ctx, "0812-3456-7890"); err != nil || !r.Found {
				t.Fatalf("before the cut: %+v, %v", r, err)
			}

			proxy.SetMode(c.mode)
			for i := range 3 {
				start := time.Now()
				r, err := f.res.ByANI(ctx, "0813-1000-2001")
				took := time.Since(start)
				if err != nil || !r.Degraded || r.Found || r.Outcome != seg.ResultDegraded {
					t.Fatalf("look-up %d with Redis %s: %+v, %v", i, c.name, r, err)
				}
				// Slack for a loaded machine; without the budget a hung
				// Redis would hold the call for read_timeout × retries.
				if took > budget+150*time.Millisecond {
					t.Fatalf("look-up %d took %s, budget %s", i, took, budget)
				}
			}
			if !f.res.BreakerOpen() {
				t.Fatal("breaker still closed after 3 failures")
			}
			accepted := proxy.Accepted()
			start := time.Now()
			r, err := f.res.BySID(ctx, "470302000101")
			if err != nil || !r.Degraded || r.Outcome != seg.ResultBreakerOpen || time.Since(start) > budget {
				t.Fatalf("with the breaker open: %+v, %v in %s", r, err, time.Since(start))
			}
			tr, err := f.res.Ticket(ctx, "470301000101")
			if err != nil || !tr.Degraded || tr.Found {
				t.Fatalf("ticket with the breaker open: %+v, %v", tr, err)
			}
			if n := proxy.Accepted(); n != accepted {
				t.Fatalf("%d connections to Redis with the breaker open", n-accepted)
			}
			// A caller already in the cache is still recognised.
			if r, err := f.res.ByANI(ctx, "+6281234567890"); err != nil || !r.Found || r.Source != seg.SourceCache {
				t.Fatalf("cached caller while Redis is %s: %+v, %v", c.name, r, err)
			}

			// Still open within the cooldown even though Redis is back.
			proxy.SetMode(redistest.Pass)
			if r, _ := f.res.ByANI(ctx, "0813-1000-2001"); r.Outcome != seg.ResultBreakerOpen {
				t.Fatalf("within the cooldown: %+v", r)
			}
			f.clock.Advance(time.Second)
			r, err = f.res.ByANI(ctx, "0813-1000-2001")
			if err != nil || !r.Found || r.Degraded || r.Customer.ID != "CON-0001" {
				t.Fatalf("after recovery: %+v, %v", r, err)
			}
			if f.res.BreakerOpen() {
				t.Fatal("breaker still open after a successful trial")
			}
			if n := f.obs.count(seg.ResultDegraded); n != 3 {
				t.Fatalf("%d degraded look-ups observed, want 3", n)
			}
		})
	}
}

// TestTrialFailureReopens: a failed half-open trial keeps the breaker open
// for another cooldown.
func TestTrialFailureReopens(t *testing.T) {
	proxy := redistest.StartProxy(t, redistest.Addr())
	f := newFixture(t, proxy.Addr(), func(o *seg.Options) {
		o.Budget = 50 * time.Millisecond
		o.BreakerFailures = 1
		o.BreakerCooldown = time.Second
	})
	ctx := context.Background()
	proxy.SetMode(redistest.Refuse)
	if r, _ := f.res.ByANI(ctx, "0812-3456-7890"); r.Outcome != seg.ResultDegraded {
		t.Fatalf("first: %+v", r)
	}
	f.clock.Advance(time.Second)
	if r, _ := f.res.ByANI(ctx, "0812-3456-7890"); r.Outcome != seg.ResultDegraded {
		t.Fatalf("trial: %+v", r)
	}
	if r, _ := f.res.ByANI(ctx, "0812-3456-7890"); r.Outcome != seg.ResultBreakerOpen {
		t.Fatalf("after a failed trial: %+v", r)
	}
}

// TestCallerHangsUpIsCancelledNotDegraded: a look-up whose own context ends
// (the caller hung up while Redis was slow) returns that cause, is observed
// as "cancelled" rather than "degraded" (alerts on degradation must not fire
// on hang-ups), and does not count against Redis in the breaker.
func TestCallerHangsUpIsCancelledNotDegraded(t *testing.T) {
	proxy := redistest.StartProxy(t, redistest.Addr())
	f := newFixture(t, proxy.Addr(), func(o *seg.Options) {
		o.BreakerFailures = 1
		o.Budget = time.Minute // only the hang-up can end the look-up
	})
	proxy.SetMode(redistest.Blackhole)
	ctx, cancel := context.WithCancelCause(context.Background())
	hangup := errors.New("caller hung up")
	time.AfterFunc(10*time.Millisecond, func() { cancel(hangup) })
	r, err := f.res.ByANI(ctx, "0812-3456-7890")
	if !errors.Is(err, hangup) || r.Degraded || r.Outcome != seg.ResultCancelled {
		t.Fatalf("%+v, %v", r, err)
	}
	if n := f.obs.count(seg.ResultDegraded); n != 0 {
		t.Fatalf("a hang-up observed as %d degraded look-ups", n)
	}
	if n := f.obs.count(seg.ResultCancelled); n != 1 {
		t.Fatalf("%d cancelled look-ups observed, want 1", n)
	}
	if f.res.BreakerOpen() {
		t.Fatal("a hang-up opened the breaker")
	}
	tctx, tcancel := context.WithCancelCause(context.Background())
	tcancel(hangup)
	tr, err := f.res.Ticket(tctx, "470301000101")
	if !errors.Is(err, hangup) || tr.Degraded || tr.Outcome != seg.ResultCancelled {
		t.Fatalf("ticket look-up of a hung-up caller: %+v, %v", tr, err)
	}
}
