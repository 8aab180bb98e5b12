package ari

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	cyari "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/rid"
)

// legIDSuffix ends the id of every channel we originate (rid.New("ag")), so
// an agent leg is recognised even by a controller that did not originate it.
// ULIDs have a fixed length: no id is a prefix of another (Asterisk checks
// originate ids by prefix).
const legIDSuffix = "-ag"

// DefaultRingTimeout is used when OriginateRequest.Timeout is 0.
const DefaultRingTimeout = 30

// leg is an agent channel we originated into our application. Its
// StasisStart (answer) and ChannelDestroyed (end) are routed by id from the
// event path; it never starts a handler.
type leg struct {
	c           *Controller
	id          string
	h           *cyari.ChannelHandle
	answered    chan struct{}
	answerOnce  sync.Once
	gone        chan struct{}
	goneOnce    sync.Once
	cause       atomic.Int32
	hangupCause atomic.Int32
}

var _ Leg = (*leg)(nil)

func (l *leg) ID() string                { return l.id }
func (l *leg) Answered() <-chan struct{} { return l.answered }
func (l *leg) Gone() <-chan struct{}     { return l.gone }
func (l *leg) EndCause() int             { return int(l.cause.Load()) }

func (l *leg) answer() { l.answerOnce.Do(func() { close(l.answered) }) }

// hangupRequested remembers the first Q.850 cause (soft hangups carry an
// AST_SOFTHANGUP flag instead, so they are ignored).
func (l *leg) hangupRequested(cause int, soft bool) {
	if !soft && cause > 0 {
		l.hangupCause.CompareAndSwap(0, int32(cause))
	}
}

func (l *leg) end(cause int) {
	l.goneOnce.Do(func() {
		if cause == 0 {
			cause = int(l.hangupCause.Load())
		}
		l.cause.Store(int32(cause))
		close(l.gone)
	})
}

// Hangup hangs up the agent leg; a leg already gone is not an error.
func (l *leg) Hangup(ctx context.Context) error {
	err := l.c.do(ctx, "hangup_leg", func() error { return l.c.client.Channel().Hangup(l.h.Key(), "normal") })
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func newLeg(c *Controller, id string) *leg {
	return &leg{
		c:        c,
		id:       id,
		h:        c.client.Channel().Get(cyari.NewKey(cyari.ChannelKey, id)),
		answered: make(chan struct{}),
		gone:     make(chan struct{}),
	}
}

func (c *Controller) forgetLeg(l *leg) {
	c.mu.Lock()
	if c.legs[l.id] == l {
		delete(c.legs, l.id)
	}
	c.mu.Unlock()
	c.pokeIdle()
}

// Originate implements Call. The leg is registered under its pre-chosen id
// before the request, so its StasisStart can never be taken for a new call.
func (cl *call) Originate(ctx context.Context, req OriginateRequest) (Leg, error) {
	c := cl.c
	id := rid.New(legIDSuffix[1:])
	l := newLeg(c, id)
	timeout := DefaultRingTimeout
	if req.Timeout > 0 {
		timeout = int(math.Ceil(req.Timeout.Seconds()))
	}
	oreq := cyari.OriginateRequest{
		Endpoint:   req.Endpoint,
		Timeout:    timeout,
		CallerID:   req.CallerID,
		App:        c.opts.Application,
		AppArgs:    strings.Join(req.Args, ","),
		ChannelID:  id,
		Originator: cl.id,
		Variables:  req.Variables,
	}
	h, err := c.client.Channel().StageOriginate(nil, oreq)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.legs[id] = l
	c.mu.Unlock()
	if err := cl.do(ctx, "originate", h.Exec); err != nil {
		if StatusCode(err) == 0 {
			// No answer (timeout, call ended): the channel may exist. Keep
			// it so the call's cleanup hangs it up (404 if it never existed).
			cl.legs = append(cl.legs, l)
		} else {
			c.forgetLeg(l)
		}
		return nil, err
	}
	cl.legs = append(cl.legs, l)
	cl.log.Info().Str("leg_id", id).Str("endpoint", req.Endpoint).Msg("agent leg originated")
	return l, nil
}

// bridge is a mixing bridge created by a call.
type bridge struct {
	c         *Controller
	id        string
	h         *cyari.BridgeHandle
	destroyed atomic.Bool
}

var _ Bridge = (*bridge)(nil)

func (b *bridge) ID() string { return b.id }

// Destroy deletes the bridge; one already gone is not an error.
func (b *bridge) Destroy(ctx context.Context) error {
	if b.destroyed.Load() {
		return nil
	}
	err := b.c.do(ctx, "bridge_destroy", b.h.Delete)
	if err == nil || errors.Is(err, ErrNotFound) {
		b.destroyed.Store(true)
		return nil
	}
	return err
}

// Bridge implements Call: create a mixing bridge (pre-chosen id) and add the
// caller and the leg, one request each (Asterisk does not split a
// comma-separated channel given in a JSON body). On failure the bridge is
// destroyed again.
func (cl *call) Bridge(ctx context.Context, lg Leg) (Bridge, error) {
	l, ok := lg.(*leg)
	if !ok || l == nil {
		return nil, errors.New("ari: Bridge needs a Leg from Originate")
	}
	c := cl.c
	id := rid.New(rid.Bridge)
	bh, err := c.client.Bridge().StageCreate(cyari.NewKey(cyari.BridgeKey, id), "mixing", "")
	if err != nil {
		return nil, err
	}
	if err := cl.do(ctx, "bridge_create", bh.Exec); err != nil {
		return nil, err
	}
	b := &bridge{c: c, id: id, h: bh}
	cl.bridges = append(cl.bridges, b)
	fail := func(err error) (Bridge, error) {
		dctx, cancel := context.WithTimeout(context.Background(), c.opts.RequestTimeout)
		defer cancel()
		if derr := b.Destroy(dctx); derr != nil {
			cl.log.Warn().Err(derr).Str("bridge_id", id).Msg("destroying failed bridge")
		}
		return nil, err
	}
	// Not chanOp: on POST /bridges/{id}/addChannel a 404 is the bridge not
	// found and a 409 the bridge not in Stasis (the bridge's trouble); a
	// caller who left answers 400/422 and its StasisEnd ends the call.
	if err := cl.do(ctx, "bridge_add", func() error { return bh.AddChannel(cl.id) }); err != nil {
		return fail(err)
	}
	if err := cl.do(ctx, "bridge_add_leg", func() error { return bh.AddChannel(l.id) }); err != nil {
		return fail(err)
	}
	cl.log.Info().Str("bridge_id", id).Str("leg_id", l.id).Msg("caller bridged with agent")
	return b, nil
}
