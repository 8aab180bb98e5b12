package ari

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	cyari "github.com/CyCoreSystems/ari/v5"
	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

// maxEventSize bounds one WebSocket message (coder/websocket's default, 32 KiB,
// is too small for a StasisStart with many channel variables).
const maxEventSize = 1 << 20

// stableConnection: a connection that lived this long resets the backoff.
const stableConnection = 10 * time.Second

// connectLoop keeps the events WebSocket up until ctx ends: dial, resync,
// read; on failure wait with exponential backoff and full jitter. It never
// blocks past ctx (unlike native.Connect).
func (c *Controller) connectLoop(ctx context.Context) {
	attempt := 0
	everConnected := false
	for ctx.Err() == nil {
		conn, err := c.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			lvl := zerolog.WarnLevel
			if errors.Is(err, ErrUnauthorized) {
				lvl = zerolog.ErrorLevel
			}
			c.log.WithLevel(lvl).Err(err).Int("attempt", attempt+1).Msg("events websocket connect failed")
			if !sleepCtx(ctx, backoff(attempt, c.opts.ReconnectMin, c.opts.ReconnectMax)) {
				return
			}
			attempt++
			continue
		}
		up := time.Now()
		c.setConnected(true)
		if everConnected {
			c.obs.Reconnect()
			c.log.Info().Msg("events websocket reconnected")
		} else {
			c.log.Info().Msg("events websocket connected")
		}
		everConnected = true

		connCtx, cancelConn := context.WithCancel(ctx)
		// Channels that enter Stasis from now on get a StasisStart on this
		// socket: the resync must not adopt them (see resyncOnce).
		seen := map[string]bool{}
		c.mu.Lock()
		c.startedHere = seen
		c.mu.Unlock()
		// Asterisk replays nothing after a reconnect: rebuild from REST.
		c.goTracked(func() { c.resync(connCtx, seen); c.syncPresence(connCtx) })
		if c.opts.PingInterval > 0 {
			c.goTracked(func() { c.keepAlive(connCtx, conn, cancelConn) })
		}
		err = c.readLoop(connCtx, conn)
		cancelConn()
		c.setConnected(false)
		_ = conn.CloseNow()
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrReplaced) {
			// Reconnecting as the same app would take it back from the new
			// owner, and both would then drive the same callers. Stay
			// disconnected (not ready) until we are stopped, or until
			// Rejoin says the application is ours again.
			if c.opts.Rejoin == nil {
				c.log.Error().Msg("application replaced: not reconnecting; this controller stays not ready until it is stopped")
				<-ctx.Done()
				return
			}
			c.log.Error().Msg("application replaced: waiting until it is released before connecting again")
			if !c.rejoin(ctx) {
				return
			}
			attempt = 0
			continue
		}
		c.log.Warn().Err(err).Msg("events websocket lost")
		if time.Since(up) >= stableConnection {
			attempt = 0
		}
		if !sleepCtx(ctx, backoff(attempt, c.opts.ReconnectMin, c.opts.ReconnectMax)) {
			return
		}
		attempt++
	}
}

// rejoin waits for the released calls to end and for Options.Rejoin, then
// lets the controller take calls again. false: ctx ended first.
func (c *Controller) rejoin(ctx context.Context) bool {
	for {
		c.mu.Lock()
		n := len(c.calls) + len(c.legs)
		c.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return false
		case <-c.idleCh:
		}
	}
	if err := c.opts.Rejoin(ctx); err != nil || ctx.Err() != nil {
		return false
	}
	c.mu.Lock()
	c.stopped = false
	c.mu.Unlock()
	c.replaced.Store(false)
	c.log.Warn().Msg("application released: connecting again")
	return true
}

// backoff is "full jitter": uniform in [0, min(max, min·2^attempt)].
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	ceil := hi
	if attempt < 32 {
		if d := lo << attempt; d > 0 && d < hi {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (c *Controller) dial(ctx context.Context) (*websocket.Conn, error) {
	u, err := url.Parse(c.opts.WebsocketURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("app", c.opts.Application)
	u.RawQuery = q.Encode()
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.opts.Username+":"+c.opts.Password)))
	dctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, u.String(), &websocket.DialOptions{
		HTTPClient:     c.wsHTTP,
		HTTPHeader:     h,
		OnPongReceived: func(context.Context, []byte) { c.pongs.Add(1) },
	})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("events websocket handshake: %w", ErrUnauthorized)
		}
		return nil, err
	}
	conn.SetReadLimit(maxEventSize)
	return conn, nil
}

