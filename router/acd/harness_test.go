package acd

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

// pool is one test's agent pool: a fresh key prefix on the test Redis and
// a manual clock shared by every controller of the test.
type pool struct {
	prefix string
	rdb    *redis.Client
	clock  *ManualClock
	st     *Settings
}

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func newPool(t *testing.T) *pool {
	t.Helper()
	return &pool{prefix: redistest.Prefix(t), rdb: redistest.Client(t), clock: NewManualClock(t0), st: testSettings()}
}

func queueConfig(name, strategy, overflow string, maxWait time.Duration) QueueConfig {
	return QueueConfig{Name: name, Strategy: strategy, ServiceLevel: 20 * time.Second, MaxWait: maxWait,
		Overflow: overflow, WrapUp: 30 * time.Second, RingTimeout: 20 * time.Second, AnnounceEvery: 45 * time.Second}
}

// testSettings: general (longest_idle, overflows to tl after 5m), billing
// (fewest_calls), rr (round_robin), small (ring_all), tl (the Team Leader
// queue, ring_all).
func testSettings() *Settings {
	return &Settings{
		Queues: map[string]QueueConfig{
			"general": queueConfig("general", "longest_idle", "tl", 5*time.Minute),
			"billing": queueConfig("billing", "fewest_calls", "tl", 5*time.Minute),
			"rr":      queueConfig("rr", "round_robin", "", 0),
			"small":   queueConfig("small", "ring_all", "", 0),
			"tl":      queueConfig("tl", "ring_all", "", 0),
		},
		TeamLeaderQueue: "tl", EscalationPriority: 200, RepeatCalls: 3, RepeatWindow: 24 * time.Hour,
		LoginAtStart: map[string]bool{},
	}
}

// start runs a controller on the pool until the test ends.
func (p *pool) start(t *testing.T, instance string) *Service {
	t.Helper()
	s, _ := p.startCtx(t, instance, context.Background())
	return s
}

// startCtx runs a controller until ctx ends (or the test).
func (p *pool) startCtx(t *testing.T, instance string, parent context.Context) (*Service, context.CancelFunc) {
	t.Helper()
	s, err := New(Options{Client: p.rdb, KeyPrefix: p.prefix, Pool: "test", Instance: instance, Clock: p.clock,
		Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)}, p.st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(parent)
	if err := s.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s, cancel
}

var bg = context.Background()

// agent creates an agent in the given queues with the skills and logs it
// in (login: true), advancing the clock 1s first so that idle times differ.
func (p *pool) agent(t *testing.T, s *Service, id string, queues []string, skills []string, login bool) {
	t.Helper()
	must(t, s.UpsertAgent(bg, Agent{ID: id, Name: "Agent " + id, Endpoint: "PJSIP/" + id, Role: RoleAgent,
		Queues: queues, Skills: skills}))
	if login {
		p.clock.Advance(time.Second)
		must(t, s.Login(bg, id))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func enq(t *testing.T, s *Service, e CallEntry) *Waiter {
	t.Helper()
	w, err := s.Enqueue(bg, e)
	if err != nil {
		t.Fatalf("enqueue %s: %v", e.CallID, err)
	}
	t.Cleanup(w.Close)
	return w
}

// waitTimeout bounds every wait for an asynchronous notice or event: a
// failure bound, not a synchronisation.
const waitTimeout = 10 * time.Second

func nextNotice(t *testing.T, w *Waiter) Notice {
	t.Helper()
	select {
	case n := <-w.Notices():
		return n
	case <-time.After(waitTimeout):
		t.Fatalf("call %s: no notice within %s", w.CallID(), waitTimeout)
	}
	return Notice{}
}

func nextOffer(t *testing.T, w *Waiter) *Offer {
	t.Helper()
	n := nextNotice(t, w)
	if n.Kind != NoticeOffer || n.Offer == nil {
		t.Fatalf("call %s: got notice %+v, want an offer", w.CallID(), n)
	}
	return n.Offer
}

// noNotice checks the waiter holds no notice now. Offers to a local waiter
// are delivered before the reporting call returns, so "none now" is exact
// for in-process dispatch.
func noNotice(t *testing.T, w *Waiter) {
	t.Helper()
	select {
	case n := <-w.Notices():
		t.Fatalf("call %s: unexpected notice %+v", w.CallID(), n)
	default:
	}
}

func offeredIDs(o *Offer) []string {
	var out []string
	for _, a := range o.Agents {
		out = append(out, a.ID)
	}
	return out
}

func state(t *testing.T, s *Service, id string) AgentStatus {
	t.Helper()
	st, err := s.Agent(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func wantState(t *testing.T, s *Service, id string, want State) AgentStatus {
	t.Helper()
	st := state(t, s, id)
	if st.State != want {
		t.Fatalf("agent %s is %s (reason %q, call %q), want %s", id, st.State, st.Reason, st.CallID, want)
	}
	return st
}

// waitState waits for an agent's state event (timer-driven changes).
func waitEvent(t *testing.T, ch <-chan Event, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case ev, open := <-ch:
			if !open {
				t.Fatalf("feed closed while waiting for %s", what)
			}
			if ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within %s", what, waitTimeout)
		}
	}
}

func callIDs(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}
