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
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
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

// controllerApp is everything one controller runs on.
type controllerApp struct {
	cfg      *configs.Config
	log      zerolog.Logger
	reg      *prometheus.Registry
	metrics  *metrics.Metrics
	ctl      *ari.Controller
	redis    redis.UniversalClient
	resolver *segmentation.Resolver
	plans    *plan.Holder
	flow     *flow.Flow
}

// segObserver feeds segmentation's look-up results into the metrics.
type segObserver struct{ m *metrics.Metrics }

func (o segObserver) LookupDone(kind segmentation.LookupKind, result segmentation.LookupResult, d time.Duration) {
	o.m.Lookup(string(kind), string(result), d)
}

func newControllerApp(cfg *configs.Config, log zerolog.Logger) (*controllerApp, error) {
	a := &controllerApp{cfg: cfg, log: log, reg: metrics.NewRegistry()}
	a.metrics = metrics.New(a.reg, func() float64 {
		if a.ctl == nil {
			return 0
		}
		return float64(a.ctl.ActiveCalls())
	})
	ctl, err := ari.NewController(ari.Options{
		URL:            cfg.ARI.URL,
		WebsocketURL:   websocketURL(cfg.ARI),
		Username:       cfg.ARI.Username,
		Password:       cfg.ARI.Password,
		Application:    cfg.ARI.Application,
		RequestTimeout: cfg.ARI.RequestTimeout,
		ReconnectMin:   cfg.ARI.ReconnectMin,
		ReconnectMax:   cfg.ARI.ReconnectMax,
		Logger:         log,
		Observer:       a.metrics,
	})
	if err != nil {
		return nil, err
	}
	a.ctl = ctl

	p, err := plan.Compile(cfg)
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
	if a.resolver, err = stack.Resolver(cfg.Segmentation, segLog, segObserver{a.metrics}); err != nil {
		a.close()
		return nil, err
	}

	routerLog := log.With().Str("component", "router").Logger()
	a.flow = &flow.Flow{
		Config: cfg, Plans: a.plans, Customers: a.resolver, Zones: zones, Metrics: a.metrics,
		Handoff:  flow.DirectHandoff{Log: routerLog},
		Log:      routerLog,
		Handover: router.RedisHandover{Client: a.redis, Prefix: cfg.Redis.KeyPrefix + "handover:"},
		Records: router.Recorders{
			router.LogRecorder{Log: log.With().Str("component", "records").Logger()},
			router.StreamRecorder{Client: a.redis, Key: cfg.Redis.KeyPrefix + "records"},
		},
	}
	return a, nil
}

// background runs what a controller needs beside the calls: dataset-switch
// tracking for the look-up caches and, with a config file, reload of menus,
// rules and prompts on SIGHUP or file change.
func (a *controllerApp) background(ctx context.Context, configPath string, load func() (*configs.Config, error)) {
	go func() {
		if err := a.resolver.Run(ctx); err != nil {
			a.log.Error().Err(err).Msg("dataset tracking stopped")
		}
	}()
	// The segment rules (served segments, redirects, tier priorities) reload
	// with the plan: keep the config of the last successful load and hand
	// its rules to the resolver when a new plan goes live.
	var mu sync.Mutex
	var latest *configs.Config
	loadAndKeep := func() (*configs.Config, error) {
		cfg, err := load()
		if err == nil {
			mu.Lock()
			latest = cfg
			mu.Unlock()
		}
		return cfg, err
	}
	onChange := func(*plan.Plan) {
		mu.Lock()
		cfg := latest
		mu.Unlock()
		if cfg == nil {
			return
		}
		rules, err := segmentation.NewRules(cfg.Segmentation)
		if err != nil { // Compile validated it already; keep the old rules
			a.log.Error().Err(err).Msg("segment rules not reloaded")
			return
		}
		a.resolver.SetRules(rules)
	}
	go a.plans.Watch(ctx, configPath, loadAndKeep, a.log.With().Str("component", "config").Logger(), onChange)
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

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-runCtx.Done():
			return
		case sig := <-sigs:
			draining.Store(true)
			a.ctl.Drain()
			log.Info().Str("signal", sig.String()).Int("active_calls", a.ctl.ActiveCalls()).
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
				log.Warn().Str("signal", sig.String()).Int("active_calls", a.ctl.ActiveCalls()).Msg("second signal: stopping now")
				stop()
				return
			case <-deadline.C:
				log.Warn().Int("active_calls", a.ctl.ActiveCalls()).Msg("shutdown grace over: stopping")
				stop()
				return
			case <-tick.C:
				n := a.ctl.ActiveCalls()
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

	log.Info().Str("ari_url", cfg.ARI.URL).Str("application", cfg.ARI.Application).
		Str("instance", cfg.Instance).Int("lines", len(cfg.Lines)).Msg("tenesa-ivr serving")
	a.background(runCtx, configPath, func() (*configs.Config, error) { return configs.Load(configPath) })
	err = a.ctl.Run(runCtx, a.flow.Handle)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info().Msg("stopped")
	return nil
}

// startHTTP serves /metrics, /healthz (alive) and /readyz (ARI connected and
// not draining) on addr.
func (a *controllerApp) startHTTP(addr, path string, draining *atomic.Bool) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.Handle(path, metrics.Handler(a.reg))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case draining.Load():
			http.Error(w, "draining", http.StatusServiceUnavailable)
		case !a.ctl.Connected():
			http.Error(w, "ARI not connected", http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ready")
		}
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error().Err(err).Msg("metrics server")
		}
	}()
	a.log.Info().Str("addr", ln.Addr().String()).Msg("metrics and health endpoints")
	return srv, nil
}