// keepAlive pings the peer; a failed ping closes the connection so readLoop
// returns and we reconnect (a dead TCP peer would otherwise block Read).
func (c *Controller) keepAlive(ctx context.Context, conn *websocket.Conn, cancel context.CancelFunc) {
	t := time.NewTicker(c.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, pcancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil && ctx.Err() == nil {
				c.log.Warn().Err(err).Msg("events websocket ping failed")
				cancel()
				return
			}
		}
	}
}

// readLoop reads events until the connection fails or ctx ends. It never
// blocks on anything but the socket: route only does map look-ups,
// non-blocking sends and `go`.
func (c *Controller) readLoop(ctx context.Context, conn *websocket.Conn) error {
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		if typ != websocket.MessageText {
			continue
		}
		c.handleMessage(data)
		if c.replaced.Load() {
			return ErrReplaced
		}
	}
}

// handleMessage decodes one event. v5.3.1's decoder returns an error for a
// type it does not know (Asterisk 22 has seven); the library's own reader
// then sends a nil event to the bus and panics. We count and drop those.
func (c *Controller) handleMessage(data []byte) {
	e, err := cyari.DecodeEvent(data)
	if e == nil {
		var m cyari.Message
		_ = json.Unmarshal(data, &m)
		if c.handleBroadcastEvent(m.Type, data) {
			return
		}
		if m.Type == "" {
			m.Type = "<none>"
		}
		c.unknown.Add(1)
		c.obs.UnknownEvent(m.Type)
		c.log.Warn().Str("event_type", m.Type).AnErr("err", err).Msg("dropping event the ARI library cannot decode")
		return
	}
	if err != nil {
		// Known type, some field did not decode: keep what we have rather than
		// lose a StasisStart or StasisEnd.
		c.log.Warn().Str("event_type", e.GetType()).Err(err).Msg("event decoded partially")
	}
	c.obs.Event(e.GetType())
	c.route(e)
}

// route delivers an event to its owner. Never blocks.
func (c *Controller) route(e cyari.Event) {
	switch ev := e.(type) {
	case *cyari.StasisStart:
		c.onStasisStart(ev)
	case *cyari.StasisEnd:
		c.onChannelGone(ev.Channel.ID, 0, true)
	case *cyari.ChannelDestroyed:
		c.onChannelGone(ev.Channel.ID, ev.Cause, false)
	case *cyari.ChannelHangupRequest:
		c.mu.Lock()
		l := c.legs[ev.Channel.ID]
		cl := c.calls[ev.Channel.ID]
		c.mu.Unlock()
		if l != nil {
			l.hangupRequested(ev.Cause, ev.Soft)
		}
		if cl != nil {
			// A hang-up request always ends with the channel leaving; end the
			// call now, so a playback that fails because of it (Asterisk sends
			// PlaybackFinished "failed" before StasisEnd) reads as the caller
			// gone, not as a missing prompt.
			cl.cancel(ErrCallGone)
		}
	case *cyari.ChannelDtmfReceived:
		c.mu.Lock()
		cl := c.calls[ev.Channel.ID]
		c.mu.Unlock()
		if cl != nil {
			cl.deliver(e)
		}
	case *cyari.PlaybackStarted:
		c.deliverPlayback(ev.Playback.ID, e)
	case *cyari.PlaybackFinished:
		c.deliverPlayback(ev.Playback.ID, e)
	case *cyari.ApplicationReplaced:
		c.onReplaced()
	case *cyari.EndpointStateChange:
		c.onEndpointState(ev)
	case *cyari.ChannelUserevent:
		c.mu.Lock()
		if ch := c.barriers[ev.Eventname]; ch != nil {
			delete(c.barriers, ev.Eventname)
			close(ch)
		}
		c.mu.Unlock()
	}
}

// onReplaced handles ApplicationReplaced (transcript 11: another connection
// registered our app; this socket gets nothing more, and Asterisk sends the
// channels' events to the new owner, which adopts them). We stop owning
// everything at once: readiness fails, no request is sent any more
// (Controller.do), and every call ends with ErrReplaced; its cleanup then
// leaves channels, legs and bridges alone for the new owner.
func (c *Controller) onReplaced() {
	if !c.replaced.CompareAndSwap(false, true) {
		return
	}
	c.obs.ApplicationReplaced()
	c.setConnected(false)
	n := c.releaseCalls(ErrReplaced)
	c.log.Error().Int("calls_released", n).Msg("ARI application replaced by another connection: calls released to the new owner")
}

// releaseCalls ends every call with cause without any request and accepts
// no new one. It returns how many calls it released.
func (c *Controller) releaseCalls(cause error) int {
	c.mu.Lock()
	c.stopped = true
	calls := make([]*call, 0, len(c.calls))
	for _, cl := range c.calls {
		calls = append(calls, cl)
	}
	c.mu.Unlock()
	for _, cl := range calls {
		cl.cancel(cause)
	}
	return len(calls)
}

