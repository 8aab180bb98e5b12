package ari

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	cyari "github.com/CyCoreSystems/ari/v5"
)

// resync runs after every (re)connect. Asterisk does not replay StasisStart
// or any missed event, so we rebuild from GET /applications/{app}:
//
//   - a channel still in the app that a live call goroutine owns stays with
//     it (the goroutine is poked so a playback whose PlaybackFinished was lost
//     gets checked);
//   - a channel in the app that nobody owns gets a new handler (Adopted);
//   - a call goroutine whose channel is no longer in the app (its StasisEnd
//     was lost) is cancelled with ErrCallGone;
//   - an agent leg whose channel vanished (ChannelDestroyed lost) is ended,
//     one that is Up in the app (StasisStart lost) is marked answered; a
//     ringing one is listed too (an originated channel is subscribed to the
//     app from its creation) and is left ringing.
//
// A channel listed but whose StasisStart comes on this connection is a new
// call, not one to adopt: see eventBarrier. seen holds the channels whose
// StasisStart this connection delivered.
//
// It retries with backoff until it succeeds or the connection ends.
func (c *Controller) resync(ctx context.Context, seen map[string]bool) {
	defer func() {
		c.mu.Lock()
		if c.startedHere != nil && sameMap(c.startedHere, seen) {
			c.startedHere = nil // only the resync needs it: keep it bounded
		}
		c.mu.Unlock()
	}()
	for attempt := 0; ; attempt++ {
		err := c.resyncOnce(ctx, seen)
		if err == nil || ctx.Err() != nil {
			return
		}
		c.log.Warn().Err(err).Int("attempt", attempt+1).Msg("resync after connect failed")
		if !sleepCtx(ctx, backoff(attempt, c.opts.ReconnectMin, c.opts.ReconnectMax)) {
			return
		}
	}
}

// sameMap reports whether a and b are the same map (not equal contents).
func sameMap(a, b map[string]bool) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

func (c *Controller) resyncOnce(ctx context.Context, seen map[string]bool) error {
	c.mu.Lock()
	before := c.seq
	c.mu.Unlock()

	key := cyari.NewKey(cyari.ApplicationKey, c.opts.Application)
	var ids, bridgeIDs []string
	err := c.do(ctx, "get_application", func() error {
		d, err := c.client.Application().Data(key)
		if err == nil {
			ids, bridgeIDs = d.ChannelIDs, d.BridgeIDs
		}
		return err
	})
	if err != nil {
		return err
	}
	// A channel that entered Stasis after we subscribed is listed too, but
	// its StasisStart may still be on the wire. Wait until every event sent
	// before the listing was handled; then a listed channel without a
	// StasisStart on this connection really was left in the application.
	if err := c.eventBarrier(ctx); err != nil {
		if ctx.Err() != nil {
			return err
		}
		// Adopting without the barrier reopens the race for a StasisStart
		// still on the wire; not adopting would leave callers in silence.
		c.log.Warn().Err(err).Msg("resync: event barrier failed, adopting without it")
	}
	inApp := make(map[string]bool, len(ids))
	for _, id := range ids {
		inApp[id] = true
	}

	var gone, live []*call
	var legs []*leg
	var adopt, orphans []string
	c.mu.Lock()
	for id, cl := range c.calls {
		switch {
		case inApp[id]:
			live = append(live, cl)
		case cl.seq <= before: // registered before the listing: it really left
			gone = append(gone, cl)
		}
	}
	for _, id := range ids {
		if c.calls[id] != nil || c.legs[id] != nil {
			continue
		}
		if _, ended := c.tombstones[id]; ended {
			continue
		}
		if seen[id] { // a new call (or leg) of this connection, not one left over
			continue
		}
		switch {
		case !isLegID(id):
			adopt = append(adopt, id)
		case !strings.Contains(id, ";"): // a Local pair's ;2 half goes with its ;1
			orphans = append(orphans, id)
		}
	}
	for _, l := range c.legs {
		legs = append(legs, l)
	}
	c.mu.Unlock()

	for _, cl := range gone {
		cl.log.Info().Msg("channel no longer in the application after reconnect")
		cl.cancel(ErrCallGone)
	}
	for _, cl := range live {
		cl.poke()
	}
	for _, l := range legs {
		// A leg originated into the app is listed by GET /applications
		// from its creation (it is subscribed), ringing or not: only a leg
		// that is Up has answered (a lost StasisStart). Its state is read
		// from GET /channels/{id}, which does not wait behind the channel's
		// control queue.
		h := c.client.Channel().Get(cyari.NewKey(cyari.ChannelKey, l.id))
		var state string
		err := c.do(ctx, "get_channel", func() error {
			d, err := h.Data()
			if err == nil {
				state = d.State
			}
			return err
		})
		switch {
		case errors.Is(err, ErrNotFound):
			c.forgetLeg(l)
			l.end(0)
		case err == nil && inApp[l.id] && state == "Up":
			l.answer()
		}
	}
	inBridge := map[string]string{} // channel -> bridge, for adopted channels
	if len(adopt)+len(orphans) > 0 {
		inBridge = c.bridgeMembers(ctx, bridgeIDs)
	}
	taken := map[string]bool{}
	for _, id := range adopt {
		bid := inBridge[id]
		var legIDs []string
		for _, o := range orphans {
			if bid != "" && inBridge[o] == bid {
				legIDs = append(legIDs, o)
				taken[o] = true
			}
		}
		c.log.Info().Str("call_id", id).Str("bridge_id", bid).Int("agent_legs", len(legIDs)).Msg("adopting channel left in the application")
		c.startAdopted(CallInfo{ChannelID: id, Adopted: true, TakenOver: c.opts.Adopter, BridgeID: bid}, bid, legIDs)
	}
	for _, id := range orphans {
		if !taken[id] {
			c.log.Warn().Str("leg_id", id).Msg("agent leg without its caller after reconnect: hanging it up")
			c.hangupOrphan(id)
		}
	}
	c.resynced.Store(true)
	c.pokeIdle()
	c.obs.Resynced(len(adopt), len(gone))
	c.log.Info().Int("owned", len(live)).Int("adopted", len(adopt)).Int("gone", len(gone)).Msg("resync done")
	return nil
}

