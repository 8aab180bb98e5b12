package flow_test

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/deployments/asterisk/sounds"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/flow"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation/importer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Test data: realistic customers of each kind the flow treats differently.
const customersCSV = `customer_id,name,segment,tier,language,region,products,phones,service_ids,account_manager
DES-T1,PT Uji Nusantara,DES,gold,id,jakarta,data_internet;indihome,+62 21 5550001,470300000001,Rini Kartika
DES-EN,PT Global Partners Indonesia,DES,silver,en,jakarta,telephony,+62 21 5550002,470300000002,Rini Kartika
CONS-1,Budi Santoso,CONSUMER,regular,id,bandung,indihome,0812-7770-0003,470300000003,
DGS-J,Dinas Kominfo Papua,DGS,silver,id,jayapura,data_internet,+62 967 550004,470300000004,Yohanes Kareth
DBS-M,CV Makassar Jaya,DBS,gold,id,makassar,wifi_id,0411 550005,470300000005,Andi Rahmat
DES-P,PT Bank Platinum,DES,platinum,id,jakarta,data_internet,+62 21 5550006,470300000006,Rini Kartika
`

const ticketsCSV = `service_id,ticket_id,status,updated_at,eta
470300000001,IN100234501,in_progress,2026-11-27T08:15:00+07:00,2026-11-27T14:00:00+07:00
470300000006,IN100999906,resolved,2026-11-27T09:00:00+07:00,
`

const incidentsCSV = `product,region,prompt,started_at,expected_end
wifi_id,makassar,incident-generic,2026-11-27T05:40:00+08:00,2026-11-27T17:00:00+08:00
`

// Numbers of the test customers as the PBX hands them over.
const (
	aniDES       = "0215550001"
	aniEnglish   = "+62215550002"
	aniConsumer  = "6281277700003"
	aniJayapura  = "+62967550004"
	aniIncident  = "0411550005"
	aniPlatinum  = "+62215550006"
	aniUnknown   = "+62215559999"
	sidDES       = "470300000001"
	sidNoTicket  = "470300000002"
	sidPlatinum  = "470300000006" // DES-P's, with an open ticket: a stranger's for every other caller
	agentEP      = "PJSIP/agent1001"
	testTimeUTC  = "2026-11-27T03:00:00Z" // 10:00 WIB (pagi), 11:00 WITA, 12:00 WIT
	simTimeScale = 0.02
)

// world is one isolated test world: a simulated Asterisk, the controller
// running the flow, real Redis under a fresh prefix.
type world struct {
	t         testing.TB
	sim       *arisim.Server
	ctl       *ari.Controller
	flow      *flow.Flow
	cfg       *configs.Config
	mu        sync.Mutex
	records   map[string]*router.Record
	notify    chan struct{}   // closed and replaced on every record
	bridged   map[string]bool // calls the flow has bridged with an agent
	ctlOpts   ari.Options
	ctlStop   func() // stops the running controller and waits for its calls
	beforeRun func(ctl *ari.Controller)
	clock     *atomic.Int64 // the flow's wall clock (UnixNano)

	rdb      *redis.Client // the test Redis (customer data, hand-overs)
	handover router.RedisHandover
	writer   *router.RecordWriter
	writes   writeCounter
	stream   string // records stream key, with worldOpts.recordsTo
}

// writeCounter counts the record writer's attempts (a router.RecordObserver).
type writeCounter struct{ ok, failed, dropped atomic.Int64 }

func (c *writeCounter) RecordWritten(err error) {
	if err != nil {
		c.failed.Add(1)
		return
	}
	c.ok.Add(1)
}

func (c *writeCounter) RecordDropped() { c.dropped.Add(1) }

// teeObserver tells the test's counter and the metrics (as serve does).
type teeObserver struct {
	c *writeCounter
	m *metrics.Metrics
}

func (o teeObserver) RecordWritten(err error) { o.c.RecordWritten(err); o.m.RecordWritten(err) }
func (o teeObserver) RecordDropped()          { o.c.RecordDropped(); o.m.RecordDropped() }

// startController runs a controller with the flow against the simulator.
func (w *world) startController(t testing.TB) {
	t.Helper()
	ctl, err := ari.NewController(w.ctlOpts)
	if err != nil {
		t.Fatal(err)
	}
	if w.beforeRun != nil {
		w.beforeRun(ctl)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctl.Run(ctx, w.flow.Handle) }()
	w.ctl = ctl
	w.ctlStop = func() { cancel(); <-done }
	waitUntil(t, "controller connected", ctl.Connected)
}

func (w *world) stopController() {
	if w.ctlStop != nil {
		w.ctlStop()
		w.ctlStop = nil
	}
}

// restartController stops the controller (as on SIGTERM past the grace) and
// starts a new one, as a restarted process would.
func (w *world) restartController(t testing.TB) {
	w.stopController()
	w.startController(t)
}

// waitUntil polls cond (a condition on the simulator or controller) until it
// holds or 10s pass.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitRecord waits for the handling record of a call.
func (w *world) waitRecord(t testing.TB, callID string) *router.Record {
	t.Helper()
	var r *router.Record
	waitUntil(t, "handling record of "+callID, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		r = w.records[callID]
		return r != nil
	})
	return r
}

