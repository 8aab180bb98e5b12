package ari

import (
	"context"
	"errors"
	"fmt"
)

// Taking over a dead controller's application (failover, issue 12).
//
// A controller whose peer died (its lease in Redis expired: ari/failover)
// runs a second Controller for the peer's application with
// Options.Adopter set. Opening its events WebSocket registers the
// application with Asterisk again; the resync after connect
// (GET /applications/{app}) adopts every channel still in it, exactly as
// after a reconnect of our own application: callers in the IVR, callers
// waiting in a queue, callers bridged with their agent legs. An adopter
// never claims broadcast calls (the application is not ours to grow), and
// RunAdopted returns once the adopted calls are all finished, so the
// application can be handed back to its owner when it returns.

// errAdopterIdle ends an adopter's run: its adopted calls are finished.
var errAdopterIdle = errors.New("ari: adopted application has no calls left")

// RunAdopted runs the controller (Options.Adopter must be set) with h until
// ctx ends or, after its first resync, it owns no call and no agent leg any
// more. It returns nil when the adopted calls are finished, ctx's error
// when ctx ended first, and an error wrapping ErrReplaced when another
// connection took the application (its owner came back too early, or a
// second adopter).
func (c *Controller) RunAdopted(ctx context.Context, h Handler) error {
	if !c.opts.Adopter {
		return errors.New("ari: RunAdopted needs Options.Adopter")
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx, h) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				return err
			}
			if errors.Is(context.Cause(runCtx), errAdopterIdle) {
				return nil
			}
			return ctx.Err()
		case <-c.idleCh:
			if c.resynced.Load() && c.idle() {
				c.log.Info().Msg("adopted application: every adopted call finished, releasing it")
				cancel(errAdopterIdle)
			}
		}
	}
}

// idle: no call goroutine, no agent leg and no claim in flight.
func (c *Controller) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls) == 0 && len(c.legs) == 0 && len(c.claims) == 0
}

// pokeIdle tells RunAdopted that the owned calls changed. Never blocks.
func (c *Controller) pokeIdle() {
	select {
	case c.idleCh <- struct{}{}:
	default:
	}
}

// Resynced reports whether a resync (GET /applications/{app}) finished
// since Run started. A call placed between the connect and the end of the
// first resync may be listed by it and adopted rather than started from
// its StasisStart (it then runs as Adopted).
func (c *Controller) Resynced() bool { return c.resynced.Load() }

// Adopter reports whether this controller serves a dead peer's application.
func (c *Controller) Adopter() bool { return c.opts.Adopter }

// Application is the Stasis application this controller serves.
func (c *Controller) Application() string { return c.opts.Application }

// String names the controller in logs.
func (c *Controller) String() string {
	if c.opts.Adopter {
		return fmt.Sprintf("ari(%s, adopted)", c.opts.Application)
	}
	return fmt.Sprintf("ari(%s)", c.opts.Application)
}
