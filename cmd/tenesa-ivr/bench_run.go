package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation/importer"
)

// The bench's callers and agents: DES customers of Jakarta whose number
// is known, each a different one, who choose 1 (complaint) then 1 (data &
// internet) and wait in enterprise-data; agents serving that queue.
const (
	benchQueue = "enterprise-data"
	// benchMemProfile is runtime.MemProfileRate while the callers are
	// placed on hold: fine enough to attribute their heap. Only then: the
	// stack walk of each sample costs CPU the latency phases must not pay.
	benchMemProfile = 64 << 10
)

// holdStall is how long the hold phase waits without a caller reaching
// the queue (or leaving) before it measures what is held.
const holdStall = 30 * time.Second

var benchSkills = []string{"segment:DES", "product:data_internet", "lang:id"}

func benchNumber(i int) string   { return fmt.Sprintf("0215%07d", i) }
func benchAgentID(i int) string  { return fmt.Sprintf("bench-%04d", i) }
func benchEndpoint(i int) string { return fmt.Sprintf("PJSIP/bench%04d", i) }

// bench is one run: the simulator, the controller on it, and what the
// probe saw.
type bench struct {
	o        benchOptions
	cfg      *configs.Config
	sim      *arisim.Server
	app      *controllerApp
	svc      *acd.Service
	probe    *benchProbe
	redisLog *redisCounter
	progress io.Writer
	next     int // next customer number
	simUser  string
	simPass  string
}

// runBench runs every phase and returns the figures. Everything it
// created in Redis (under a private prefix) is deleted before it returns.
func runBench(ctx context.Context, cfg *configs.Config, o benchOptions, log zerolog.Logger, progress io.Writer) (res *benchResult, err error) {
	start := time.Now()
	b := &bench{o: o, cfg: cfg, probe: newBenchProbe(), redisLog: &redisCounter{}, progress: progress,
		simUser: "tenesa-bench", simPass: randomHex(12)}
	b.configure()
	defer func() {
		if cerr := deletePrefix(cfg.Redis, cfg.Redis.KeyPrefix); cerr != nil {
			err = errors.Join(err, fmt.Errorf("clean-up of Redis keys %s*: %w", cfg.Redis.KeyPrefix, cerr))
		}
	}()
	b.say("loading %d customers into Redis %s under %s", o.Probes+2*o.Calls+o.Hold, cfg.Redis.Addr, cfg.Redis.KeyPrefix)
	if err := loadBenchCustomers(ctx, cfg, o.Probes+2*o.Calls+o.Hold); err != nil {
		return nil, err
	}

	durations, err := promptDurations()
	if err != nil {
		return nil, err
	}
	b.sim = arisim.New(arisim.Options{Username: b.simUser, Password: b.simPass, TimeScale: o.TimeScale,
		PromptDurations: durations, Hooks: b.probe.hooks()})
	if err := b.sim.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	defer b.sim.Close()
	for i := range o.Agents {
		b.sim.AddAgent(arisim.Agent{Endpoint: benchEndpoint(i), AnswerAfter: 2 * time.Second})
	}
	cfg.ARI.URL, cfg.ARI.WebsocketURL = b.sim.URL(), b.sim.WebsocketURL()
	cfg.ARI.Username, cfg.ARI.Password = b.simUser, b.simPass

	// The controller, wired as serve wires it (without its HTTP endpoints,
	// signal handling and reload watcher).
	if b.app, err = newControllerApp(cfg, log); err != nil {
		return nil, err
	}
	defer b.app.close()
	b.app.redis.AddHook(b.redisLog)
	defer b.app.runRecords()()
	agents, err := b.app.startAgents(ctx)
	if err != nil {
		return nil, err
	}
	defer agents.close()
	b.svc = agents.svc
	b.app.queue = b.app.useACD(agents.svc)
	defer b.app.queue.close()
	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- b.app.ctl.Run(runCtx, b.app.flow.Handle) }()
	go func() { _ = b.app.resolver.Run(runCtx) }()
	defer func() {
		stopRun()
		if rerr := <-runDone; rerr != nil && !errors.Is(rerr, context.Canceled) {
			err = errors.Join(err, rerr)
		}
	}()
	if err := benchWait(ctx, time.Millisecond, b.app.ctl.Connected); err != nil {
		return nil, fmt.Errorf("controller did not connect to the simulator: %w", err)
	}
	// agents log in and pause while no call waits: each is made ready in
	// the dispatch phase
	for i := range o.Agents {
		if err := b.svc.Login(ctx, benchAgentID(i)); err != nil {
			return nil, fmt.Errorf("agent %s login: %w", benchAgentID(i), err)
		}
		if err := b.svc.Pause(ctx, benchAgentID(i), "bench"); err != nil {
			return nil, fmt.Errorf("agent %s pause: %w", benchAgentID(i), err)
		}
	}

	stopCPU, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, stopCPU()) }()

	res = &benchResult{Calls: o.Calls, Concurrency: o.Concurrency, RateOffered: o.Rate, TimeScale: o.TimeScale,
		CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Start: start}
	for _, phase := range []func(context.Context, *benchResult) error{
		b.floor, b.countSetup, b.setupUnderLoad, b.holdAndDispatch,
	} {
		if err := phase(ctx, res); err != nil {
			return nil, err
		}
	}
	res.ANILookups = aniLookups(b.app.reg)
	res.LoadAvg = loadAvg()
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// configure gives the run its own Redis prefix and its own agents, and
// turns off what a bench does not measure (HTTP endpoints, the look-up
// cache hits of a repeated number: every caller is another customer).
func (b *bench) configure() {
	c := b.cfg
	c.Redis.Addr = b.o.Redis
	c.Redis.KeyPrefix += "bench:" + randomHex(6) + ":"
	c.Metrics.Listen, c.AgentAPI.Listen = "", ""
	c.Agents = nil
	for i := range b.o.Agents {
		c.Agents = append(c.Agents, configs.Agent{ID: benchAgentID(i), Name: "Bench " + benchAgentID(i),
			Endpoint: benchEndpoint(i), Role: "agent", Skills: benchSkills, Queues: []string{benchQueue}})
	}
	// held callers wait for as long as the run takes
	c.ACD.QueueDefaults.MaxWait = 24 * time.Hour
}