func (c *Controller) deliverPlayback(id string, e cyari.Event) {
	c.mu.Lock()
	cl := c.playbacks[id]
	c.mu.Unlock()
	if cl != nil {
		cl.deliver(e)
	}
}

// onChannelGone handles StasisEnd (left our app) and ChannelDestroyed.
func (c *Controller) onChannelGone(id string, cause int, stasisEnd bool) {
	c.mu.Lock()
	cl := c.calls[id]
	l := c.legs[id]
	if cl == nil && l == nil {
		c.tombstoneLocked(id)
	}
	c.mu.Unlock()
	if cl != nil {
		cl.cancel(ErrCallGone)
	}
	if l != nil && !stasisEnd {
		c.forgetLeg(l)
		l.end(cause)
	}
}

// tombstones remember channels that ended while nobody owned them, so a
// resync that listed them a moment earlier does not adopt them.
const tombstoneTTL = time.Minute

func (c *Controller) tombstoneLocked(id string) {
	now := time.Now()
	if len(c.tombstones) >= 1024 {
		for k, t := range c.tombstones {
			if now.Sub(t) > tombstoneTTL {
				delete(c.tombstones, k)
			}
		}
	}
	c.tombstones[id] = now
}

func (c *Controller) onStasisStart(ev *cyari.StasisStart) {
	id := ev.Channel.ID
	c.mu.Lock()
	delete(c.claims, id) // a claim we won: the call counts from now on
	if c.startedHere != nil {
		c.startedHere[id] = true
	}
	if l := c.legs[id]; l != nil {
		c.mu.Unlock()
		l.answer()
		return
	}
	if c.ownedLocked(id) || c.stopped {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if c.isAgentLeg(id, ev.Args) {
		// Originated by a controller that is gone (restart): its caller no
		// longer waits for it. Hang up rather than leave an agent in silence.
		c.log.Warn().Str("leg_id", id).Msg("StasisStart of an agent leg nobody owns: hanging it up")
		c.goTracked(func() { c.hangupOrphan(id) })
		return
	}
	if c.draining.Load() {
		c.goTracked(func() { c.continueDrained(id) })
		return
	}
	info := CallInfo{
		ChannelID:   id,
		ChannelName: ev.Channel.Name,
		Args:        append([]string(nil), ev.Args...),
		State:       ev.Channel.State,
		Started:     time.Now(),
	}
	if ev.Channel.Caller != nil {
		info.CallerNumber = ev.Channel.Caller.Number
		info.CallerName = ev.Channel.Caller.Name
	}
	if len(ev.Args) > 0 {
		info.DNIS = ev.Args[0]
	}
	c.startCall(info)
}

// isAgentLeg recognises a leg we originated but no longer track (after a
// restart): by our id suffix or by the configured first Stasis argument.
func (c *Controller) isAgentLeg(id string, args []string) bool {
	return isLegID(id) || (len(args) > 0 && args[0] == c.opts.AgentArg)
}

// isLegID: one of our originated ids, or the ";2" half of one (a Local agent
// pair's other half is subscribed to our app too, transcript 05).
func isLegID(id string) bool {
	if i := strings.IndexByte(id, ';'); i >= 0 {
		id = id[:i]
	}
	return strings.HasSuffix(id, legIDSuffix)
}

// ownedLocked: a live call goroutine owns the channel. A call whose context
// already ended (StasisEnd) does not: the channel may re-enter Stasis while
// the old goroutine cleans up.
func (c *Controller) ownedLocked(id string) bool {
	cl := c.calls[id]
	return cl != nil && cl.ctx.Err() == nil
}

func (c *Controller) hangupOrphan(id string) {
	h := c.client.Channel().Get(cyari.NewKey(cyari.ChannelKey, id))
	err := c.do(context.Background(), "hangup_leg", func() error { return c.client.Channel().Hangup(h.Key(), "normal") })
	if err != nil && !errors.Is(err, ErrNotFound) {
		c.log.Warn().Err(err).Str("leg_id", id).Msg("hanging up orphan agent leg failed")
	}
}

func (c *Controller) continueDrained(id string) {
	ctx := context.Background()
	h := c.client.Channel().Get(cyari.NewKey(cyari.ChannelKey, id))
	err := c.do(ctx, "continue", func() error {
		return h.Continue(c.opts.DrainContext, c.opts.DrainExtension, c.opts.DrainPriority)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		c.log.Error().Err(err).Str("channel_id", id).Msg("draining: continue in dialplan failed")
		return
	}
	c.log.Info().Str("channel_id", id).Msg("draining: new call continued in the dialplan")
}
