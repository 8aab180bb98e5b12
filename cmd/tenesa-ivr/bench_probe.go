package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// benchProbe is what the simulator's hooks saw: when each call's
// StasisStart was written and its greeting requested, which calls were
// put on hold, when each agent endpoint was first originated, and (while
// counting) every request with its arrival time.
type benchProbe struct {
	mu        sync.Mutex
	stasis    map[string]time.Time // channel → StasisStart written
	greeted   map[string]time.Time // channel → first play request of a greeting
	moh       map[string]time.Time // channel → first music-on-hold request
	origin    map[string]time.Time // endpoint → first originate request
	recording atomic.Bool
	requests  []stamped
}

type stamped struct {
	what string
	at   time.Time
}

func newBenchProbe() *benchProbe {
	return &benchProbe{stasis: map[string]time.Time{}, greeted: map[string]time.Time{},
		moh: map[string]time.Time{}, origin: map[string]time.Time{}}
}

func (p *benchProbe) hooks() arisim.Hooks {
	return arisim.Hooks{
		EventWritten: func(typ, ch string, at time.Time) {
			if typ != "StasisStart" || ch == "" {
				return
			}
			p.mu.Lock()
			if _, ok := p.stasis[ch]; !ok {
				p.stasis[ch] = at
			}
			p.mu.Unlock()
		},
		Play: func(ch string, media []string, at time.Time) {
			if len(media) == 0 || !strings.Contains(media[0], "greeting") {
				return
			}
			p.mu.Lock()
			if _, ok := p.greeted[ch]; !ok {
				p.greeted[ch] = at
			}
			p.mu.Unlock()
		},
		Originate: func(ep string, at time.Time) {
			p.mu.Lock()
			if _, ok := p.origin[ep]; !ok {
				p.origin[ep] = at
			}
			p.mu.Unlock()
		},
		Request: func(method, path string, at time.Time) {
			if method == "POST" && strings.HasSuffix(path, "/moh") {
				ch := strings.TrimSuffix(strings.TrimPrefix(path, "/ari/channels/"), "/moh")
				p.mu.Lock()
				if _, ok := p.moh[ch]; !ok {
					p.moh[ch] = at
				}
				p.mu.Unlock()
			}
			if p.recording.Load() {
				p.mu.Lock()
				p.requests = append(p.requests, stamped{method + " " + requestShape(path), at})
				p.mu.Unlock()
			}
		},
	}
}

// requestShape names a request without its ids: /ari/channels/{id}/answer.
func requestShape(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/ari/"), "/")
	if len(parts) >= 2 && (parts[0] == "channels" || parts[0] == "bridges" || parts[0] == "playbacks") {
		parts[1] = "{id}"
	}
	if len(parts) >= 4 && parts[0] == "channels" && parts[2] == "play" {
		parts[3] = "{playbackId}"
	}
	return strings.Join(parts, "/")
}

// setup is the call's StasisStart and greeting times; ok false when either
// is missing (the call was not set up).
func (p *benchProbe) setup(ch string) (stasis, greeted time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok1 := p.stasis[ch]
	g, ok2 := p.greeted[ch]
	return s, g, ok1 && ok2 && !g.Before(s)
}

func (p *benchProbe) originated(ep string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.origin[ep]
	return at, ok
}

// onHold counts the channels among ids whose music on hold was requested.
func (p *benchProbe) onHold(ids []string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, id := range ids {
		if _, ok := p.moh[id]; ok {
			n++
		}
	}
	return n
}

// lastHoldAt is the latest music-on-hold request among ids.
func (p *benchProbe) lastHoldAt(ids []string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var last time.Time
	for _, id := range ids {
		if at := p.moh[id]; at.After(last) {
			last = at
		}
	}
	return last
}

func (p *benchProbe) recordRequests(on bool) { p.recording.Store(on) }

func (p *benchProbe) clearRequests() {
	p.mu.Lock()
	p.requests = p.requests[:0]
	p.mu.Unlock()
}

// requestsBetween names the requests that arrived in [from, to].
func (p *benchProbe) requestsBetween(from, to time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return between(p.requests, from, to)
}

func between(log []stamped, from, to time.Time) []string {
	var out []string
	for _, r := range log {
		if !r.at.Before(from) && !r.at.After(to) {
			out = append(out, r.what)
		}
	}
	return out
}

// redisCounter is a go-redis hook noting, while on, every round trip the
// controller's client starts: a command, or a pipeline as one.
type redisCounter struct {
	on  atomic.Bool
	mu  sync.Mutex
	log []stamped
}

func (h *redisCounter) add(what string) {
	at := time.Now()
	h.mu.Lock()
	h.log = append(h.log, stamped{what, at})
	h.mu.Unlock()
}

func (h *redisCounter) clear() {
	h.mu.Lock()
	h.log = h.log[:0]
	h.mu.Unlock()
}

func (h *redisCounter) between(from, to time.Time) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return between(h.log, from, to)
}

func (h *redisCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *redisCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.on.Load() {
			h.add(strings.ToUpper(cmd.Name()))
		}
		return next(ctx, cmd)
	}
}

func (h *redisCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.on.Load() {
			names := make([]string, len(cmds))
			for i, c := range cmds {
				names[i] = strings.ToUpper(c.Name())
			}
			h.add(fmt.Sprintf("pipeline(%s)", strings.Join(names, " ")))
		}
		return next(ctx, cmds)
	}
}
