package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/agentapi"
)

// agentPool is the controller's share of the agent pool (the acd, its
// state in Redis) and the agent API serving it.
type agentPool struct {
	svc  *acd.Service
	api  *agentapi.API
	srv  *http.Server
	addr net.Addr // where the agent API listens; nil when agentapi.listen is ""
	stop func()
}

// startAgents starts the acd on the controller's Redis (agents from config,
// login_at_start ones logged in, shared with every controller of the same
// redis.key_prefix and acd.pool) and, when agentapi.listen is set, the
// agent API on it. close stops both: event streams first, then the HTTP
// server, then the acd's loops.
func (a *controllerApp) startAgents(ctx context.Context) (*agentPool, error) {
	st, err := acd.FromConfig(a.cfg)
	if err != nil {
		return nil, err
	}
	var svc *acd.Service
	m := metrics.NewACD(a.reg, func() (metrics.ACDFigures, error) { return svc.MetricsFigures() })
	log := a.log.With().Str("component", "acd").Logger()
	svc, err = acd.New(acd.Options{Client: a.redis, KeyPrefix: a.cfg.Redis.KeyPrefix, Pool: a.cfg.ACD.Pool,
		Instance: a.cfg.Instance, Log: log, Metrics: m}, st)
	if err != nil {
		return nil, err
	}
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := svc.Start(actx); err != nil {
		cancel()
		return nil, fmt.Errorf("acd: %w", err)
	}
	p := &agentPool{svc: svc}
	p.stop = func() { cancel(); svc.Wait() }
	if a.cfg.AgentAPI.Listen == "" {
		return p, nil
	}
	apiLog := a.log.With().Str("component", "agentapi").Logger()
	p.api, err = agentapi.New(svc, agentapi.Options{Tokens: a.cfg.AgentTokens(), Log: apiLog,
		KeepAlive: a.cfg.AgentAPI.KeepAlive})
	if err != nil {
		p.stop()
		return nil, err
	}
	ln, err := net.Listen("tcp", a.cfg.AgentAPI.Listen)
	if err != nil {
		p.api.Close()
		p.stop()
		return nil, fmt.Errorf("agentapi.listen %s: %w", a.cfg.AgentAPI.Listen, err)
	}
	p.addr = ln.Addr()
	// No write timeout for the event streams: they clear their own
	// deadline; every other response is bounded.
	p.srv = &http.Server{Handler: p.api, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			apiLog.Error().Err(err).Msg("agent API server")
		}
	}()
	apiLog.Info().Str("addr", p.addr.String()).Int("agents_with_token", len(a.cfg.AgentTokens())).Msg("agent API")
	return p, nil
}

// close ends the event streams, shuts the API down and stops the acd.
func (p *agentPool) close() {
	if p.srv != nil {
		p.api.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = p.srv.Shutdown(sctx)
		cancel()
	}
	p.stop()
}