func (b *bench) say(format string, args ...any) {
	fmt.Fprintf(b.progress, "bench: "+format+"\n", args...)
}

// floor times one trivial ARI request and one Redis PING, one at a time.
func (b *bench) floor(ctx context.Context, res *benchResult) error {
	b.say("floor: %d ARI pings and %d Redis PINGs", b.o.Pings, b.o.Pings)
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	ping := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.sim.URL()+"/asterisk/ping", nil)
		if err != nil {
			return err
		}
		req.SetBasicAuth(b.simUser, b.simPass)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("ARI ping: %s", resp.Status)
		}
		return nil
	}
	ari, err := timeEach(b.o.Pings, ping)
	if err != nil {
		return fmt.Errorf("floor, ARI ping: %w", err)
	}
	rp, err := timeEach(b.o.Pings, func() error { return b.app.redis.Ping(ctx).Err() })
	if err != nil {
		return fmt.Errorf("floor, Redis PING: %w", err)
	}
	res.ARIRTTP50ms, res.ARIRTTP99ms = ms(percentile(ari, 0.50)), ms(percentile(ari, 0.99))
	res.RedisRTTP50ms, res.RedisRTTP99ms = ms(percentile(rp, 0.50)), ms(percentile(rp, 0.99))
	return nil
}

// timeEach runs f n times after a few warm-up runs and returns the
// sorted durations.
func timeEach(n int, f func() error) ([]time.Duration, error) {
	for range min(n, 20) {
		if err := f(); err != nil {
			return nil, err
		}
	}
	out := make([]time.Duration, 0, n)
	for range n {
		t := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t))
	}
	slices.Sort(out)
	return out, nil
}

