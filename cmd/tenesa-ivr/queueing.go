package main

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/flow"
)

// queueing plugs the acd (agents, queues and waiting calls in Redis, shared
// by every controller of the same redis.key_prefix and acd.pool; started
// with the agent API by startAgents) into the calls.
type queueing struct {
	svc *acd.Service
	h   *flow.ACDHandoff
	// rewatch follows the endpoints of the current agents (after a reload)
	rewatch func()
}

// useACD makes the acd the flow's queueing side, with the agents'
// endpoints watched for presence. With no agents configured and no agent
// API to create any (agents: [], agentapi.listen ""), nobody could ever be
// offered a call: the flow keeps the direct hand-off to handoff.endpoint,
// and this returns nil.
func (a *controllerApp) useACD(svc *acd.Service) *queueing {
	if len(a.cfg.Agents) == 0 && a.cfg.AgentAPI.Listen == "" {
		a.log.Warn().Str("endpoint", a.cfg.Handoff.Endpoint).
			Msg("no agents configured and no agent API: callers go to handoff.endpoint, not through the acd")
		return nil
	}
	q := &queueing{svc: svc, h: flow.NewACDHandoff(svc, a.log.With().Str("component", "router").Logger())}
	q.h.Reach = a.reach() // several Asterisks: a call's agents are dialled from its box
	if a.cfg.ARI.Failover.Enabled {
		// a record waiting for its wrap-up survives this controller's
		// death: a survivor's hand-over sweeper writes it
		q.h.Pending = a.handover
	}
	// The queue figures are counted by the acd itself (startAgents gives it
	// the controller's metrics), once each across controllers.
	a.flow.Handoff = q.h
	q.rewatch = func() { watchEndpoints(a, svc) }
	q.rewatch()
	return q
}

// watchEndpoints feeds the acd the state of every configured agent's
// endpoint (ARI endpoint subscriptions): an offline endpoint's agent is
// never offered a call. With several Asterisks, each endpoint is watched
// on one box: its agent's box, or the first for agents registered on
// every box (acd.PresenceEndpoints).
func watchEndpoints(a *controllerApp, svc *acd.Service) {
	for i, b := range a.boxes {
		watchBoxEndpoints(a, b, acd.PresenceEndpoints(svc.Settings().Agents, b.name, i == 0), svc)
	}
}

func watchBoxEndpoints(a *controllerApp, b *box, eps []string, svc *acd.Service) {
	log := a.log.With().Str("component", "presence").Logger()
	if b.name != "" {
		log = log.With().Str("server", b.name).Logger()
	}
	b.ctl.WatchEndpoints(eps, func(ep string, online bool) {
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

// close stops waiting for wrap-ups: records still waiting are written
// with what the acd knows.
func (q *queueing) close() {
	if q != nil {
		q.h.Close()
	}
}
