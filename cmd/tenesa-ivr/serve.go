package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/flow"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

func newServeCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the ARI controller: answer calls on the TENESA lines with the standard greeting",
		Long:  serveLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := env.Load()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, env.ConfigPath(), log)
		},
	}
}

// serveLong is serve's --help: where it connects, what it exposes and how
// it answers signals.
const serveLong = `Run the ARI controller: connect to Asterisk's ARI, answer calls on the TENESA
lines and run the SOP flow, with customer data from Redis.

Configuration: the embedded defaults, then --config FILE, then the environment.
Every key can be set as TENESA_<SECTION>_<KEY>; the usual ones:
  TENESA_ARI_URL           ARI base URL (default http://127.0.0.1:8088/ari)
  TENESA_ARI_USERNAME      ARI user of Asterisk's ari.conf (default tenesa)
  TENESA_ARI_PASSWORD      its password (never logged)
  TENESA_ARI_APPLICATION   the Stasis application (default tenesa-ivr)
  TENESA_REDIS_ADDR        Redis address(es) (default 127.0.0.1:6379)
  TENESA_REDIS_PASSWORD    Redis password (never logged)
  TENESA_REDIS_KEY_PREFIX  prefix of every Redis key (default tenesa:)
  TENESA_METRICS_LISTEN    address of the HTTP endpoints below ("" disables them)
  TENESA_LOG_LEVEL         trace|debug|info|warn|error
'tenesa-ivr check-config' checks a file (and the environment) without serving.

HTTP on metrics.listen (default 127.0.0.1:9464):
  /metrics   Prometheus metrics (metrics.path)
  /healthz   200 while the process runs
  /readyz    200 while connected to ARI (with ari.servers: to every box) and
             not draining, else 503

Signals:
  SIGHUP    reload menus, routing rules, segment rules and prompts from the config
            file (also on a change of the file); calls in progress keep their
            version, a bad file is refused and the old one keeps serving
  SIGTERM   drain (also SIGINT): readiness fails, new calls go back to the
            dialplan, calls in progress finish within ari.shutdown_grace;
            a second signal stops at once`

// controllerApp is everything one controller runs on.
type controllerApp struct {
	cfg      *configs.Config
	prompts  configs.PromptIDs
	log      zerolog.Logger
	reg      *prometheus.Registry
	metrics  *metrics.Metrics
	ctl      *ari.Controller
	ariOpts  ari.Options  // the controller's; adopters of dead peers' applications start from them
	boxes    []*box       // every Asterisk served (servers.go); ctl and ariOpts are the first's
	fo       *failoverRun // nil without ari.failover
	redis    redis.UniversalClient
	resolver *segmentation.Resolver
	plans    *plan.Holder
	flow     *flow.Flow
	queue    *queueing // nil with no agents (DirectHandoff)
	records  *router.RecordWriter
	handover router.RedisHandover
}

// segObserver feeds segmentation's look-up results into the metrics.
type segObserver struct{ m *metrics.Metrics }

func (o segObserver) LookupDone(kind segmentation.LookupKind, result segmentation.LookupResult, d time.Duration) {
	o.m.Lookup(string(kind), string(result), d)
}

