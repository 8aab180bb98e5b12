package flow_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/ari/failover"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/flow"
)

// The failover tests' lease (wall clock: Redis expires it): three
// renewals per TTL, so a live controller on a loaded machine keeps it.
const (
	foLeaseTTL = 1500 * time.Millisecond
	foRenew    = 300 * time.Millisecond
	foScale    = 0.05 // 1 s sim = 50 ms
)

// node is one controller process: its own connections to the simulated
// PBX and to Redis, each through a proxy the test can cut (kill -9: the
// process stops talking to anything, its lease expires, nothing of it is
// cleaned up), its acd Service, flow, failover Manager and record sink.
type node struct {
	name      string
	app       string
	ariProxy  *redistest.Proxy
	rdsProxy  *redistest.Proxy
	rdb       *redis.Client
	svc       *acd.Service
	h         *flow.ACDHandoff
	mgr       *failover.Manager
	f         *flow.Flow
	handover  router.RedisHandover
	sink      *gateSink
	connected atomic.Bool // its own controller is running (after WaitOwnApp)

	mu       sync.Mutex
	ctl      *ari.Controller
	adopters map[string]*ari.Controller // peer instance → adopting controller

	stop func()
}

// gateSink is a process's record sink: once the process is dead, whatever
// its goroutines still produce is lost (counted), as with kill -9.
type gateSink struct {
	inner   router.RecordSink
	dead    atomic.Bool
	dropped atomic.Int64
}

func (g *gateSink) Submit(r *router.Record) {
	if g.dead.Load() {
		g.dropped.Add(1)
		return
	}
	g.inner.Submit(r)
}

func (n *node) adopter(peer string) *ari.Controller {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.adopters[peer]
}

func (n *node) own() *ari.Controller {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ctl
}

// kill cuts the process off at once: no drain, no hand-over, no record.
func (n *node) kill() {
	n.sink.dead.Store(true)
	n.ariProxy.SetMode(redistest.Refuse)
	n.rdsProxy.SetMode(redistest.Refuse)
}