// isBridged reports whether the flow has bridged the call with an agent.
func (w *world) isBridged(callID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bridged[callID]
}

// setNow sets the flow's clock (greeting bands).
func (w *world) setNow(t time.Time) { w.clock.Store(t.UnixNano()) }

type worldOpts struct {
	redisAddr string    // "" = the test Redis; a dead address = Redis down
	now       time.Time // the flow's clock; zero = testTimeUTC
	noData    bool
	agent     *arisim.Agent // nil: an agent that answers after 1s
	tweak     func(*configs.Config)
	logTo     io.Writer // every log line of the flow and the controller (nil: TENESA_TEST_LOG)
	timeScale float64   // 0: simTimeScale
	// recordsTo: records are written to the stream <prefix>records through
	// this client (e.g. one behind a redistest.Proxy) before the test sees them
	recordsTo *redis.Client
	// teardown is the flow's TeardownTimeout (0: its default)
	teardown time.Duration
	// customers, if set, wraps the look-up port the flow uses; plans is the
	// Holder the flow takes its plans from.
	customers func(inner flow.Customers, plans *plan.Holder) flow.Customers
	// metrics: the flow's and the controller's metrics (nil: none)
	metrics *metrics.Metrics
	// handoff, if set, builds the flow's queueing side (default: DirectHandoff)
	handoff func(w *world, log zerolog.Logger) flow.Handoff
	// beforeRun is called with each controller before it runs (e.g. to
	// watch the agents' endpoints)
	beforeRun func(ctl *ari.Controller)
	// durations, if set, changes the simulated prompts' lengths (sim time,
	// by media URI "sound:tenesa/id/…")
	durations func(map[string]time.Duration)
}

func newWorld(t testing.TB, o worldOpts) *world {
	t.Helper()
	log := testLog(t)
	if o.logTo != nil {
		log = zerolog.New(o.logTo)
	}
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	prefix := redistest.Prefix(t)
	cfg.Redis.KeyPrefix = prefix
	cfg.IVR.FirstDigitTimeout = 400 * time.Millisecond
	cfg.IVR.InterDigitTimeout = 300 * time.Millisecond
	cfg.Handoff.RingTimeout = 3 * time.Second
	if o.tweak != nil {
		o.tweak(cfg)
	}
	prompts, err := manifest.PromptIDs()
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Compile(cfg, prompts)
	if err != nil {
		t.Fatal(err)
	}

	rules := p.Segments // the resolver decides with the plan's rules, as in serve
	keys, err := seg.NewKeyspace(prefix)
	if err != nil {
		t.Fatal(err)
	}
	var rdb *redis.Client
	if o.redisAddr == "" {
		rdb = redistest.Client(t)
	} else {
		rdb = redistest.Client(t, o.redisAddr)
	}
	repo, err := seg.NewRepository(rdb, keys)
	if err != nil {
		t.Fatal(err)
	}
	if !o.noData && o.redisAddr == "" {
		im, err := importer.New(importer.Options{Repository: repo, Rules: rules})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, imp := range []struct {
			run func(context.Context, importer.Source) (importer.Summary, error)
			csv string
		}{{im.Customers, customersCSV}, {im.Tickets, ticketsCSV}, {im.Incidents, incidentsCSV}} {
			sum, err := imp.run(ctx, importer.Source{R: strings.NewReader(imp.csv), Format: importer.FormatCSV})
			if err != nil || sum.Bad > 0 {
				t.Fatalf("import: %v (%s)", err, sum)
			}
		}
	}
	res, err := seg.NewResolver(seg.OptionsFromConfig(cfg.Segmentation, repo, rules, zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}

	durations, err := sounds.Durations()
	if err != nil {
		t.Fatal(err)
	}
	sd := make(map[string]time.Duration, len(durations))
	for k, v := range durations {
		sd["sound:"+k] = v
	}
	if o.durations != nil {
		o.durations(sd)
	}
	scale := o.timeScale
	if scale == 0 {
		scale = simTimeScale
	}
	sim := arisim.New(arisim.Options{Username: "tenesa", Password: "test", TimeScale: scale, PromptDurations: sd,
		Logger: testLog(t).With().Str("component", "arisim").Logger()}) // the simulator is the outside world: not in logTo
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	agent := arisim.Agent{Endpoint: agentEP, AnswerAfter: time.Second}
	if o.agent != nil {
		agent = *o.agent
	}
	sim.AddAgent(agent)

	now := o.now
	if now.IsZero() {
		now, _ = time.Parse(time.RFC3339, testTimeUTC)
	}
	clock := &atomic.Int64{}
	clock.Store(now.UnixNano())
	zones, err := router.LoadZones()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, sim: sim, cfg: cfg, clock: clock, records: map[string]*router.Record{}, notify: make(chan struct{}), bridged: map[string]bool{},
		rdb: rdb, handover: router.RedisHandover{Client: rdb, Prefix: prefix + "handover:", Grace: 5 * time.Minute}}
	plans := plan.NewHolder(p)
	var customers flow.Customers = res
	if o.customers != nil {
		customers = o.customers(res, plans)
	}
	w.flow = &flow.Flow{
		Instance: cfg.Instance, Plans: plans, Customers: customers, Zones: zones,
		Handoff: flow.DirectHandoff{Log: log, OnBridged: func(callID, _ string) {
			w.mu.Lock()
			w.bridged[callID] = true
			w.mu.Unlock()
		}},
		Handover:        w.handover,
		Metrics:         o.metrics,
		TeardownTimeout: o.teardown,
		Log:             log,
		Now:             func() time.Time { return time.Unix(0, clock.Load()) },
	}
	if o.handoff != nil {
		w.flow.Handoff = o.handoff(w, log)
	}
	w.beforeRun = o.beforeRun
	// Records go through the production writer; the test sees a record once
	// its sink took it (and the stream, when the test has one, first).
	capture := func(_ context.Context, r *router.Record) error {
		w.mu.Lock()
		if _, dup := w.records[r.CallID]; dup {
			t.Errorf("second handling record for call %s", r.CallID)
		}
		w.records[r.CallID] = r
		close(w.notify)
		w.notify = make(chan struct{})
		w.mu.Unlock()
		return nil
	}
	sink := router.Recorder(router.RecorderFunc(capture))
	if o.recordsTo != nil {
		stream := router.StreamRecorder{Client: o.recordsTo, Key: prefix + "records"}
		w.stream = stream.Key
		sink = router.RecorderFunc(func(ctx context.Context, r *router.Record) error {
			if err := stream.Write(ctx, r); err != nil {
				return err
			}
			return capture(ctx, r)
		})
	}
	w.writer = router.NewRecordWriter(router.RecordWriterOptions{Sink: sink, Log: log, Observer: teeObserver{&w.writes, o.metrics},
		WriteTimeout: 200 * time.Millisecond, Retry: 20 * time.Millisecond, BreakerFailures: 2,
		BreakerCooldown: 100 * time.Millisecond, FlushTimeout: time.Second})
	w.flow.Records = w.writer
	writerCtx, stopWriter := context.WithCancel(context.Background())
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		w.writer.Run(writerCtx)
	}()
	w.ctlOpts = ari.Options{URL: sim.URL(), WebsocketURL: sim.WebsocketURL(),
		Username: "tenesa", Password: "test", Application: "tenesa-ivr", RequestTimeout: 2 * time.Second,
		Logger: log}
	if o.metrics != nil {
		w.ctlOpts.Observer = o.metrics
	}
	w.startController(t)
	t.Cleanup(func() {
		w.stopController()
		stopWriter()
		<-writerDone
		_ = sim.Close()
		_ = rdb.Close()
	})
	return w
}

