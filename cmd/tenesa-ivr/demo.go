package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/deployments/asterisk/sounds"
	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation/importer"
)

// promptDurations gives the simulator the length of every rendered prompt.
func promptDurations() (map[string]time.Duration, error) {
	d, err := sounds.Durations()
	if err != nil {
		return nil, fmt.Errorf("prompt durations: %w", err)
	}
	out := make(map[string]time.Duration, len(d))
	for k, v := range d {
		out["sound:"+k] = v
	}
	return out, nil
}

// demoOptions are the demo's flags.
type demoOptions struct {
	calls    int           // stop placing calls after this many (0: no limit)
	duration time.Duration // stop placing calls after this much sim time (0: no limit)
	speed    float64       // sim seconds per wall second
	rate     float64       // calls per sim minute (Poisson arrivals)
	seed     uint64
	redis    string        // --redis ("" configured/local, "private", HOST:PORT)
	sample   string        // folder of the sample CRM export ("" = the embedded configs/sample)
	every    time.Duration // sim time between progress lines (no terminal)
	drain    time.Duration // sim time calls in progress may go on after the last arrival
	tty      bool          // draw the wallboard in place
}

// Demo defaults: about a minute of wall time shows some seventy calls.
const (
	demoDefaultSpeed    = 20
	demoDefaultDuration = 15 * time.Minute
	demoDefaultRate     = 5
	// demoCallLimit: a caller still there after this long (sim) is hung up
	// by the demo (a script that never matched what the flow played).
	demoCallLimit = 40 * time.Minute
)

