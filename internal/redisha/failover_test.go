package redisha_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation/importer"
)

// The failover tests drive what a call does with Redis, on two
// controllers sharing a private Sentinel setup (master, two replicas,
// three sentinels): the identification look-up (segmentation resolver),
// the queue (acd: enqueue, reservation scripts, offer confirmation,
// answered, ended, wrap-up) and the handling record (RecordWriter →
// StreamRecorder), while the master is SIGKILLed or failed over with
// SENTINEL FAILOVER. They check: every call ends with exactly one record in
// the stream; no agent is ever held for two calls at once; identification
// is degraded only around the failover, and each degraded look-up is
// counted in tenesa_segmentation_lookups_total{result="degraded"}.

// Sample callers (configs/sample/customers.csv): DES, DGS, DBS numbers.
var anis = []string{"+62 21 5551234", "0812-3456-7890", "(031) 5550188", "+62 811 3000 4411"}

const (
	pool     = "ha"
	nAgents  = 6
	nWorkers = 8
)

func TestSentinelMasterKilledUnderLoadLosesNoRecordAndDoublesNoAgent(t *testing.T) {
	failoverUnderLoad(t, "SIGKILL", func(s *redistest.Sentinel) *redistest.Server { return s.KillMaster() })
}

// A bare SENTINEL FAILOVER: the old master takes writes until it is
// demoted and loses them then (router/acd/doc.go, Redis failover); records
// are written again, lost calls queued again.
func TestSentinelBareFailoverUnderLoadLosesNoRecordAndDoublesNoAgent(t *testing.T) {
	failoverUnderLoad(t, "SENTINEL FAILOVER", func(s *redistest.Sentinel) *redistest.Server {
		old := s.Master()
		s.Failover()
		return old
	})
}

// A planned switch: writes paused on the master around SENTINEL FAILOVER
// (see redistest.Sentinel.PlannedFailover and the notes in
// router/acd/doc.go on the window a bare SENTINEL FAILOVER leaves).
func TestSentinelPlannedFailoverUnderLoadLosesNoRecordAndDoublesNoAgent(t *testing.T) {
	failoverUnderLoad(t, "SENTINEL FAILOVER, writes paused", func(s *redistest.Sentinel) *redistest.Server {
		return s.PlannedFailover(5*time.Second, time.Minute)
	})
}

// figures is what one run measured.
type figures struct {
	mu                sync.Mutex
	calls             atomic.Int64 // calls ended
	enqueueFailed     atomic.Int64
	offersUnconfirmed atomic.Int64
	answered          atomic.Int64
	doubleReserved    atomic.Int64
	degraded          atomic.Int64
	firstDeg, lastDeg time.Time
	endRefused        atomic.Int64
	busy              map[string]string
}

func (f *figures) degradedAt(t time.Time) {
	f.degraded.Add(1)
	f.mu.Lock()
	if f.firstDeg.IsZero() {
		f.firstDeg = t
	}
	f.lastDeg = t
	f.mu.Unlock()
}

// hold marks agent as ringing for call; false when it already is for
// another call (a double reservation).
func (f *figures) hold(agent, call string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if other, ok := f.busy[agent]; ok && other != call {
		return false
	}
	f.busy[agent] = call
	return true
}

func (f *figures) release(agent, call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy[agent] == call {
		delete(f.busy, agent)
	}
}