// countSetup sets calls up one at a time and counts, for each, the ARI
// requests the simulator received and the Redis commands the controller
// sent between the StasisStart and the greeting's play request (both
// included): the median of each is what one set-up needs.
func (b *bench) countSetup(ctx context.Context, res *benchResult) error {
	b.say("counting the requests of a set-up on %d calls, one at a time", b.o.Probes)
	type count struct {
		ari, redis []string
	}
	var counts []count
	var lat []time.Duration
	b.probe.recordRequests(true)
	b.redisLog.on.Store(true)
	for range b.o.Probes {
		b.probe.clearRequests()
		b.redisLog.clear()
		c, err := b.sim.PlaceCall(b.greetingCaller())
		if err != nil {
			return err
		}
		if err := benchWaitDone(ctx, c); err != nil {
			return err
		}
		id := c.ChannelID()
		st, gr, ok := b.probe.setup(id)
		if ok {
			lat = append(lat, gr.Sub(st))
			counts = append(counts, count{b.probe.requestsBetween(st, gr), b.redisLog.between(st, gr)})
		} else {
			b.say("probe call %s not counted: StasisStart written %v, greeting requested %v (zero: not seen); heard %v",
				id, st, gr, c.Transcript().Heard)
		}
		if err := benchWait(ctx, time.Millisecond, func() bool { return b.app.ctl.ActiveCalls() == 0 }); err != nil {
			return err
		}
	}
	b.probe.recordRequests(false)
	b.redisLog.on.Store(false)
	if len(counts) == 0 {
		return fmt.Errorf("none of the %d probe calls was set up", b.o.Probes)
	}
	slices.SortFunc(counts, func(x, y count) int { return len(x.ari) + len(x.redis) - len(y.ari) - len(y.redis) })
	med := counts[len(counts)/2]
	res.ARIPerSetup, res.RedisPerSetup = len(med.ari), len(med.redis)
	res.SetupRequests, res.SetupRedis = med.ari, med.redis
	slices.Sort(lat)
	res.SetupIdleP50ms, res.SetupIdleP99ms = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99))
	res.FloorMs = float64(res.ARIPerSetup)*res.ARIRTTP50ms + float64(res.RedisPerSetup)*res.RedisRTTP50ms
	return nil
}

// greetingCaller is a new customer who hangs up as soon as the greeting
// starts: a set-up call lives for its set-up and tear-down only, so the
// set-ups per second at a concurrency measure the controller, not the
// greeting's length.
func (b *bench) greetingCaller() arisim.Caller {
	b.next++
	return arisim.Caller{Number: benchNumber(b.next),
		Script: []arisim.Step{arisim.WaitForPrompt("greeting"), arisim.HangUp()}}
}

// heldCaller is a new customer who goes through the menu to the queue
// and stays.
func (b *bench) heldCaller() arisim.Caller {
	b.next++
	return arisim.Caller{Number: benchNumber(b.next), Script: []arisim.Step{
		arisim.WaitForPrompt("menu-main"), arisim.Press("1"),
		arisim.WaitForPrompt("menu-complaint-product"), arisim.Press("1")}}
}

// setupUnderLoad places --calls greeting calls at --rate (at most
// --concurrency in flight), then as many unpaced.
func (b *bench) setupUnderLoad(ctx context.Context, res *benchResult) error {
	b.say("set-up: %d calls at %g/s offered, at most %d in flight", b.o.Calls, b.o.Rate, b.o.Concurrency)
	s, err := b.setupRun(ctx, b.o.Rate)
	if err != nil {
		return err
	}
	res.SetupP50ms, res.SetupP99ms = ms(percentile(s.lat, 0.50)), ms(percentile(s.lat, 0.99))
	res.SetupsPerSec, res.SetupFailed, res.PeakInFlight = s.perSec, s.failed, s.peak
	if res.FloorMs > 0 {
		res.SetupP50OverFlr, res.SetupP99OverFlr = res.SetupP50ms/res.FloorMs, res.SetupP99ms/res.FloorMs
	}
	b.say("set-up: %d calls unpaced, at most %d in flight", b.o.Calls, b.o.Concurrency)
	if s, err = b.setupRun(ctx, 0); err != nil {
		return err
	}
	res.MaxSetupP50ms, res.MaxSetupP99ms = ms(percentile(s.lat, 0.50)), ms(percentile(s.lat, 0.99))
	res.MaxSetupsPerSec, res.MaxSetupFailed = s.perSec, s.failed
	res.PeakInFlight = max(res.PeakInFlight, s.peak)
	return benchWait(ctx, time.Millisecond, func() bool { return b.app.ctl.ActiveCalls() == 0 })
}

type setupStats struct {
	lat    []time.Duration // sorted
	failed int
	perSec float64 // set-ups per second, first StasisStart to last greeting request
	peak   int     // most calls in flight
}

