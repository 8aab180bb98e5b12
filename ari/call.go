package ari

import (
	"context"
	"errors"
	"runtime/debug"
	"sync/atomic"
	"time"

	cyari "github.com/CyCoreSystems/ari/v5"
	"github.com/rs/zerolog"
)

// inboxSize bounds the events queued for one call (DTMF and its playbacks'
// events). The reader never blocks on a call: a full inbox drops (counted).
const inboxSize = 64

// errHandlerReturned ends a call's context after its handler returned while
// the channel was still ours.
var errHandlerReturned = errors.New("ari: handler returned")

// call is one caller's channel in our application. One goroutine (run) owns
// it: it runs the handler, and the Call methods the handler calls run in that
// same goroutine; only ctx/cancel, inbox and pokeCh are touched by others.
type call struct {
	c      *Controller
	id     string
	seq    uint64 // registration order, for resync
	info   CallInfo
	h      *cyari.ChannelHandle
	log    zerolog.Logger
	ctx    context.Context
	cancel context.CancelCauseFunc
	inbox  chan cyari.Event
	pokeCh chan struct{} // resync happened: re-check what we wait for

	// Owned by the call goroutine.
	digits  []byte // DTMF received and not consumed yet (type-ahead)
	legs    []*leg
	bridges []*bridge
	ended   bool // the handler hung up, continued or redirected the channel
	started bool // the handler was started (CallStarted counted)
	up      bool // the channel is known to be Up: Answer sends nothing
	cleaned atomic.Bool
}

var _ Call = (*call)(nil)

// startCall registers the channel (exactly one owner) and starts its
// goroutine. Registration happens on the event path before anything else,
// so no event for the channel can be missed after its StasisStart.
func (c *Controller) startCall(info CallInfo) { c.startAdopted(info, "", nil) }