// newControllerApp builds a controller from the start-up configuration; its
// reloadable part (menus, routing, prompts, lines, segment rules and tiers)
// is compiled into the Plan the Holder serves.
func newControllerApp(cfg *configs.Config, log zerolog.Logger) (*controllerApp, error) {
	prompts, err := manifest.PromptIDs()
	if err != nil {
		return nil, err
	}
	a := &controllerApp{cfg: cfg, prompts: prompts, log: log, reg: metrics.NewRegistry()}
	a.metrics = metrics.New(a.reg, func() float64 {
		return float64(a.activeCalls())
	})
	// A started prompt whose PlaybackFinished is lost is stopped after its
	// rendered length plus a margin (ari.Options.PromptDurations).
	durations, err := promptDurations()
	if err != nil {
		return nil, err
	}
	a.metrics.Configure(metrics.FromConfig(cfg))
	base := ari.Options{
		Application:    cfg.ApplicationName(),
		MaxCalls:       cfg.ARI.MaxCalls,
		RequestTimeout: cfg.ARI.RequestTimeout,
		ReconnectMin:   cfg.ARI.ReconnectMin,
		ReconnectMax:   cfg.ARI.ReconnectMax,
		Logger:         log,
		Observer:       a.metrics,

		PromptDurations: durations,
	}
	if cfg.ARI.Failover.Enabled {
		// taken over while alive (lease lapsed): connect again once the
		// survivor released the application
		base.Rejoin = func(ctx context.Context) error { return a.fo.waitOwnApp(ctx) }
	}
	if err := a.newBoxes(base); err != nil { // one controller per Asterisk (ari.servers)
		return nil, err
	}

	p, err := plan.Compile(cfg, prompts)
	if err != nil {
		return nil, err
	}
	a.plans = plan.NewHolder(p)
	zones, err := router.LoadZones()
	if err != nil {
		return nil, err
	}
	stack, err := segmentation.NewStack(cfg.Redis, cfg.Segmentation)
	if err != nil {
		return nil, err
	}
	a.redis = stack.Client
	segLog := log.With().Str("component", "segmentation").Logger()
	// The resolver decides look-ups with the current Plan's segment rules:
	// one compilation, one pointer to swap on reload.
	o := segmentation.OptionsFromConfig(cfg.Segmentation, stack.Repo, p.Segments, segLog)
	o.CurrentRules = func() *segmentation.Rules { return a.plans.Load().Segments }
	o.Observer = segObserver{a.metrics}
	if a.resolver, err = segmentation.NewResolver(o); err != nil {
		a.close()
		return nil, err
	}

	routerLog := log.With().Str("component", "router").Logger()
	a.handover = router.RedisHandover{Client: a.redis, Prefix: cfg.Redis.KeyPrefix + "handover:"}
	a.setRecordSink(router.StreamRecorder{Client: a.redis, Key: cfg.Redis.KeyPrefix + "records"})
	a.flow = &flow.Flow{
		Instance: cfg.Instance, Plans: a.plans, Customers: a.resolver, Zones: zones, Metrics: a.metrics,
		Handoff:  flow.DirectHandoff{Log: routerLog},
		Log:      routerLog,
		Handover: a.handover,
		Records:  a.records,
	}
	return a, nil
}

// setRecordSink (re)builds the record writer over sink: every record is
// logged in full at once, then written to sink in the background.
func (a *controllerApp) setRecordSink(sink router.Recorder) {
	a.records = router.NewRecordWriter(router.RecordWriterOptions{
		Sink: sink, Log: a.log.With().Str("component", "records").Logger(), Observer: a.metrics,
	})
	if a.flow != nil {
		a.flow.Records = a.records
	}
}

// runRecords runs the record writer until stop is called, which waits for
// its last writes (after the calls have ended, so no record is left out).
func (a *controllerApp) runRecords() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.records.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// background runs what a controller needs beside the calls: dataset-switch
// tracking for the look-up caches and reload of the Plan on SIGHUP or, with
// a config file, when the file changes.
func (a *controllerApp) background(ctx context.Context, configPath string, load func() (*configs.Config, error)) {
	// hand-overs no controller adopted (see package router) end in the stream
	go router.SweepHandovers(ctx, a.handover, a.records, time.Minute, nil,
		a.log.With().Str("component", "records").Logger())
	go func() {
		if err := a.resolver.Run(ctx); err != nil {
			a.log.Error().Err(err).Msg("dataset tracking stopped")
		}
	}()
	r := &reloader{plans: a.plans, load: load, prompts: a.prompts,
		log: a.log.With().Str("component", "config").Logger(),
		// the metrics' per-queue targets and the segment series follow the config
		onChange: func(_ *plan.Plan, cfg *configs.Config) { a.metrics.Configure(metrics.FromConfig(cfg)) }}
	if a.queue != nil {
		r.acd = a.queue.reloadACD(ctx, a.log)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		r.watch(ctx, configPath, hup)
	}()
}

func (a *controllerApp) close() {
	if err := a.redis.Close(); err != nil {
		a.log.Debug().Err(err).Msg("redis close")
	}
}

// websocketURL derives ws://host/ari/events from the REST URL when not set.
func websocketURL(c configs.ARI) string {
	if c.WebsocketURL != "" {
		return c.WebsocketURL
	}
	u := strings.TrimSuffix(c.URL, "/")
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	}
	return u + "/events"
}