func (aw *acdWorld) startNode(t *testing.T, name string) *node {
	t.Helper()
	log := testLog(t).With().Str("instance", name).Logger()
	n := &node{name: name, app: "tenesa-ivr-" + name, adopters: map[string]*ari.Controller{}}
	n.ariProxy = redistest.StartProxy(t, aw.sim.Addr())
	n.rdsProxy = redistest.StartProxy(t, redistest.Addr())
	n.rdb = redis.NewClient(&redis.Options{Addr: n.rdsProxy.Addr(), ContextTimeoutEnabled: true, MaxRetries: 1})
	st, err := acd.FromConfig(aw.cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.svc, err = acd.New(acd.Options{Client: n.rdb, KeyPrefix: aw.cfg.Redis.KeyPrefix, Pool: aw.cfg.ACD.Pool,
		Instance: name, Log: log, LeaseTTL: foLeaseTTL}, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := n.svc.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	n.handover = router.RedisHandover{Client: n.rdb, Prefix: aw.cfg.Redis.KeyPrefix + "handover:", Grace: 5 * time.Minute}
	n.h = flow.NewACDHandoff(n.svc, log)
	n.h.Pending = n.handover
	n.sink = &gateSink{inner: aw.flow.Records}
	n.f = &flow.Flow{Instance: name, Plans: aw.flow.Plans, Customers: aw.flow.Customers, Zones: aw.flow.Zones,
		Handoff: n.h, Handover: n.handover, Records: n.sink, Log: log, Now: aw.flow.Now}
	opts := aw.ctlOpts
	opts.URL, opts.WebsocketURL = "http://"+n.ariProxy.Addr()+"/ari", "ws://"+n.ariProxy.Addr()+"/ari/events"
	opts.Application, opts.Logger = n.app, log
	opts.ReconnectMax = time.Second
	n.mgr, err = failover.New(failover.Options{Client: n.rdb, KeyPrefix: aw.cfg.Redis.KeyPrefix, Instance: name,
		Application: n.app, LeaseTTL: foLeaseTTL, RenewEvery: foRenew, Log: log,
		Adopt: func(ctx context.Context, p failover.Peer) error {
			o := opts
			o.Application, o.Adopter = p.Application, true
			c, err := ari.NewController(o)
			if err != nil {
				return err
			}
			n.mu.Lock()
			n.adopters[p.Instance] = c
			n.mu.Unlock()
			return c.RunAdopted(ctx, n.f.Handle)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.mgr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if n.mgr.WaitOwnApp(ctx) != nil {
			return
		}
		c, err := ari.NewController(opts)
		if err != nil {
			t.Error(err)
			return
		}
		n.mu.Lock()
		n.ctl = c
		n.mu.Unlock()
		n.connected.Store(true)
		_ = c.Run(ctx, n.f.Handle)
	}()
	go func() { defer wg.Done(); n.mgr.Run(ctx) }()
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			n.h.Close()
			n.svc.Wait()
			_ = n.rdb.Close()
		})
	}
	t.Cleanup(n.stop)
	return n
}

// ownerOf is the acd's owner of a call (the controller its offers go to).
func (aw *acdWorld) ownerOf(t *testing.T, callID string) string {
	t.Helper()
	key := aw.cfg.Redis.KeyPrefix + "acd:{" + aw.cfg.ACD.Pool + "}:call:" + callID
	v, err := aw.rdb.HGet(context.Background(), key, "owner").Result()
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	return v
}

// silenceAfter is the longest stretch the caller heard nothing after
// sim instant from (a stretch that began earlier counts from there).
func silenceAfter(r arisim.CallReport, from time.Time) time.Duration {
	var longest time.Duration
	for _, s := range r.Silences {
		if !s.To.After(from) {
			continue
		}
		start := s.From
		if start.Before(from) {
			start = from
		}
		longest = max(longest, s.To.Sub(start))
	}
	return longest
}

// TestFailoverKilledControllerCallsInEveryStage: three controllers on one
// simulated PBX and one Redis; controller fa is killed (lease no longer
// renewed, WebSocket cut, no drain) with calls in every stage: bridged
// with an agent, ringing an agent, two waiting in the queue, a prompt
// playing, DTMF being gathered, and one whose agent is in wrap-up.
// Exactly one of fb and fc (the survivor, "sv" below) takes fa's
// application over, adopts every call
// and writes each call's one record (the wrap-up one through the
// hand-over sweeper); callers are never silent longer than the takeover
// needs; the queue keeps its order; the bridged call stays bridged until
// the caller hangs up. fa comes back meanwhile: it waits while the survivor
// still serves its calls, takes none of them, and takes new calls once
// the survivor has released the application.
func TestFailoverKilledControllerCallsInEveryStage(t *testing.T) {
	const ag1003 = "PJSIP/agent1003"
	aw := newACDWorld(t, acdOpts{timeScale: foScale,
		durations: func(d map[string]time.Duration) {
			d["sound:tenesa/id/incident-generic"] = time.Hour // still playing at the kill
		},
		tweak: func(cfg *configs.Config) {
			q := &cfg.ACD.QueueDefaults
			q.WrapUp, q.RingTimeout, q.MaxWait = time.Hour, time.Hour, time.Hour // ended by the test (Ready, hang-ups)
			cfg.IVR.FirstDigitTimeout = time.Hour                                // the gathering caller stays gathering
			cfg.Agents = append(testAgents(nil), configs.Agent{ID: "1003", Name: "Agent 1003", Endpoint: ag1003,
				Role: "agent", Skills: []string{"segment:DES", "lang:id"}, Queues: []string{"enterprise-care"}})
		},
		agents: []arisim.Agent{
			{Endpoint: ag1001, AnswerAfter: time.Second},                           // stays bridged
			{Endpoint: ag1002, AnswerAfter: 100 * time.Hour},                       // rings
			{Endpoint: ag1003, AnswerAfter: time.Second, HangupAfter: time.Minute}, // talks, hangs up, wraps up
		}})
	ctx := context.Background()
	fa := aw.startNode(t, "fa")
	fb := aw.startNode(t, "fb")
	fc := aw.startNode(t, "fc")
	waitUntil(t, "the controllers connected", func() bool {
		return aw.sim.ActiveSockets(fa.app) == 1 && aw.sim.ActiveSockets(fb.app) == 1 && aw.sim.ActiveSockets(fc.app) == 1
	})
	long := arisim.Wait(100 * time.Hour) // the test hangs the callers up
	place := func(c arisim.Caller) *arisim.Call {
		c.App = fa.app
		return aw.place(t, c)
	}
	login := func(id string) {
		t.Helper()
		if err := fb.svc.Login(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	waiting := func(c *arisim.Call) func() bool {
		return func() bool {
			h, err := aw.svc.Handling(ctx, c.ChannelID())
			return err == nil && h.Queue == "enterprise-care" && !h.EnqueuedAt.IsZero()
		}
	}

	// bridged with agent 1001
	login("1001")
	bridged := place(toAgent(long))
	waitUntil(t, "caller bridged with 1001", func() bool { return len(bridged.Transcript().BridgedWith) > 0 })
	// ringing agent 1002
	login("1002")
	ringing := place(toAgent(long))
	waitUntil(t, "1002 ringing", func() bool { return len(aw.sim.AgentReport(ag1002)) == 1 })
	// agent 1003 in wrap-up after its call (its record waits for the wrap-up)
	login("1003")
	wrapped := place(toAgent(long))
	aw.waitAgent(t, "1003", acd.WrapUp)
	waitUntil(t, "record waiting for the wrap-up saved", func() bool {
		n, _ := aw.rdb.Exists(ctx, fa.handover.Prefix+wrapped.ChannelID()).Result()
		return n == 1
	})
	// two callers waiting in the queue, in this order
	w1 := place(toAgent(long))
	waitUntil(t, "w1 waiting", waiting(w1))
	w2 := place(toAgent(long))
	waitUntil(t, "w2 waiting", waiting(w2))
	// a prompt playing (the incident announcement), DTMF being gathered
	prompt := place(arisim.Caller{Number: aniIncident, Script: []arisim.Step{long}})
	waitUntil(t, "incident announcement playing", func() bool {
		for _, h := range prompt.Transcript().Heard {
			if h.Media == "sound:tenesa/id/incident-generic" && h.End.IsZero() {
				return true
			}
		}
		return false
	})
	gather := place(arisim.Caller{Number: aniDES, Script: []arisim.Step{long}})
	waitUntil(t, "main menu played, gathering", func() bool {
		for _, h := range gather.Transcript().Heard {
			if h.Media == "sound:tenesa/id/menu-main" && !h.End.IsZero() {
				return true
			}
		}
		return false
	})
	inFlight := []*arisim.Call{bridged, ringing, w1, w2, prompt, gather}
	firstEnq := map[string]time.Time{}
	for _, c := range []*arisim.Call{w1, w2} {
		h, _ := aw.svc.Handling(ctx, c.ChannelID())
		firstEnq[c.ChannelID()] = h.EnqueuedAt
	}

	// kill -9
	fa.kill()
	killedAt := aw.sim.Now()

	// One survivor takes over fa's application and adopts the six calls in
	// Stasis.
	var sv, other *node
	waitUntil(t, "a survivor adopting fa", func() bool {
		for _, n := range [][2]*node{{fb, fc}, {fc, fb}} {
			if a := n[0].adopter("fa"); a != nil && a.Connected() {
				sv, other = n[0], n[1]
				return true
			}
		}
		return false
	})
	ad := sv.adopter("fa")
	waitUntil(t, "six calls adopted", func() bool { return ad.ActiveCalls() == len(inFlight) })
	for _, c := range []*arisim.Call{ringing, w1, w2} {
		waitUntil(t, "queued call owned by the survivor", func() bool { return aw.ownerOf(t, c.ChannelID()) == sv.name })
	}
	waitUntil(t, "the IVR callers hear the apology", func() bool {
		return heardPromptSub(prompt.Transcript(), "degraded") && heardPromptSub(gather.Transcript(), "degraded")
	})
	// the record that waited for the wrap-up: the sweeper of a survivor
	// finalises it once due (forced here: due after the wrap-up's bound)
	if n, err := router.SweepHandoversOnce(ctx, sv.handover, sv.sink, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("hand-over sweep: %d records, %v; want the wrap-up call's one", n, err)
	}

	// fa comes back while the survivor still serves its calls: it waits.
	fa2 := aw.startNode(t, "fa")
	if h, err := fa2.mgr.HeldBy(ctx, "fa"); err != nil || h != sv.name {
		t.Fatalf("takeover lock of fa held by %q (%v), want %s", h, err, sv.name)
	}

	// The queue keeps its order: 1003, ready again, takes w1, then w2.
	if err := fb.svc.Ready(ctx, "1003"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "w1 bridged", func() bool { return len(w1.Transcript().BridgedWith) > 0 })
	if len(w2.Transcript().BridgedWith) > 0 {
		t.Fatal("w2 bridged before w1")
	}
	aw.waitAgent(t, "1003", acd.WrapUp)
	for _, c := range []*arisim.Call{bridged, ringing, prompt, gather} {
		c.HangUp()
	}
	if err := fb.svc.Ready(ctx, "1003"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "w2 bridged", func() bool { return len(w2.Transcript().BridgedWith) > 0 })
	if fa2.connected.Load() {
		t.Fatal("returning fa connected while the survivor still serves its calls")
	}
	aw.waitAgent(t, "1003", acd.WrapUp)
	// the agents end their wrap-ups (the records wait for them)
	aw.waitAgent(t, "1001", acd.WrapUp)
	for _, id := range []string{"1003", "1001"} {
		if err := fb.svc.Ready(ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	recs := map[string]*router.Record{}
	for _, c := range append(inFlight, wrapped) {
		recs[c.ChannelID()] = aw.waitRecord(t, c.ChannelID())
	}
	for _, c := range inFlight {
		r := recs[c.ChannelID()]
		if !r.Adopted || r.Instance != sv.name {
			t.Errorf("call %s: adopted %v by %q, want adopted by %s", c.ChannelID(), r.Adopted, r.Instance, sv.name)
		}
	}
	if r := recs[bridged.ChannelID()]; r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1001" || r.EndedBy != "caller" {
		t.Errorf("bridged call: %s agent %q ended by %q (%s)", r.Outcome, r.AgentID, r.EndedBy, r.FailReason)
	}
	if tr := bridged.Transcript(); len(tr.BridgedWith) != 1 {
		t.Errorf("bridged call bridged with %v: want its one agent throughout", tr.BridgedWith)
	}
	if leg := lastLeg(t, aw.sim, ag1001); len(aw.sim.AgentReport(ag1001)) != 1 || leg.HungUpBy == "agent" {
		t.Errorf("agent 1001's leg %+v: want one leg, kept until the caller hung up", leg)
	}
	for _, c := range []*arisim.Call{ringing, prompt, gather} {
		if r := recs[c.ChannelID()]; r.Outcome != router.OutcomeAbandonedQueue {
			t.Errorf("call %s: outcome %s (%s), want abandoned_queue (hung up while waiting)", c.ChannelID(), r.Outcome, r.FailReason)
		}
	}
	if n := len(aw.sim.AgentReport(ag1002)); n < 2 {
		t.Errorf("1002 rang %d times: the adopter must offer the ringing call again", n)
	}
	for i, c := range []*arisim.Call{w1, w2} {
		r := recs[c.ChannelID()]
		if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1003" || r.EnqueuedAt == nil || !r.EnqueuedAt.Equal(firstEnq[c.ChannelID()]) {
			t.Errorf("w%d: %s agent %q enqueued %v (first %v): want answered by 1003, place kept", i+1, r.Outcome, r.AgentID, r.EnqueuedAt, firstEnq[c.ChannelID()])
		}
	}
	if a, b := recs[w1.ChannelID()].AgentAnsweredAt, recs[w2.ChannelID()].AgentAnsweredAt; a == nil || b == nil || !a.Before(*b) {
		t.Errorf("w1 answered %v, w2 %v: the queue order was lost", a, b)
	}
	if r := recs[wrapped.ChannelID()]; r.Outcome != router.OutcomeAgentAnswered || r.Instance != "fa" || r.AgentID != "1003" {
		t.Errorf("wrap-up call: %s by %q agent %q, want fa's record of 1003's call", r.Outcome, r.Instance, r.AgentID)
	}
	// Nobody was left in silence longer than the takeover needs: the lease
	// TTL, a few renewal periods and the resync (wall → sim time), with a
	// margin for a loaded machine.
	bound := time.Duration(float64(foLeaseTTL+3*foRenew+4*time.Second) / foScale)
	for _, c := range append(inFlight, wrapped) {
		if s := silenceAfter(c.Transcript(), killedAt); s > bound {
			t.Errorf("call %s: silent %v after the kill (bound %v)", c.ChannelID(), s, bound)
		}
	}
	for name, c := range map[string]*arisim.Call{"bridged": bridged, "ringing": ringing, "w1": w1, "w2": w2, "prompt": prompt, "gather": gather} {
		t.Logf("%s: longest silence after the kill %v (sim; bound %v)", name, silenceAfter(c.Transcript(), killedAt), bound)
	}
	if s := silenceAfter(gather.Transcript(), killedAt); s == 0 {
		t.Error("the gathering caller had no silence at all: the measure is broken")
	}

	// The survivor releases fa's application; fa (back) connects and takes
	// new calls.
	waitUntil(t, "returning fa connected and resynced", func() bool {
		return fa2.connected.Load() && fa2.own() != nil && fa2.own().Connected() && fa2.own().Resynced()
	})
	if ad.ActiveCalls() != 0 || len(sv.mgr.Adopting()) != 0 {
		t.Errorf("%s still adopting %v with %d calls", sv.name, sv.mgr.Adopting(), ad.ActiveCalls())
	}
	fresh := place(arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "0"), []arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.HangUp()})})
	r := aw.waitRecord(t, fresh.ChannelID())
	if r.Instance != "fa" || r.Adopted {
		t.Errorf("new call after the return: handled by %q adopted %v, want fa's own", r.Instance, r.Adopted)
	}
	if sv.mgr.Takeovers() != 1 || other.mgr.Takeovers() != 0 || fa2.mgr.Takeovers() != 0 {
		t.Errorf("takeovers: %s %d, %s %d, fa %d; want exactly one, by %s",
			sv.name, sv.mgr.Takeovers(), other.name, other.mgr.Takeovers(), fa2.mgr.Takeovers(), sv.name)
	}
}