// call places a scripted caller and waits for the call's handling record.
func (w *world) call(t testing.TB, c arisim.Caller) (*router.Record, arisim.CallReport) {
	t.Helper()
	if c.Number == "" {
		c.Number = aniUnknown
	}
	call, err := w.sim.PlaceCall(c)
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(30 * time.Second)
	for {
		w.mu.Lock()
		r, ok := w.records[call.ChannelID()]
		notify := w.notify
		w.mu.Unlock()
		if ok {
			// the caller's side may still be tearing down
			select {
			case <-call.Done():
			case <-time.After(5 * time.Second):
				t.Errorf("caller channel still up after the record (%s)", r.Outcome)
			}
			return r, call.Transcript()
		}
		select {
		case <-notify:
		case <-timeout:
			t.Fatalf("no handling record for call %s; caller heard %v", call.ChannelID(), heard(call.Transcript()))
			return nil, arisim.CallReport{}
		}
	}
}

// heard lists the prompt ids the caller heard, e.g. "id/greeting-pagi".
func heard(r arisim.CallReport) []string {
	out := make([]string, 0, len(r.Heard))
	for _, h := range r.Heard {
		out = append(out, strings.TrimPrefix(strings.TrimPrefix(h.Media, "sound:"), "tenesa/"))
	}
	return out
}

var (
	waitGreeting = arisim.WaitPromptEnd("greeting-")
	hangUp       = arisim.HangUp()
)

func steps(s ...[]arisim.Step) []arisim.Step {
	var out []arisim.Step
	for _, x := range s {
		out = append(out, x...)
	}
	return out
}

func heardPromptSub(r arisim.CallReport, sub string) bool {
	for _, h := range heard(r) {
		if strings.Contains(h, sub) {
			return true
		}
	}
	return false
}

// testLog writes warnings and errors to the test log (shown when the test
// fails), everything with TENESA_TEST_LOG set. A fuzz target logs nowhere:
// its workers have no test log to write to.
func testLog(t testing.TB) zerolog.Logger {
	if _, fuzz := t.(*testing.F); fuzz && os.Getenv("TENESA_TEST_LOG") == "" {
		return zerolog.Nop()
	}
	level := zerolog.WarnLevel
	if os.Getenv("TENESA_TEST_LOG") != "" {
		level = zerolog.DebugLevel
	}
	return zerolog.New(zerolog.NewTestWriter(t)).Level(level).With().Timestamp().Logger()
}