// bridgeMembers maps each channel in one of the app's bridges to that bridge.
func (c *Controller) bridgeMembers(ctx context.Context, bridgeIDs []string) map[string]string {
	out := map[string]string{}
	for _, bid := range bridgeIDs {
		h := c.client.Bridge().Get(cyari.NewKey(cyari.BridgeKey, bid))
		var members []string
		err := c.do(ctx, "get_bridge", func() error {
			d, err := h.Data()
			if err == nil {
				members = d.ChannelIDs
			}
			return err
		})
		if err != nil {
			c.log.Warn().Err(err).Str("bridge_id", bid).Msg("resync: bridge details unavailable")
			continue
		}
		for _, ch := range members {
			out[ch] = bid
		}
	}
	return out
}

// eventBarrier returns once every event Asterisk sent to our socket before
// the call was handled by the reader. It sends POST /events/user/{name} to
// our own application and waits for that ChannelUserevent: Asterisk writes
// it to the socket through the app's one message handler, behind any event
// written before, and our reader handles events in order in one goroutine
// (route registers a StasisStart's call before it reads the next event).
//
// Why that suffices: Asterisk sends a channel's StasisStart from
// stasis_app_exec when the channel enters the app, so a channel listed by
// GET /applications that entered after we subscribed had its StasisStart
// written before the listing was built, hence before our user event. One
// that entered before we subscribed never gets a StasisStart on this
// socket: it is the one to adopt.
func (c *Controller) eventBarrier(ctx context.Context) error {
	c.mu.Lock()
	c.barrierSeq++
	name := fmt.Sprintf("tenesa-resync-barrier-%d", c.barrierSeq)
	done := make(chan struct{})
	c.barriers[name] = done
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.barriers, name)
		c.mu.Unlock()
	}()
	err := c.do(ctx, "event_barrier", func() error { return c.postUserEvent(name) })
	if err != nil {
		return fmt.Errorf("resync event barrier: %w", err)
	}
	t := time.NewTimer(c.opts.RequestTimeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("resync event barrier: user event %q not received within %s", name, c.opts.RequestTimeout)
	}
}

// postUserEvent is POST /events/user/{name}?application= with no source.
func (c *Controller) postUserEvent(name string) error {
	q := url.Values{"application": {c.opts.Application}}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(c.opts.URL, "/")+"/events/user/"+url.PathEscape(name)+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.opts.Username, c.opts.Password)
	resp, err := c.restHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return &statusError{code: resp.StatusCode, msg: resp.Status}
}