// serve runs the controller until SIGINT/SIGTERM. The first signal drains:
// readiness fails, new calls go back to the dialplan (its fallback queue),
// calls in progress finish (bounded by ari.shutdown_grace); a second signal
// stops at once.
func serve(ctx context.Context, cfg *configs.Config, configPath string, log zerolog.Logger) error {
	if ctx == nil {
		ctx = context.Background()
	}
	a, err := newControllerApp(cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	// stopped after the controller (its calls submit their records), before Redis closes
	stopRecords := a.runRecords()
	defer stopRecords()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var draining atomic.Bool

	if cfg.Metrics.Listen != "" {
		srv, err := a.startHTTP(cfg.Metrics.Listen, cfg.Metrics.Path, &draining)
		if err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
	}

	// The agent pool and its API keep serving while calls drain (agents
	// wrap up), and stop last.
	agents, err := a.startAgents(ctx)
	if err != nil {
		return err
	}
	defer agents.close()
	// The acd is the calls' queueing side; its hand-off is closed after the
	// controller (calls report their ends) and before the acd and the
	// records (records waiting for a wrap-up are written).
	a.queue = a.useACD(agents.svc)
	defer a.queue.close()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-runCtx.Done():
			return
		case sig := <-sigs:
			draining.Store(true)
			a.drain()
			log.Info().Str("signal", sig.String()).Int("active_calls", a.activeCalls()).
				Dur("grace", cfg.ARI.ShutdownGrace).Msg("draining: no new calls, waiting for calls in progress")
		}
		deadline := time.NewTimer(cfg.ARI.ShutdownGrace)
		defer deadline.Stop()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		lastLog := time.Now()
		for {
			select {
			case <-runCtx.Done():
				return
			case sig := <-sigs:
				log.Warn().Str("signal", sig.String()).Int("active_calls", a.activeCalls()).Msg("second signal: stopping now")
				stop()
				return
			case <-deadline.C:
				log.Warn().Int("active_calls", a.activeCalls()).Msg("shutdown grace over: stopping")
				stop()
				return
			case <-tick.C:
				n := a.activeCalls()
				if n == 0 {
					log.Info().Msg("all calls finished")
					stop()
					return
				}
				if time.Since(lastLog) > 10*time.Second {
					log.Info().Int("active_calls", n).Msg("draining")
					lastLog = time.Now()
				}
			}
		}
	}()

	log.Info().Strs("ari_servers", serverNames(cfg)).Str("application", cfg.ApplicationName()).Bool("broadcast", cfg.ARI.Broadcast).
		Str("instance", cfg.Instance).Int("lines", len(cfg.Lines)).Msg("tenesa-ivr serving")
	a.background(runCtx, configPath, func() (*configs.Config, error) { return configs.Load(configPath, a.prompts) })
	// With failover, the lease is taken first and the application only
	// registered once no survivor still serves it (ari/failover).
	fo, err := a.startFailover(runCtx)
	if err != nil {
		return err
	}
	a.fo = fo
	defer fo.stop()
	if err := fo.waitOwnApp(runCtx); err != nil {
		log.Info().Msg("stopped while waiting for the own application")
		return nil
	}
	err = a.runBoxes(runCtx, a.flow.Handle)
	fo.stop() // adoptions end, the lease is given up: survivors take over at once
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info().Msg("stopped")
	return nil
}

// startHTTP serves /metrics, /healthz (alive) and /readyz (ARI connected and
// not draining) on addr.
func (a *controllerApp) startHTTP(addr, path string, draining *atomic.Bool) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen %s: %w", addr, err)
	}
	return a.serveHTTP(ln, path, draining), nil
}

// serveHTTP serves startHTTP's endpoints on a listener already bound (the
// demo binds its own to print the address).
func (a *controllerApp) serveHTTP(ln net.Listener, path string, draining *atomic.Bool) *http.Server {
	mux := http.NewServeMux()
	mux.Handle(path, metrics.Handler(a.reg))
	mux.HandleFunc(metrics.HealthzPath, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc(metrics.ReadyzPath, func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case draining.Load():
			http.Error(w, "draining", http.StatusServiceUnavailable)
		case a.fo.waitingForApp():
			http.Error(w, "waiting for a survivor to release this controller's application (ari.failover)", http.StatusServiceUnavailable)
		case a.notReady() != "":
			http.Error(w, a.notReady(), http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ready")
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error().Err(err).Msg("metrics server")
		}
	}()
	a.log.Info().Str("addr", ln.Addr().String()).Msg("metrics and health endpoints")
	return srv
}