// startAdopted is startCall for a channel found by resync, possibly already
// bridged (bridgeID) with agent legs (legIDs) whose controller is gone: the
// new goroutine takes them over so its cleanup ends them with the caller.
func (c *Controller) startAdopted(info CallInfo, bridgeID string, legIDs []string) {
	info.Server = c.opts.Server
	ctx, cancel := context.WithCancelCause(context.Background())
	cl := &call{
		c:      c,
		id:     info.ChannelID,
		info:   info,
		h:      c.client.Channel().Get(cyari.NewKey(cyari.ChannelKey, info.ChannelID)),
		log:    c.log.With().Str("call_id", info.ChannelID).Logger(),
		ctx:    ctx,
		cancel: cancel,
		inbox:  make(chan cyari.Event, inboxSize),
		pokeCh: make(chan struct{}, 1),
	}
	if bridgeID != "" {
		cl.bridges = append(cl.bridges, &bridge{c: c, id: bridgeID, h: c.client.Bridge().Get(cyari.NewKey(cyari.BridgeKey, bridgeID))})
	}
	for _, id := range legIDs {
		l := newLeg(c, id)
		l.answer() // it is in Stasis
		cl.legs = append(cl.legs, l)
		cl.info.AgentLegs = append(cl.info.AgentLegs, l)
	}
	c.mu.Lock()
	if c.stopped || c.ownedLocked(cl.id) {
		c.mu.Unlock()
		cancel(nil)
		return
	}
	c.seq++
	cl.seq = c.seq
	c.calls[cl.id] = cl
	for _, l := range cl.legs {
		c.legs[l.id] = l
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go cl.run()
}

func (cl *call) run() {
	defer cl.c.wg.Done()
	defer cl.cleanup()
	if cl.info.Adopted {
		if !cl.loadAdopted() {
			return
		}
		cl.stopPrevious()
	}
	cl.up = cl.info.State == "Up"
	cl.started = true
	cl.c.obs.CallStarted(cl.info.Adopted)
	cl.log.Info().Bool("adopted", cl.info.Adopted).Str("dnis", cl.info.DNIS).Str("state", cl.info.State).Msg("call started")
	cl.runHandler()
}

// loadAdopted fills CallInfo of an adopted channel from GET /channels/{id}.
// The Stasis args are not available any more; DNIS is the dialplan extension
// (the first Stasis argument in our dialplan, Stasis(app,${EXTEN})).
func (cl *call) loadAdopted() bool {
	var data *cyari.ChannelData
	err := cl.chanOp(cl.ctx, "get_channel", func() error {
		d, err := cl.h.Data()
		data = d
		return err
	})
	if err != nil {
		if errors.Is(err, ErrCallGone) {
			return false
		}
		cl.log.Warn().Err(err).Msg("adopted channel: details unavailable, handling anyway")
		return true
	}
	cl.info.ChannelName = data.Name
	cl.info.State = data.State
	if data.Caller != nil {
		cl.info.CallerNumber = data.Caller.Number
		cl.info.CallerName = data.Caller.Name
	}
	if data.Dialplan != nil {
		cl.info.DNIS = data.Dialplan.Exten
		cl.info.Args = []string{data.Dialplan.Exten}
	}
	cl.info.Started = time.Now()
	if data.Creationtime != nil {
		cl.info.Started = time.Unix(data.Creationtime.Seconds, int64(data.Creationtime.Nanos))
	}
	return true
}

func (cl *call) runHandler() {
	defer func() {
		if r := recover(); r != nil {
			cl.log.Error().Interface("panic", r).Bytes("stack", debug.Stack()).Msg("call handler panicked")
		}
	}()
	cl.c.handler(cl.ctx, cl)
}

// cleanup runs once when the call goroutine ends, on a context that outlives
// the call's with its own timeout: hang up agent legs, destroy bridges, and
// give a caller still in Stasis back to the dialplan (fallback queue) so
// nobody is left in silence. On shutdown a caller bridged with a live agent
// is left as is (the bridge keeps working without us).
func (cl *call) cleanup() {
	if !cl.cleaned.CompareAndSwap(false, true) {
		return
	}
	cause := context.Cause(cl.ctx)
	gone := errors.Is(cause, ErrCallGone)
	shutdown := errors.Is(cause, ErrShutdown)
	replaced := errors.Is(cause, ErrReplaced)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(cl.ctx), 3*cl.c.opts.RequestTimeout)
	defer cancel()

	if replaced {
		// The new owner adopts the channel with its bridge and legs: touch
		// nothing.
		cl.log.Info().Msg("application replaced: call left to the new owner")
	} else if shutdown && cl.bridgedWithLiveLeg() {
		cl.log.Info().Msg("shutdown: leaving caller bridged with agent")
	} else {
		for _, l := range cl.legs {
			select {
			case <-l.gone:
				continue
			default:
			}
			if err := l.Hangup(ctx); err != nil {
				cl.log.Warn().Err(err).Str("leg_id", l.id).Msg("cleanup: agent leg hangup failed")
			}
		}
		for _, b := range cl.bridges {
			if err := b.Destroy(ctx); err != nil {
				cl.log.Warn().Err(err).Str("bridge_id", b.id).Msg("cleanup: bridge destroy failed")
			}
		}
		if !gone && !cl.ended {
			err := cl.c.do(ctx, "continue", func() error {
				return cl.h.Continue(cl.c.opts.DrainContext, cl.c.opts.DrainExtension, cl.c.opts.DrainPriority)
			})
			if err != nil {
				cl.log.Warn().Err(err).Msg("cleanup: continue in dialplan failed")
			} else {
				cl.log.Info().AnErr("cause", cause).Msg("cleanup: caller continued in the dialplan")
			}
		}
	}
	cl.c.mu.Lock()
	if cl.c.calls[cl.id] == cl {
		delete(cl.c.calls, cl.id)
	}
	for _, l := range cl.legs {
		if cl.c.legs[l.id] == l {
			delete(cl.c.legs, l.id)
		}
	}
	cl.c.mu.Unlock()
	cl.c.pokeIdle()
	for _, l := range cl.legs {
		l.end(0) // nobody waits for it any more; idempotent
	}
	if cause == nil {
		cause = errHandlerReturned
	}
	cl.cancel(cause)
	if cl.started {
		cl.c.obs.CallEnded()
	}
	cl.log.Info().AnErr("cause", cause).Msg("call ended")
}

func (cl *call) bridgedWithLiveLeg() bool {
	live := false
	for _, b := range cl.bridges {
		if !b.destroyed.Load() {
			live = true
		}
	}
	if !live {
		return false
	}
	for _, l := range cl.legs {
		select {
		case <-l.gone:
		default:
			return true
		}
	}
	return false
}

// deliver queues an event for the call; never blocks (event path).
func (cl *call) deliver(e cyari.Event) {
	select {
	case cl.inbox <- e:
	default:
		cl.c.obs.EventDropped(e.GetType())
		cl.log.Warn().Str("event_type", e.GetType()).Msg("call inbox full, event dropped")
	}
}

