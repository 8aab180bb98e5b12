package ari

import (
	"context"
	"strings"
	"sync"

	cyari "github.com/CyCoreSystems/ari/v5"
)

// Presence: the agents' endpoints as Asterisk sees them. WatchEndpoints
// subscribes the application to each endpoint (POST
// /applications/{app}/subscription?eventSource=endpoint:PJSIP/agent1001)
// after every (re)connect, reads each one's state then (GET
// /endpoints/{tech}/{resource}: events while disconnected are lost), and
// reports every EndpointStateChange. Reports run in order on one goroutine
// of their own, never on the event path.

type presenceUpdate struct {
	endpoint string
	online   bool
}

type presence struct {
	mu        sync.Mutex
	endpoints map[string]bool
	report    func(endpoint string, online bool)
	updates   chan presenceUpdate
	closed    bool
	done      chan struct{} // closed when the reporting goroutine ended
}

func newPresence() *presence {
	return &presence{updates: make(chan presenceUpdate, 1024), done: make(chan struct{})}
}

// close ends the reports (Run's end) and waits for the last one.
func (p *presence) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	started := p.report != nil
	close(p.updates)
	p.mu.Unlock()
	if started {
		<-p.done
	}
}

// WatchEndpoints makes the controller follow the state of endpoints
// ("PJSIP/agent1001"; Local endpoints have no state and are skipped) and
// call report with online true or false at each connect and each change,
// in order, from one goroutine. Call it before Run; a second call replaces
// the list (subscribed at once when connected). report must not block for
// long: updates wait behind it (1024 are buffered; beyond, one is dropped
// and read again at the next connect).
func (c *Controller) WatchEndpoints(endpoints []string, report func(endpoint string, online bool)) {
	p := c.presence
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	first := p.report == nil
	p.report = report
	p.endpoints = map[string]bool{}
	for _, e := range endpoints {
		if tech, _, ok := strings.Cut(e, "/"); ok && !strings.EqualFold(tech, "Local") {
			p.endpoints[e] = true
		}
	}
	p.mu.Unlock()
	if first {
		go func() {
			defer close(p.done)
			for u := range p.updates {
				p.mu.Lock()
				r := p.report
				p.mu.Unlock()
				r(u.endpoint, u.online)
			}
		}()
	}
	if c.connected.Load() {
		c.goTracked(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 3*c.opts.RequestTimeout)
			defer cancel()
			c.syncPresence(ctx)
		})
	}
}

func (p *presence) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.endpoints))
	for e := range p.endpoints {
		out = append(out, e)
	}
	return out
}

func (p *presence) send(endpoint string, online bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.report == nil {
		return
	}
	select {
	case p.updates <- presenceUpdate{endpoint, online}:
	default:
	}
}

// syncPresence subscribes to the watched endpoints and reports their
// current state (after a connect).
func (c *Controller) syncPresence(ctx context.Context) {
	p := c.presence
	app := cyari.NewKey(cyari.ApplicationKey, c.opts.Application)
	for _, ep := range p.list() {
		tech, res, _ := strings.Cut(ep, "/")
		err := c.do(ctx, "subscribe_endpoint", func() error {
			return c.client.Application().Subscribe(app, "endpoint:"+ep)
		})
		if err != nil {
			c.log.Warn().Err(err).Str("endpoint", ep).Msg("endpoint subscription failed")
			continue
		}
		var state string
		err = c.do(ctx, "get_endpoint", func() error {
			d, err := c.client.Endpoint().Data(cyari.NewEndpointKey(tech, res))
			if err == nil {
				state = d.State
			}
			return err
		})
		switch {
		case err == nil:
			p.send(ep, state == "online")
		case StatusCode(err) == 404:
			p.send(ep, false)
		default:
			c.log.Warn().Err(err).Str("endpoint", ep).Msg("endpoint state not read")
		}
	}
}

// onEndpointState routes an EndpointStateChange (event path: never blocks).
func (c *Controller) onEndpointState(ev *cyari.EndpointStateChange) {
	ep := ev.Endpoint.Technology + "/" + ev.Endpoint.Resource
	p := c.presence
	p.mu.Lock()
	watched := p.endpoints[ep]
	p.mu.Unlock()
	if watched {
		p.send(ep, ev.Endpoint.State == "online")
	}
}