func failoverUnderLoad(t *testing.T, how string, failover func(*redistest.Sentinel) *redistest.Server) {
	s := redistest.StartSentinel(t, redistest.SentinelOptions{Replicas: 2, DownAfter: time.Second})
	rc := configs.Redis{Addr: s.Addrs(), MasterName: redistest.SentinelMaster, KeyPrefix: "tenesa:",
		DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second}
	client := func() redis.UniversalClient {
		c, err := seg.NewRedisClient(rc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Identification: the sample customers, a resolver with the default
	// budget (150 ms) and breaker, counted by the metrics.
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, nil)
	keys, err := seg.NewKeyspace(rc.KeyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := seg.NewRepository(client(), keys)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := seg.NewRules(redistest.SegmentationConfig())
	if err != nil {
		t.Fatal(err)
	}
	importSample(t, repo, rules)
	f := &figures{busy: map[string]string{}}
	o := seg.OptionsFromConfig(redistest.SegmentationConfig(), repo, rules, log)
	o.CacheTTL = time.Nanosecond // every look-up asks Redis, as for a caller not seen recently
	o.Observer = seg.ObserverFunc(func(k seg.LookupKind, r seg.LookupResult, d time.Duration) {
		m.Lookup(string(k), string(r), d)
	})
	res, err := seg.NewResolver(o)
	if err != nil {
		t.Fatal(err)
	}

	// Records: the writer and the stream, as serve wires them.
	stream := rc.KeyPrefix + "records"
	rw := router.NewRecordWriter(router.RecordWriterOptions{Sink: router.StreamRecorder{Client: client(), Key: stream},
		Log: log, Retry: 100 * time.Millisecond, BreakerCooldown: 500 * time.Millisecond})
	rwCtx, rwStop := context.WithCancel(context.Background())
	rwDone := make(chan struct{})
	go func() { rw.Run(rwCtx); close(rwDone) }()

	// Two controllers on one pool, each with its own client.
	q := acd.QueueConfig{Name: "general", Strategy: "longest_idle", ServiceLevel: 20 * time.Second,
		WrapUp: 50 * time.Millisecond, RingTimeout: 5 * time.Second}
	st := &acd.Settings{Queues: map[string]acd.QueueConfig{"general": q}, LoginAtStart: map[string]bool{}}
	var ctls []*acd.Service
	for _, inst := range []string{"ctl-a", "ctl-b"} {
		svc, err := acd.New(acd.Options{Client: client(), KeyPrefix: rc.KeyPrefix, Pool: pool, Instance: inst,
			Log: log, LeaseTTL: 30 * time.Second, FailoverWait: 20 * time.Second}, st)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(svc.Wait)
		ctls = append(ctls, svc)
	}
	for i := range nAgents {
		id := fmt.Sprintf("%d", 2001+i)
		if err := ctls[0].UpsertAgent(ctx, acd.Agent{ID: id, Name: "Agent " + id, Endpoint: "PJSIP/" + id,
			Role: acd.RoleAgent, Queues: []string{"general"}}); err != nil {
			t.Fatal(err)
		}
		if err := ctls[0].Login(ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	// The load: workers run calls back to back until told to stop.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var seq atomic.Int64
	var mu sync.Mutex
	var callIDs []string
	var recs []*router.Record
	for w := range nWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := ctls[w%2]
			for !stop.Load() {
				id := fmt.Sprintf("call-%s-%d", svc.Instance(), seq.Add(1))
				mu.Lock()
				callIDs = append(callIDs, id)
				mu.Unlock()
				r := oneCall(ctx, t, svc, res, f, id, anis[int(seq.Load())%len(anis)])
				mu.Lock()
				recs = append(recs, r)
				mu.Unlock()
				rw.Submit(r)
				f.calls.Add(1)
			}
		}()
	}

	waitCalls := func(n int64, what string) {
		redistest.WaitFor(t, what, 3*time.Minute, func() bool { return f.calls.Load() >= n })
	}
	waitCalls(40, "40 calls before the failover")
	start := time.Now()
	old := failover(s)
	nm := s.WaitNewMaster(old, time.Minute)
	promoted := time.Now()
	waitCalls(f.calls.Load()+40, "40 calls after the new master")
	stop.Store(true)
	wg.Wait()

	// Every record written, each call once.
	redistest.WaitFor(t, "every record written", time.Minute, func() bool { return rw.Pending() == 0 })
	rwStop()
	<-rwDone
	check := redis.NewClient(&redis.Options{Addr: nm.Addr})
	defer check.Close()
	entries, err := check.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range entries {
		id, _ := e.Values["call_id"].(string)
		count[id]++
	}
	lost, doubled := 0, 0
	for _, id := range callIDs {
		switch n := count[id]; {
		case n == 0:
			lost++
		case n > 1:
			doubled++
		}
	}
	if len(entries) != len(callIDs) {
		t.Errorf("%d records in the stream for %d calls", len(entries), len(callIDs))
	}
	if lost > 0 || doubled > 0 {
		t.Errorf("records: %d calls without one, %d with more than one", lost, doubled)
		for _, n := range s.Nodes {
			c := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
			l, err := c.XLen(context.Background(), stream).Result()
			role, _ := c.Do(context.Background(), "ROLE").Slice()
			c.Close()
			t.Logf("node %s: %d records (%v), role %v", n.Addr, l, err, role)
		}
	}
	if n := f.doubleReserved.Load(); n > 0 {
		t.Errorf("%d offers rang an agent already ringing or talking for another call", n)
	}
	if f.answered.Load() == 0 {
		t.Error("no call reached an agent")
	}
	degradedMetric := lookupCount(t, reg, "degraded") + lookupCount(t, reg, "breaker_open")
	if int64(degradedMetric) != f.degraded.Load() {
		t.Errorf("degraded look-ups counted %v, seen %d", degradedMetric, f.degraded.Load())
	}
	failoverTime := promoted.Sub(start)
	during := 0 // calls in progress at some time of the failover
	for _, r := range recs {
		if r.StartedAt.Before(promoted) && r.EndedAt.After(start) {
			during++
		}
	}
	f.mu.Lock()
	firstDeg, lastDeg := f.firstDeg, f.lastDeg
	f.mu.Unlock()
	var degSpan time.Duration
	if !lastDeg.IsZero() {
		degSpan = lastDeg.Sub(firstDeg)
		// degraded only around the failover: from the failure to the new
		// master, plus the breaker's cooldown (1 s) and one look-up budget
		// of slack for a loaded machine.
		if lastDeg.After(promoted.Add(3*time.Second)) || firstDeg.Before(start.Add(-3*time.Second)) {
			t.Errorf("identification degraded from %s to %s, the failover ran from %s to %s",
				firstDeg.Format(time.StampMilli), lastDeg.Format(time.StampMilli),
				start.Format(time.StampMilli), promoted.Format(time.StampMilli))
		}
	}
	t.Logf("FIGURES %s: failover %s (master %s → %s); calls %d (%d in progress during the failover), records %d, "+
		"lost %d, doubled %d; double reservations %d; answered by an agent %d; enqueue failed %d; "+
		"offers not confirmed (not rung) %d; ends refused (state lost) %d; degraded look-ups %d over %s",
		how, failoverTime.Round(time.Millisecond), old.Addr, nm.Addr, len(callIDs), during, len(entries),
		lost, doubled, f.doubleReserved.Load(), f.answered.Load(), f.enqueueFailed.Load(),
		f.offersUnconfirmed.Load(), f.endRefused.Load(), f.degraded.Load(), degSpan.Round(time.Millisecond))
}

// oneCall is one call's life against Redis, as the call goroutine of the
// flow lives it: identify, queue, ring the confirmed offer, talk, end; it
// returns the handling record.
func oneCall(ctx context.Context, t *testing.T, svc *acd.Service, res *seg.Resolver, f *figures, id, ani string) *router.Record {
	r := &router.Record{CallID: id, Instance: svc.Instance(), StartedAt: time.Now()}
	lk, err := res.ByANI(ctx, ani)
	if err != nil {
		t.Errorf("look-up %s: %v", id, err)
	}
	if lk.Degraded {
		f.degradedAt(time.Now())
		r.Degraded = true
	}
	defer func() { r.EndedAt = time.Now() }()
	w, err := svc.Enqueue(ctx, acd.CallEntry{CallID: id, Queue: "general", Priority: 1})
	if err != nil {
		f.enqueueFailed.Add(1)
		r.Outcome, r.FailReason = router.OutcomeFailed, "enqueue failed: "+err.Error()
		return r
	}
	defer w.Close()
	r.Queue = "general"
	limit := time.NewTimer(2 * time.Minute)
	defer limit.Stop()
	for {
		var n acd.Notice
		select {
		case n = <-w.Notices():
		case <-limit.C:
			t.Errorf("call %s: no agent within 2 minutes", id)
			bg, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_ = svc.Abandoned(bg, id)
			cancel()
			r.Outcome = router.OutcomeAbandonedQueue
			return r
		}
		if n.Kind != acd.NoticeOffer || n.Offer == nil {
			continue
		}
		if err := svc.ConfirmOffer(ctx, n); err != nil {
			f.offersUnconfirmed.Add(1)
			continue
		}
		agent := n.Offer.Agents[0].ID
		if !f.hold(agent, id) {
			f.doubleReserved.Add(1)
			t.Errorf("agent %s offered for %s while held for another call", agent, id)
			continue
		}
		if err := svc.Answered(ctx, id, agent); err != nil {
			f.release(agent, id)
			t.Logf("call %s: answered by %s refused: %v", id, agent, err)
			continue
		}
		f.answered.Add(1)
		r.AgentID, r.Outcome = agent, router.OutcomeAgentAnswered
		f.release(agent, id)
		if err := svc.Ended(ctx, id, acd.PartyCaller); err != nil {
			// the answer was lost with the old master (a bare SENTINEL
			// FAILOVER's window): the record is still written
			f.endRefused.Add(1)
			t.Logf("call %s: ended: %v", id, err)
		}
		return r
	}
}

func importSample(t *testing.T, repo *seg.Repository, rules *seg.Rules) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "configs", "sample", "customers.csv")
	im, err := importer.New(importer.Options{Repository: repo, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := im.Customers(context.Background(), importer.Source{R: fh, Format: importer.FormatOf(path)}); err != nil {
		t.Fatal(err)
	}
}

func lookupCount(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "tenesa_segmentation_lookups_total" {
			continue
		}
		for _, mt := range mf.Metric {
			for _, l := range mt.Label {
				if l.GetName() == "result" && l.GetValue() == result {
					sum += mt.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
