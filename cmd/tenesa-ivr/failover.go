package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/failover"
)

// failoverRun is the failover side of serve (nil-safe: off without
// ari.failover.enabled).
type failoverRun struct {
	mgr     *failover.Manager
	waiting atomic.Bool // the own application is held by a survivor: not connecting yet
	once    sync.Once
	stopFn  func()
}

// startFailover takes this controller's lease, registers it and starts
// watching the peers: a dead peer's application is served by an adopting
// controller (same ARI server and credentials, the same flow) until its
// calls are finished.
func (a *controllerApp) startFailover(ctx context.Context) (*failoverRun, error) {
	f := a.cfg.ARI.Failover
	if !f.Enabled {
		return nil, nil
	}
	log := a.log.With().Str("component", "failover").Logger()
	mgr, err := failover.New(failover.Options{
		Client: a.redis, KeyPrefix: a.cfg.Redis.KeyPrefix, Instance: a.cfg.Instance,
		Application: a.cfg.ApplicationName(), LeaseTTL: f.LeaseTTL, RenewEvery: f.RenewEvery, Log: log,
		Adopt: func(ctx context.Context, p failover.Peer) error {
			return a.adoptOnBoxes(ctx, p.Application, a.flow.Handle) // servers.go: every Asterisk
		},
	})
	if err != nil {
		return nil, fmt.Errorf("ari.failover: %w", err)
	}
	if err := mgr.Start(ctx); err != nil {
		return nil, fmt.Errorf("ari.failover: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); mgr.Run(runCtx) }()
	r := &failoverRun{mgr: mgr}
	r.stopFn = func() {
		cancel()
		<-done
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer rcancel()
		if err := mgr.Resign(rctx); err != nil {
			log.Warn().Err(err).Msg("lease not given up: survivors take over when it expires")
		}
	}
	return r, nil
}

func (r *failoverRun) waitOwnApp(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.waiting.Store(true)
	defer r.waiting.Store(false)
	return r.mgr.WaitOwnApp(ctx)
}

// waitingForApp reports whether the controller waits for a survivor to
// release its application (readiness says so).
func (r *failoverRun) waitingForApp() bool { return r != nil && r.waiting.Load() }

// stop ends the adoptions and gives the lease up (once).
func (r *failoverRun) stop() {
	if r == nil {
		return
	}
	r.once.Do(r.stopFn)
}