func newDemoCmd(env *cliEnv) *cobra.Command {
	o := demoOptions{speed: demoDefaultSpeed, duration: demoDefaultDuration, rate: demoDefaultRate,
		every: time.Minute, drain: 10 * time.Minute}
	var timeScale float64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The contact center at work: simulated PBX, callers and agents, real Redis, live wallboard and KPI report",
		Long: `demo runs the whole contact center on this machine, with no Asterisk and no
configuration: the embedded ARI simulator plays the PBX, the callers (a seeded
Poisson mix of enterprise, government, business, wholesale and consumer
callers, unknown numbers, menu choices, ticket checks, incidents, abandons)
and the agents' phones; a team of agents and a Team Leader answer, talk, wrap
up, record dispositions and escalate through the agent API. Customer data is
the sample CRM export (configs/sample, embedded), imported into Redis under
<redis.key_prefix>demo: (only those keys are cleaned at start).

Redis: --redis HOST:PORT, else redis.addr when it answers, else a private
redis-server started in a temporary folder and stopped at the end
(--redis private always does that).

While it runs it serves /metrics and the agent desktop (/) and the Team
Leader board (/board) and prints their addresses and two throwaway tokens;
on a terminal it redraws a wallboard, otherwise it prints progress lines.
At the end (--duration or --calls reached, or Ctrl-C, which hangs up the
calls in progress) it prints a KPI report per queue and per segment computed
from the handling records read back from the Redis stream.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("time-scale") {
				if timeScale <= 0 {
					return fmt.Errorf("--time-scale %g: must be positive", timeScale)
				}
				o.speed = 1 / timeScale
			}
			if cmd.Flags().Changed("calls") && !cmd.Flags().Changed("duration") {
				o.duration = 0
			}
			o.tty = stderrIsTerminal(env.Stdout)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				stop() // a second Ctrl-C ends the process at once
			}()
			_, err := runDemo(ctx, env, o)
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.calls, "calls", 0, "stop after placing this many calls (0: no limit; alone, it lifts --duration)")
	f.DurationVar(&o.duration, "duration", o.duration, "simulated time during which calls arrive")
	f.Float64Var(&o.speed, "speed", o.speed, "time scale: simulated seconds per real second (10 = ten times faster than real time)")
	f.Float64Var(&o.rate, "rate", o.rate, "average calls per simulated minute (Poisson arrivals)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the callers' and agents' random choices")
	f.StringVar(&o.redis, "redis", "", `Redis HOST:PORT, or "private" for a private redis-server (default: redis.addr if it answers, else private)`)
	f.StringVar(&o.sample, "sample", "", "folder with customers.csv, tickets.csv, incidents.csv (default: the embedded configs/sample)")
	f.DurationVar(&o.every, "progress-every", o.every, "simulated time between progress lines when stdout is not a terminal")
	f.DurationVar(&o.drain, "drain", o.drain, "simulated time calls in progress may go on after the last arrival before they are hung up")
	f.Float64Var(&timeScale, "time-scale", 0, "old form of --speed: real seconds per simulated second (0.05 = --speed 20)")
	_ = f.MarkDeprecated("time-scale", "use --speed (the inverse)")
	return cmd
}

// demoResult is what a demo run leaves for its caller (and tests).
type demoResult struct {
	prefix  string // the demo's Redis key prefix
	stream  string // the handling records' stream
	placed  int    // calls placed that reached the controller
	records []router.Record
	report  *kpiBook
	stats   *agentStats
}

// runDemo runs the demo until its end or until stop ends; it prints to
// env.Stdout and returns the records read back and the report.
func runDemo(stop context.Context, env *cliEnv, o demoOptions) (*demoResult, error) {
	switch {
	case o.speed <= 0:
		return nil, fmt.Errorf("--speed %g: must be positive", o.speed)
	case o.rate <= 0:
		return nil, fmt.Errorf("--rate %g: must be positive", o.rate)
	case o.calls < 0:
		return nil, fmt.Errorf("--calls %d: must not be negative", o.calls)
	case o.calls == 0 && o.duration <= 0:
		return nil, errors.New("--duration and --calls: give at least one limit")
	case o.every <= 0:
		return nil, fmt.Errorf("--progress-every %s: must be positive", o.every)
	}
	cfg, _, err := env.Load()
	if err != nil {
		return nil, err
	}
	out := env.Stdout
	log, closeLog, err := demoLogger(cfg, env, o.tty)
	if err != nil {
		return nil, err
	}
	defer closeLog()

	// Redis: set-up checks are bounded by a minute, whatever stop says
	setup, cancelSetup := context.WithTimeout(context.WithoutCancel(stop), time.Minute)
	defer cancelSetup()
	dr, rc, err := openDemoRedis(setup, o.redis, cfg.Redis)
	if err != nil {
		return nil, err
	}
	if dr.stop != nil {
		defer dr.stop()
	}
	cfg.Redis = rc
	cfg.Redis.KeyPrefix += "demo:"
	reader, err := segmentation.NewRedisClient(cfg.Redis)
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	n, err := cleanDemoKeys(setup, reader, cfg.Redis.KeyPrefix)
	if err != nil {
		return nil, fmt.Errorf("clean the demo's keys %s*: %w", cfg.Redis.KeyPrefix, err)
	}
	fmt.Fprintf(out, "Redis: %s; demo keys under %q (%d left from an earlier run deleted).\n", dr.what, cfg.Redis.KeyPrefix, n)

	var sample fs.FS
	if o.sample == "" {
		if sample, err = fs.Sub(configs.Sample, "sample"); err != nil {
			return nil, err
		}
	} else {
		sample = os.DirFS(o.sample)
	}
	if err := loadSample(setup, cfg.Redis, cfg.Segmentation, sample, out); err != nil {
		return nil, err
	}
	book, err := readSampleBook(sample)
	if err != nil {
		return nil, err
	}
	cancelSetup()

	res := &demoResult{prefix: cfg.Redis.KeyPrefix, stream: cfg.Redis.KeyPrefix + "records", stats: &agentStats{}}
	// service-level thresholds in sim time, before the queues are scaled
	sl := map[string]time.Duration{}
	for name := range cfg.Routing.Queues {
		sl[name] = cfg.QueueSettings(name).ServiceLevel
	}
	placed, err := runCenter(stop, env, o, cfg, log, book, sl, res.stats)
	res.placed = placed
	if err != nil {
		return res, err
	}
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if res.records, err = readRecords(rctx, reader, res.stream); err != nil {
		return res, err
	}
	res.report = newKPIBook(o.speed, sl)
	for i := range res.records {
		res.report.add(&res.records[i])
	}
	printReport(out, res.report, res.stream)
	s := res.stats
	fmt.Fprintf(out, "Agents (through the agent API): %d dispositions, %d escalations to the Team Leader, %d escalation cases resolved, %d offers let ring out.\n",
		s.Dispositions.Load(), s.Escalations.Load(), s.CasesResolved.Load(), s.NoAnswers.Load())
	fmt.Fprintf(out, "%d calls reached the controller, %d handling records.\n", res.placed, len(res.records))
	if len(res.records) != res.placed {
		return res, fmt.Errorf("%d calls but %d handling records in %s", res.placed, len(res.records), res.stream)
	}
	return res, nil
}

// demoLogger logs to stderr (warn and above unless log.level says more
// than info), or, under the wallboard, to a file whose path is printed.
func demoLogger(cfg *configs.Config, env *cliEnv, tty bool) (zerolog.Logger, func(), error) {
	level := cfg.Log.Level
	if level == "" || level == "info" {
		level = "warn"
	}
	if !tty {
		return logging.New(env.Stderr, logging.Options{Level: level, Format: cfg.Log.Format}), func() {}, nil
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("tenesa-demo-%d.log", os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		return zerolog.Nop(), nil, err
	}
	fmt.Fprintf(env.Stdout, "Logs: %s\n", path)
	return logging.New(f, logging.Options{Level: level, Format: "json"}), func() { f.Close() }, nil
}

// demoAddrs are the endpoints a newcomer opens while the demo runs.
type demoAddrs struct{ metrics, desk string }

// runCenter runs the controller, the agents and the callers until the
// demo's end and stops them all; it returns how many calls reached the
// controller.
func runCenter(stop context.Context, env *cliEnv, o demoOptions, cfg *configs.Config, log zerolog.Logger,
	book *sampleBook, sl map[string]time.Duration, stats *agentStats) (int, error) {
	out := env.Stdout
	scale := 1 / o.speed
	wall := func(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }

	// the team: the config's agents (plus the demo's with the embedded
	// defaults), all logged in, each with a throwaway token
	if env.ConfigPath() == "" {
		cfg.Agents = append(cfg.Agents, demoTeam()...)
	}
	if len(cfg.Agents) == 0 {
		return 0, errors.New("the configuration has no agents: the demo needs a team (agents:)")
	}
	for i := range cfg.Agents {
		cfg.Agents[i].LoginAtStart = true
		cfg.Agents[i].Token = demoToken()
	}
	scaleQueues(cfg, scale)
	// a look-up slower than the budget sends a caller to the general queue
	// without the menus its script expects: give a loaded machine room
	cfg.Segmentation.LookupBudget = max(cfg.Segmentation.LookupBudget, time.Second)
	var err error
	if cfg.AgentAPI.Listen, err = freeOr(cfg.AgentAPI.Listen); err != nil {
		return 0, err
	}
	metricsLn, err := listenOr(cfg.Metrics.Listen)
	if err != nil {
		return 0, err
	}
	defer metricsLn.Close()

	durations, err := promptDurations()
	if err != nil {
		return 0, err
	}
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	password := hex.EncodeToString(secret)
	sim := arisim.New(arisim.Options{Username: "tenesa-demo", Password: password, TimeScale: scale,
		PromptDurations: durations, Logger: log.With().Str("component", "arisim").Logger()})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return 0, err
	}
	defer sim.Close()
	sim.AddAgent(arisim.Agent{Endpoint: cfg.Handoff.Endpoint, AnswerAfter: 4 * time.Second, HangupAfter: time.Minute})
	for _, ag := range cfg.Agents { // reachable (presence) before the controller watches them
		sim.AddAgent(arisim.Agent{Endpoint: ag.Endpoint, AnswerAfter: 3 * time.Second, HangupAfter: 2 * time.Minute})
	}
	cfg.ARI.URL, cfg.ARI.WebsocketURL = sim.URL(), sim.WebsocketURL()
	cfg.ARI.Username, cfg.ARI.Password = "tenesa-demo", password

	app, err := newControllerApp(cfg, log)
	if err != nil {
		return 0, err
	}
	defer app.close()
	live := &liveFigures{book: newKPIBook(o.speed, sl), kinds: map[string]int{}}
	stream := router.StreamRecorder{Client: app.redis, Key: cfg.Redis.KeyPrefix + "records"}
	app.setRecordSink(router.RecorderFunc(func(ctx context.Context, r *router.Record) error {
		if err := stream.Write(ctx, r); err != nil {
			return err
		}
		live.record(r)
		return nil
	}))
	defer app.runRecords()()

	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	agents, err := app.startAgents(runCtx)
	if err != nil {
		return 0, err
	}
	defer agents.close()
	app.queue = app.useACD(agents.svc)
	defer app.queue.close() // after the controller, before the acd and the records
	var draining atomic.Bool
	srv := app.serveHTTP(metricsLn, cfg.Metrics.Path, &draining)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	runDone := make(chan error, 1)
	go func() { runDone <- app.ctl.Run(runCtx, app.flow.Handle) }()
	// whatever happens below, the controller and its calls end before the rest
	defer func() { cancelRun(); <-runDone }()
	cctx, cancel := context.WithTimeout(stop, 30*time.Second)
	err = waitFor(cctx, app.ctl.Connected)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("controller did not connect to the simulator: %w", err)
	}

	addrs := demoAddrs{metrics: "http://" + metricsLn.Addr().String() + cfg.Metrics.Path,
		desk: "http://" + agents.addr.String()}
	printHeader(out, o, cfg, addrs)

	// the agents at their desks, through the agent API
	agentCtx, stopAgents := context.WithCancel(runCtx)
	var agentWG sync.WaitGroup
	defer func() { stopAgents(); agentWG.Wait() }()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	for i, ag := range cfg.Agents {
		a := &simAgent{id: ag.ID, token: ag.Token, endpoint: ag.Endpoint, leader: ag.Role != "agent" && ag.Role != "",
			base: addrs.desk, http: client, sim: sim, svc: agents.svc, scale: scale, stats: stats, log: log,
			rng: mrand.New(mrand.NewPCG(o.seed, uint64(i)+1))}
		agentWG.Add(1)
		go func() {
			defer agentWG.Done()
			a.run(agentCtx)
		}()
	}

	// the board
	boardCtx, stopBoard := context.WithCancel(runCtx)
	boardDone := make(chan struct{})
	b := &board{w: out, tty: o.tty, speed: o.speed, svc: agents.svc, live: live, start: time.Now()}
	every := max(wall(o.every), 100*time.Millisecond)
	if o.tty {
		every = time.Second
	}
	go func() {
		defer close(boardDone)
		b.run(boardCtx, every)
	}()
	defer func() { stopBoard(); <-boardDone }()

	// the callers
	callCtx, hangUpAll := context.WithCancel(runCtx)
	defer hangUpAll()
	d := &dialer{sim: sim, live: live, wall: wall}
	mix := &demoMix{book: book, rng: mrand.New(mrand.NewPCG(o.seed, 0))}
	placed := d.arrivals(stop, callCtx, o, mix)

	// the end: calls in progress finish (Ctrl-C or the drain limit hangs
	// them up), then their records are written
	allDone := make(chan struct{})
	go func() { d.wg.Wait(); close(allDone) }()
	drainT := time.NewTimer(wall(o.drain))
	select {
	case <-allDone:
	case <-stop.Done():
		fmt.Fprintln(out, "stopping: hanging up the calls in progress")
	case <-drainT.C:
		fmt.Fprintln(out, "drain limit reached: hanging up the calls in progress")
	}
	drainT.Stop()
	hangUpAll()
	<-allDone
	draining.Store(true)
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second+wall(2*time.Minute))
	err = waitFor(rctx, func() bool { return live.records() >= placed })
	cancel()
	if err != nil {
		log.Warn().Int("calls", placed).Int("records", live.records()).Msg("demo: not every record written in time")
	}
	stopBoard()
	<-boardDone
	if b.tty {
		fmt.Fprintln(out)
	}
	if n := live.stuckCalls(); n > 0 {
		fmt.Fprintf(out, "%d callers were still in the IVR after %s and were hung up (see the log).\n", n, demoCallLimit)
	}
	fmt.Fprintf(out, "Callers placed: %s.\n", live.kindsLine())
	return placed, nil
}

// printHeader tells the newcomer what runs and where to look.
func printHeader(out io.Writer, o demoOptions, cfg *configs.Config, a demoAddrs) {
	var agent, leader *configs.Agent
	for i := range cfg.Agents {
		ag := &cfg.Agents[i]
		switch {
		case ag.Role == "team_leader" || ag.Role == "supervisor":
			if leader == nil {
				leader = ag
			}
		case agent == nil:
			agent = ag
		}
	}
	limit := fmt.Sprintf("for %s of simulated time", o.duration)
	switch {
	case o.calls > 0 && o.duration > 0:
		limit = fmt.Sprintf("until %d calls or %s of simulated time", o.calls, o.duration)
	case o.calls > 0:
		limit = fmt.Sprintf("until %d calls", o.calls)
	}
	fmt.Fprintf(out, "\nTENESA contact center demo: simulated PBX (ARI) with %d agents logged in, about %g calls per simulated minute %s, "+
		"%g times faster than real time (seed %d).\n", len(cfg.Agents), o.rate, limit, o.speed, o.seed)
	fmt.Fprintf(out, "  metrics        %s\n", a.metrics)
	fmt.Fprintf(out, "  agent desktop  %s/\n", a.desk)
	fmt.Fprintf(out, "  leader board   %s/board\n", a.desk)
	if agent != nil {
		fmt.Fprintf(out, "  agent %s (%s) token    %s\n", agent.ID, agent.Name, agent.Token)
	}
	if leader != nil {
		fmt.Fprintf(out, "  leader %s (%s) token   %s\n", leader.ID, leader.Name, leader.Token)
	}
	fmt.Fprintf(out, "Tokens are throwaway ones made for this run and printed only by the demo. The agents are simulated: their phones\n"+
		"answer in the simulator and they record dispositions and escalate through this agent API; signed in as an agent you\n"+
		"see its calls and may act on them too. Times on the pages are real time; the report's are simulated.\n\n")
}

// dialer places the callers and follows each one.
type dialer struct {
	sim  *arisim.Server
	live *liveFigures
	wall func(time.Duration) time.Duration
	wg   sync.WaitGroup
}

// arrivals places calls at Poisson times until a limit or stop; it returns
// how many reached the controller.
func (d *dialer) arrivals(stop, callCtx context.Context, o demoOptions, mix *demoMix) int {
	var end <-chan time.Time
	if o.duration > 0 {
		t := time.NewTimer(d.wall(o.duration))
		defer t.Stop()
		end = t.C
	}
	placed := 0
	var gap time.Duration // the first caller at once
	for o.calls == 0 || placed < o.calls {
		t := time.NewTimer(d.wall(gap))
		select {
		case <-stop.Done():
			t.Stop()
			return placed
		case <-end:
			t.Stop()
			return placed
		case <-t.C:
		}
		gap = time.Duration(mix.rng.ExpFloat64() / o.rate * float64(time.Minute))
		dc := mix.next()
		c, err := d.sim.PlaceCall(dc.caller)
		if err != nil || c.ChannelID() == "" {
			continue
		}
		placed++
		d.live.placedCall(dc.kind)
		d.wg.Add(1)
		go d.follow(callCtx, c, dc)
	}
	return placed
}

// follow watches one caller: once in a queue, a caller not talking to an
// agent within their patience hangs up; when the demo ends, the caller
// hangs up.
func (d *dialer) follow(ctx context.Context, c *arisim.Call, dc demoCall) {
	defer d.wg.Done()
	stuck := false
	defer func() { d.live.callDone(stuck) }()
	t := time.NewTicker(max(d.wall(time.Second), 20*time.Millisecond))
	defer t.Stop()
	start := time.Now()
	var queued time.Time
	settled := dc.patience == 0 // nothing left to decide: the script ends the call
	for {
		select {
		case <-c.Done():
			return
		case <-ctx.Done():
			c.HangUp()
			select {
			case <-c.Done():
			case <-time.After(10 * time.Second):
			}
			return
		case <-t.C:
		}
		if time.Since(start) > d.wall(demoCallLimit) && !stuck {
			stuck = true
			c.HangUp()
			continue
		}
		if settled {
			continue
		}
		tr := c.Transcript()
		switch {
		case len(tr.BridgedWith) > 0:
			settled = true // talking to an agent: stays
		case queued.IsZero():
			if heard(tr, "transfer-agent") {
				queued = time.Now()
			}
		case time.Since(queued) > d.wall(dc.patience):
			settled = true
			c.HangUp()
		}
	}
}

func heard(tr arisim.CallReport, sub string) bool {
	for _, h := range tr.Heard {
		if strings.Contains(h.Media, sub) {
			return true
		}
	}
	return false
}

// freeOr keeps addr when it can be bound now, else picks a free loopback
// port (the config refuses port 0).
func freeOr(addr string) (string, error) {
	if addr != "" {
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr, nil
		}
	}
	p, err := freePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(p)), nil
}

// listenOr binds addr, or a free loopback port when addr is "" or taken.
func listenOr(addr string) (net.Listener, error) {
	if addr != "" {
		if ln, err := net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// loadSample imports the sample CRM export into Redis (a new dataset version
// under the demo prefix, switched atomically like any import).
func loadSample(ctx context.Context, rc configs.Redis, sc configs.Segmentation, dir fs.FS, out io.Writer) error {
	stack, err := segmentation.NewStack(rc, sc)
	if err != nil {
		return err
	}
	defer stack.Close()
	im, err := importer.New(importer.Options{Repository: stack.Repo, Rules: stack.Rules})
	if err != nil {
		return err
	}
	var sums []string
	for _, f := range []struct {
		name string
		run  func(context.Context, importer.Source) (importer.Summary, error)
	}{{"customers.csv", im.Customers}, {"tickets.csv", im.Tickets}, {"incidents.csv", im.Incidents}} {
		fh, err := dir.Open(f.name)
		if err != nil {
			return fmt.Errorf("sample data: %w (pass --sample with a folder holding customers.csv, tickets.csv, incidents.csv)", err)
		}
		var src io.Reader = fh
		if f.name == "incidents.csv" {
			// the sample's outages are dated; the demo shows them as ongoing
			if src, err = incidentsNow(fh, time.Now()); err != nil {
				fh.Close()
				return fmt.Errorf("sample data %s: %w", f.name, err)
			}
		}
		sum, err := f.run(ctx, importer.Source{R: src, Format: importer.FormatCSV})
		fh.Close()
		if err != nil {
			return fmt.Errorf("import %s: %w", f.name, err)
		}
		sums = append(sums, sum.String())
	}
	fmt.Fprintf(out, "Sample CRM data imported: %s.\n", strings.Join(sums, "; "))
	return nil
}

// incidentsNow rewrites an incidents CSV so every outage started an hour ago
// and is expected to end in three hours (open-ended ones stay open-ended).
func incidentsNow(r io.Reader, now time.Time) (io.Reader, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for i, row := range rows {
		if i > 0 && len(row) == 5 {
			row[3] = now.Add(-time.Hour).Format(time.RFC3339)
			if row[4] != "" {
				row[4] = now.Add(3 * time.Hour).Format(time.RFC3339)
			}
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return &buf, w.Error()
}

func waitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(10 * time.Millisecond)
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

// scaleQueues runs the acd's wall-clock queue times at the simulator's
// time scale (ring timeouts are the PBX's, already scaled by it): wrap-up,
// maximum wait, announcements, and the service-level threshold and short
// abandon the live figures and metrics compare wall-clock waits with.
func scaleQueues(cfg *configs.Config, scale float64) {
	sc := func(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }
	d := &cfg.ACD.QueueDefaults
	d.WrapUp, d.MaxWait, d.AnnounceEvery = sc(d.WrapUp), sc(d.MaxWait), sc(d.AnnounceEvery)
	d.ServiceLevel, d.ShortAbandon = sc(d.ServiceLevel), sc(d.ShortAbandon)
	for name, q := range cfg.Routing.Queues {
		q.WrapUp, q.MaxWait, q.AnnounceEvery = sc(q.WrapUp), sc(q.MaxWait), sc(q.AnnounceEvery)
		q.ServiceLevel, q.ShortAbandon = sc(q.ServiceLevel), sc(q.ShortAbandon)
		cfg.Routing.Queues[name] = q
	}
}