// poke tells the call a resync happened (events may have been lost).
func (cl *call) poke() {
	select {
	case cl.pokeCh <- struct{}{}:
	default:
	}
}

// chanOp runs a request on the caller's channel. It is also bounded by the
// call's own context, and a 404/409 (channel gone or no longer in Stasis)
// ends the call with ErrCallGone instead of surfacing as a random failure.
func (cl *call) chanOp(ctx context.Context, op string, fn func() error) error {
	return cl.chanRequest(ctx, op, false, fn)
}

// endOp is chanOp for a request that makes the channel leave Stasis (hangup,
// continue): its own StasisEnd may overtake the HTTP response, so it is not
// cut short by the call's context ending.
func (cl *call) endOp(ctx context.Context, op string, fn func() error) error {
	return cl.chanRequest(ctx, op, true, fn)
}

func (cl *call) chanRequest(ctx context.Context, op string, ending bool, fn func() error) error {
	if cl.ctx.Err() != nil {
		return &RequestError{Op: op, Class: classOf(cl.ctx), Err: context.Cause(cl.ctx)}
	}
	callCtx := cl.ctx
	if ending {
		// ctx is usually the call's own context, which our StasisEnd ends.
		ctx, callCtx = context.WithoutCancel(ctx), nil
	}
	err := cl.c.doWith(ctx, callCtx, op, fn)
	if err == nil {
		return nil
	}
	var re *RequestError
	if errors.As(err, &re) && (re.Status == 404 || re.Status == 409) {
		cl.log.Info().Str("op", op).Int("status", re.Status).Msg("channel gone under a request")
		cl.cancel(ErrCallGone)
		re.Class = ErrCallGone
	}
	return err
}

// do runs a request not on the caller's channel, bounded by ctx and the call.
func (cl *call) do(ctx context.Context, op string, fn func() error) error {
	if cl.ctx.Err() != nil {
		return &RequestError{Op: op, Class: classOf(cl.ctx), Err: context.Cause(cl.ctx)}
	}
	return cl.c.doWith(ctx, cl.ctx, op, fn)
}

// ID implements Call.
func (cl *call) ID() string { return cl.id }

// Info implements Call.
func (cl *call) Info() CallInfo { return cl.info }

// Answer implements Call. A channel already Up (adopted after a restart,
// or Up at StasisStart) is not answered again: answer is a synchronous
// command of the channel's control queue, and behind a playback left by a
// previous controller it would block until that playback ends (20, 22).
func (cl *call) Answer(ctx context.Context) error {
	if cl.up {
		return nil
	}
	err := cl.chanOp(ctx, "answer", cl.h.Answer)
	if err == nil {
		cl.up = true
	}
	return err
}

// StartMOH implements Call.
func (cl *call) StartMOH(ctx context.Context, class string) error {
	return cl.chanOp(ctx, "moh_start", func() error { return cl.h.MOH(class) })
}

// StopMOH implements Call.
func (cl *call) StopMOH(ctx context.Context) error {
	return cl.chanOp(ctx, "moh_stop", cl.h.StopMOH)
}

// SetVar implements Call.
func (cl *call) SetVar(ctx context.Context, name, value string) error {
	return cl.chanOp(ctx, "set_var", func() error { return cl.h.SetVariable(name, value) })
}

// Continue implements Call.
func (cl *call) Continue(ctx context.Context, dialplanContext, extension string, priority int) error {
	err := cl.endOp(ctx, "continue", func() error { return cl.h.Continue(dialplanContext, extension, priority) })
	if err == nil {
		cl.ended = true
	}
	return err
}

// Redirect implements Call: continue the caller at extension target of
// Options.RedirectContext (default "tenesa-after-ivr", priority 1), where
// the dialplan lists the allowed targets (e.g. "147" dials the consumer line
// through the trunk; unknown targets fall back to the queue). v5.3.1 has no
// redirect request, and ARI's own redirect only suits SIP REFER-capable
// peers; the dialplan keeps the controller from dialling arbitrary numbers.
func (cl *call) Redirect(ctx context.Context, target string) error {
	return cl.Continue(ctx, cl.c.opts.RedirectContext, target, 1)
}

// Hangup implements Call.
func (cl *call) Hangup(ctx context.Context, reason string) error {
	if reason == "" {
		reason = "normal"
	}
	err := cl.endOp(ctx, "hangup", func() error { return cl.c.client.Channel().Hangup(cl.h.Key(), reason) })
	if err == nil {
		cl.ended = true
	}
	return err
}
