package main

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/flow"
)

// queueing is the controller's queueing side: the acd (agents, queues and
// waiting calls in Redis, shared by every controller of the same
// redis.key_prefix and acd.pool) and the hand-off that plugs it into calls.
type queueing struct {
	svc  *acd.Service
	h    *flow.ACDHandoff
	stop func()
	// rewatch follows the endpoints of the current agents (after a reload)
	rewatch func()
}

// startQueueing starts the acd and makes it the flow's queueing side, with
// the agents' endpoints watched for presence. With no agents configured
// (agents: []) there is nobody for the acd to ring: the flow keeps the
// interim DirectHandoff to handoff.endpoint, and this returns nil.
func (a *controllerApp) startQueueing(ctx context.Context) (*queueing, error) {
	if len(a.cfg.Agents) == 0 {
		a.log.Warn().Str("endpoint", a.cfg.Handoff.Endpoint).
			Msg("no agents configured: callers go to handoff.endpoint, not through the acd")
		return nil, nil
	}
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
	q := &queueing{svc: svc, h: flow.NewACDHandoff(svc, a.log.With().Str("component", "router").Logger())}
	// The queue figures (entered, answered, abandoned, overflowed, talk,
	// wrap-up, dispositions) are counted when the controller's metrics
	// have them.
	if qm, ok := any(a.metrics).(flow.QueueMetrics); ok {
		q.h.Metrics = qm
	}
	q.stop = func() { q.h.Close(); cancel(); svc.Wait() }
	a.flow.Handoff = q.h
	q.rewatch = func() { watchEndpoints(a, svc) }
	q.rewatch()
	return q, nil
}

// watchEndpoints feeds the acd the state of every configured agent's
// endpoint (ARI endpoint subscriptions): an offline endpoint's agent is
// never offered a call.
func watchEndpoints(a *controllerApp, svc *acd.Service) {
	var eps []string
	for _, ag := range svc.Settings().Agents {
		eps = append(eps, ag.Endpoint)
	}
	log := a.log.With().Str("component", "presence").Logger()
	a.ctl.WatchEndpoints(eps, func(ep string, online bool) {
		log.Info().Str("endpoint", ep).Bool("online", online).Msg("agent endpoint state")
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ARI.RequestTimeout)
		defer cancel()
		if err := svc.EndpointState(ctx, ep, online); err != nil {
			log.Warn().Err(err).Str("endpoint", ep).Msg("endpoint state not recorded")
		}
	})
}

// reloadACD compiles the acd settings of a reloaded configuration; apply
// swaps them in (with the Plan) and creates or updates its agents.
func (q *queueing) reloadACD(ctx context.Context, log zerolog.Logger) func(*configs.Config) (func(), error) {
	return func(cfg *configs.Config) (func(), error) {
		st, err := acd.FromConfig(cfg)
		if err != nil {
			return nil, err
		}
		return func() {
			if err := q.svc.Reload(ctx, st); err != nil {
				log.Error().Err(err).Msg("acd settings not reloaded")
				return
			}
			if q.rewatch != nil {
				q.rewatch()
			}
		}, nil
	}
}

// close stops waiting for wrap-ups (records are written) and the acd.
func (q *queueing) close() {
	if q != nil {
		q.stop()
	}
}