func (b *bench) setupRun(ctx context.Context, rate float64) (setupStats, error) {
	sem := make(chan struct{}, b.o.Concurrency)
	var wg sync.WaitGroup
	calls := make([]*arisim.Call, 0, b.o.Calls)
	begin := time.Now()
	var st setupStats
	var mu sync.Mutex
	inFlight := 0
	for i := range b.o.Calls {
		if err := pace(ctx, begin, i, rate); err != nil {
			return st, err
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return st, ctx.Err()
		}
		c, err := b.sim.PlaceCall(b.greetingCaller())
		if err != nil {
			return st, err
		}
		mu.Lock()
		inFlight++
		st.peak = max(st.peak, inFlight)
		mu.Unlock()
		calls = append(calls, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-c.Done():
			case <-ctx.Done():
			}
			mu.Lock()
			inFlight--
			mu.Unlock()
			<-sem
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return st, err
	}
	var first, last time.Time
	for _, c := range calls {
		s, g, ok := b.probe.setup(c.ChannelID())
		if !ok {
			if st.failed == 0 {
				r := c.Transcript()
				b.say("call %s not set up (no StasisStart or no greeting requested after it): hung up by %q, heard %v",
					c.ChannelID(), r.HungUpBy, r.Heard)
			}
			st.failed++
			continue
		}
		st.lat = append(st.lat, g.Sub(s))
		if first.IsZero() || s.Before(first) {
			first = s
		}
		if g.After(last) {
			last = g
		}
	}
	slices.Sort(st.lat)
	if d := last.Sub(first); d > 0 {
		st.perSec = float64(len(st.lat)) / d.Seconds()
	}
	if len(st.lat) == 0 {
		return st, errors.New("no call was set up")
	}
	return st, nil
}

