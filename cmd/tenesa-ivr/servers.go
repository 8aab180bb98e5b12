package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// box is one Asterisk this process serves (ari.servers; one unnamed box
// with ari.url): its own ARI client, events WebSocket and resync. A call
// stays on the box it came from: its goroutine holds this box's port, so
// the agent leg, the bridge and the music on hold are all on it.
type box struct {
	name string
	opts ari.Options
	ctl  *ari.Controller
}

// newBoxes builds a controller per configured Asterisk from base (the
// options every box shares); a.ctl and a.ariOpts are the first box's.
func (a *controllerApp) newBoxes(base ari.Options) error {
	servers := a.cfg.ARIServers()
	all := &boxesUp{up: make([]bool, len(servers))}
	for i, s := range servers {
		o := base
		if m, ok := base.Observer.(*metrics.Metrics); ok && len(servers) > 1 {
			o.Observer = boxObserver{Metrics: m, all: all, i: i}
		}
		o.URL, o.Username, o.Password, o.Server = s.URL, s.Username, s.Password, s.Name
		o.WebsocketURL = websocketURL(configs.ARI{URL: s.URL, WebsocketURL: s.WebsocketURL})
		ctl, err := ari.NewController(o)
		if err != nil {
			if s.Name != "" {
				return fmt.Errorf("ari.servers %q: %w", s.Name, err)
			}
			return err
		}
		a.boxes = append(a.boxes, &box{name: s.Name, opts: o, ctl: ctl})
	}
	a.ctl, a.ariOpts = a.boxes[0].ctl, a.boxes[0].opts
	return nil
}

// activeCalls is the number of calls owned by a call goroutine, every box.
func (a *controllerApp) activeCalls() int {
	n := 0
	for _, b := range a.boxes {
		n += b.ctl.ActiveCalls()
	}
	return n
}

// drain stops taking new calls on every box.
func (a *controllerApp) drain() {
	for _, b := range a.boxes {
		b.ctl.Drain()
	}
}

// notReady is why /readyz fails ("" when ready): the controller is ready
// when every box's events WebSocket is up and its application ours. A box
// down is not ready: the load balancer's view (readiness) then says the
// deployment lost a box, while calls on the other boxes go on (each box
// is served independently).
func (a *controllerApp) notReady() string {
	for _, b := range a.boxes {
		if !b.ctl.Connected() {
			if b.name == "" {
				return "ARI not connected"
			}
			return "ARI not connected: server " + b.name
		}
	}
	return ""
}

// runBoxes serves calls with h on every box until ctx ends, each box with
// its own connection; a box that cannot be reached keeps reconnecting
// without stopping the others. It returns when every box stopped: nil, or
// the boxes' errors joined (a replaced application).
func (a *controllerApp) runBoxes(ctx context.Context, h ari.Handler) error {
	errs := make([]error, len(a.boxes))
	var wg sync.WaitGroup
	for i, b := range a.boxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.ctl.Run(ctx, h); err != nil && b.name != "" {
				errs[i] = fmt.Errorf("ari.servers %q: %w", b.name, err)
			} else {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// adoptOnBoxes serves a dead peer's application on every box (failover):
// one adopter per box, all with the same flow; it returns when each
// box's adopted calls are finished.
func (a *controllerApp) adoptOnBoxes(ctx context.Context, app string, h ari.Handler) error {
	errs := make([]error, len(a.boxes))
	var wg sync.WaitGroup
	for i, b := range a.boxes {
		o := b.opts
		o.Application, o.Adopter, o.MaxCalls, o.Rejoin = app, true, 0, nil
		c, err := ari.NewController(o)
		if err != nil {
			errs[i] = err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.RunAdopted(ctx, h)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// reach is the rule that keeps the agents of the shared pool reachable
// from each box (agents[].box, ari.servers[].agent_trunk).
func (a *controllerApp) reach() acd.Reach { return acd.Reach{Trunks: a.cfg.AgentTrunks()} }

// serverNames names the boxes for the start-up log: ari.servers' names, or
// ari.url (without credentials) for the one box.
func serverNames(cfg *configs.Config) []string {
	if len(cfg.ARI.Servers) == 0 {
		return []string{redactURL(cfg.ARI.URL)}
	}
	out := make([]string, len(cfg.ARI.Servers))
	for i, s := range cfg.ARI.Servers {
		out[i] = s.Name + "=" + redactURL(s.URL)
	}
	return out
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable url>"
	}
	return u.Redacted()
}

// boxObserver is a box's metrics hooks: everything counts as with one box
// (summed over the boxes), except that the connection gauge is 1 only
// while every box is connected (as readiness).
type boxObserver struct {
	*metrics.Metrics
	all *boxesUp
	i   int
}

func (o boxObserver) Connected(up bool) { o.all.set(o.i, up, o.Metrics.Connected) }

// boxesUp is which boxes' events WebSockets are up.
type boxesUp struct {
	mu sync.Mutex
	up []bool
}

func (b *boxesUp) set(i int, up bool, report func(bool)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.up[i] = up
	all := true
	for _, u := range b.up {
		all = all && u
	}
	report(all)
}