// pace waits until call i is due at rate calls per second from begin.
func pace(ctx context.Context, begin time.Time, i int, rate float64) error {
	if rate <= 0 {
		return ctx.Err()
	}
	d := time.Until(begin.Add(time.Duration(float64(i) / rate * float64(time.Second))))
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// holdAndDispatch places --hold callers who wait in the queue with music
// on hold, measures the heap they take, then readies --agents agents one
// at a time and times each dispatch; at the end every caller hangs up.
func (b *bench) holdAndDispatch(ctx context.Context, res *benchResult) error {
	defaultRate := runtime.MemProfileRate
	runtime.MemProfileRate = benchMemProfile
	defer func() { runtime.MemProfileRate = defaultRate }()
	base := takeHeap()
	b.say("hold: %d callers into queue %s at %g/s", b.o.Hold, benchQueue, b.o.HoldRate)
	calls := make([]*arisim.Call, 0, b.o.Hold)
	defer func() {
		for _, c := range calls {
			c.HangUp()
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := benchWait(wctx, 10*time.Millisecond, func() bool { return b.app.ctl.ActiveCalls() == 0 }); err != nil {
			b.say("%d calls still active after the hang-ups", b.app.ctl.ActiveCalls())
		}
	}()
	begin := time.Now()
	for i := range b.o.Hold {
		if err := pace(ctx, begin, i, b.o.HoldRate); err != nil {
			return err
		}
		c, err := b.sim.PlaceCall(b.heldCaller())
		if err != nil {
			return err
		}
		calls = append(calls, c)
	}
	res.HoldPlaced = len(calls)
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c.ChannelID()
	}
	// every caller is on hold, or gone (the controller ended its call)
	settled := func() (held, gone int) {
		for i, c := range calls {
			select {
			case <-c.Done():
				gone++
			default:
				if b.probe.onHold(ids[i:i+1]) == 1 {
					held++
				}
			}
		}
		return held, gone
	}
	// An overloaded controller may leave callers in the IVR: without
	// progress for holdStall, what is held is measured as it is.
	lastN, lastAt := -1, time.Now()
	err := benchWait(ctx, 50*time.Millisecond, func() bool {
		h, g := settled()
		if h+g != lastN {
			lastN, lastAt = h+g, time.Now()
		}
		if time.Since(lastAt) > holdStall {
			b.say("no progress for %s: %d held, %d gone, %d still in the IVR", holdStall, h, g, len(calls)-h-g)
			return true
		}
		return h+g == len(calls)
	})
	if err != nil {
		h, g := settled()
		return fmt.Errorf("waiting for %d callers on hold (%d held, %d gone): %w", len(ids), h, g, err)
	}
	if d := b.probe.lastHoldAt(ids).Sub(begin); d > 0 {
		res.HoldSetupsPerSec = float64(len(ids)) / d.Seconds()
	}
	held := takeHeap()
	gone := 0
	for _, c := range calls {
		select {
		case <-c.Done():
			if gone++; gone <= 3 {
				r := c.Transcript()
				b.say("call %s ended before it was held: hung up by %q, heard %v", c.ChannelID(), r.HungUpBy, r.Heard)
			}
		default:
			if c.Transcript().MusicOnHold {
				res.Held++
			}
		}
	}
	res.HeldActiveCalls = b.app.ctl.ActiveCalls()
	if res.Held == 0 {
		return errors.New("no caller was held")
	}
	n := int64(res.Held) // the calls the heap holds
	all, sim, harness := held.growthSince(base)
	res.HeapPerCallWithSim, res.SimHeapPerCall = all/n, sim/n
	res.HeapPerCall = (all - sim - harness) / n
	res.StackPerCall = (held.stack - base.stack) / n
	res.GoroutinesPerCall = float64(held.goroutines-base.goroutines) / float64(n)
	if b.o.MemProfile != "" {
		if err := writeHeapProfile(b.o.MemProfile); err != nil {
			return err
		}
	}
	runtime.MemProfileRate = defaultRate
	if res.Held != len(calls) {
		b.say("only %d of %d callers held", res.Held, len(calls))
	}
	return b.dispatch(ctx, res)
}

// dispatch readies one paused agent at a time while calls wait and times
// Ready → the simulator receiving the originate of its endpoint.
func (b *bench) dispatch(ctx context.Context, res *benchResult) error {
	b.say("dispatch: %d agents made ready one at a time, %d calls waiting", b.o.Agents, res.Held)
	var lat []time.Duration
	for i := range b.o.Agents {
		ep := benchEndpoint(i)
		t := time.Now()
		if err := b.svc.Ready(ctx, benchAgentID(i)); err != nil {
			return fmt.Errorf("agent %s ready: %w", benchAgentID(i), err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := benchWait(wctx, 100*time.Microsecond, func() bool { _, ok := b.probe.originated(ep); return ok })
		cancel()
		if at, ok := b.probe.originated(ep); ok && err == nil {
			lat = append(lat, at.Sub(t))
		} else {
			res.DispatchFailed++
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	slices.Sort(lat)
	res.Dispatches = len(lat)
	res.DispatchP50ms, res.DispatchP99ms = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99))
	return nil
}

// benchWait polls cond every interval until it holds or ctx ends.
func benchWait(ctx context.Context, interval time.Duration, cond func() bool) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func benchWaitDone(ctx context.Context, c *arisim.Call) error {
	select {
	case <-c.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("call %s did not end: %w", c.ChannelID(), ctx.Err())
	}
}

// loadBenchCustomers imports n DES customers (benchNumber(1..n)) under the
// run's prefix, with one resolved ticket and one incident that concern none of the calls
// (an import refuses an empty dataset).
func loadBenchCustomers(ctx context.Context, cfg *configs.Config, n int) error {
	stack, err := segmentation.NewStack(cfg.Redis, cfg.Segmentation)
	if err != nil {
		return err
	}
	defer stack.Close()
	im, err := importer.New(importer.Options{Repository: stack.Repo, Rules: stack.Rules})
	if err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("customer_id,name,segment,tier,language,region,products,phones,service_ids,account_manager\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&sb, "BENCH-%07d,PT Bench %d,DES,gold,id,jakarta,data_internet,+62215%07d,4703%08d,Bench AM\n", i, i, i, i)
	}
	if _, err := im.Customers(ctx, importer.Source{R: strings.NewReader(sb.String()), Format: importer.FormatCSV}); err != nil {
		return fmt.Errorf("bench customers: %w", err)
	}
	if _, err := im.Tickets(ctx, importer.Source{R: strings.NewReader("service_id,ticket_id,status,updated_at,eta\n470300000001,IN999999901,resolved,2026-11-27T08:15:00+07:00,\n"), Format: importer.FormatCSV}); err != nil {
		return fmt.Errorf("bench tickets: %w", err)
	}
	if _, err := im.Incidents(ctx, importer.Source{R: strings.NewReader("product,region,prompt,started_at,expected_end\nwifi_id,makassar,incident-generic,2026-11-27T05:40:00+08:00,\n"), Format: importer.FormatCSV}); err != nil {
		return fmt.Errorf("bench incidents: %w", err)
	}
	return nil
}

// deletePrefix deletes every key under prefix (the run's own prefix only).
func deletePrefix(rc configs.Redis, prefix string) error {
	if !strings.Contains(prefix, "bench:") {
		return fmt.Errorf("refusing to delete keys under %q: not a bench prefix", prefix)
	}
	client, err := segmentation.NewRedisClient(rc)
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return scanDelete(ctx, client, prefix)
}

func scanDelete(ctx context.Context, c redis.UniversalClient, prefix string) error {
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.Unlink(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	return flush()
}
