package ari

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Several controllers on one Asterisk (StasisBroadcast, Asterisk ≥ 22.7).
//
// Each controller registers its own application (tenesa-ivr-<instance>) and
// the dialplan offers each call to all of them with
// StasisBroadcast(<timeout>,^tenesa-ivr-,<line>): every connected app whose
// name matches gets a CallBroadcast event, the first POST /events/claim
// wins (204), a later one gets 409, and the winner receives the channel's
// StasisStart like any other call. Nobody claiming within the timeout sends
// the call on in the dialplan (STASISSTATUS=TIMEOUT, the fallback queue).
//
// A controller claims only while its gate is open: connected (and not
// replaced), not draining, and owning fewer than Options.MaxCalls calls
// (counting claims won whose StasisStart has not arrived yet). So load
// spreads over the controllers and a sick one stops taking calls by
// itself. CallClaimed (sent when the dialplan sets notify_claimed) is only
// counted as an event: the claim's own answer already tells us the result.
// The library (v5.3.1) knows neither event; handleMessage decodes them
// here.

// ClaimResult is the closed set of outcomes of a CallBroadcast.
type ClaimResult string

// Claim results.
const (
	ClaimWon     ClaimResult = "won"     // 204: the call is ours, StasisStart follows
	ClaimLost    ClaimResult = "lost"    // 409: another controller was first
	ClaimSkipped ClaimResult = "skipped" // our gate was closed: not claimed
	ClaimFailed  ClaimResult = "failed"  // 404 (timed out, caller gone), other status, timeout
)

// ClaimResults lists every ClaimResult (metrics create their series at zero).
var ClaimResults = []ClaimResult{ClaimWon, ClaimLost, ClaimSkipped, ClaimFailed}

// ClaimObserver is an Observer that also counts the claims of broadcast
// calls. The metrics package implements it.
type ClaimObserver interface {
	Claim(result string) // a ClaimResult
}

// callBroadcast is the part of a CallBroadcast / CallClaimed event we use.
type callBroadcast struct {
	Type    string `json:"type"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	WinnerApp   string `json:"winner_app"`
	Application string `json:"application"`
}

// parseCallBroadcast decodes a CallBroadcast or CallClaimed event.
func parseCallBroadcast(data []byte) (callBroadcast, error) {
	var e callBroadcast
	if err := json.Unmarshal(data, &e); err != nil {
		return e, err
	}
	if e.Type != "CallBroadcast" && e.Type != "CallClaimed" {
		return e, fmt.Errorf("not a broadcast event: %q", e.Type)
	}
	if e.Channel.ID == "" {
		return e, errors.New("broadcast event without channel id")
	}
	return e, nil
}

// handleBroadcastEvent handles the two broadcast events the library cannot
// decode. It reports whether data was one of them.
func (c *Controller) handleBroadcastEvent(typ string, data []byte) bool {
	if typ != "CallBroadcast" && typ != "CallClaimed" {
		return false
	}
	e, err := parseCallBroadcast(data)
	if err != nil {
		c.log.Warn().Str("event_type", typ).Err(err).Msg("dropping malformed broadcast event")
		c.unknown.Add(1)
		c.obs.UnknownEvent(typ)
		return true
	}
	c.obs.Event(typ)
	if typ == "CallClaimed" {
		c.log.Debug().Str("channel_id", e.Channel.ID).Str("winner_app", e.WinnerApp).Msg("broadcast call claimed")
		return true
	}
	c.onCallBroadcast(e.Channel.ID)
	return true
}

// onCallBroadcast claims the call if the gate is open. Never blocks: the
// claim runs in its own goroutine.
func (c *Controller) onCallBroadcast(id string) {
	if reason := c.reserveClaim(id); reason != "" {
		c.claimDone(ClaimSkipped)
		c.log.Debug().Str("channel_id", id).Str("reason", reason).Msg("broadcast call not claimed")
		return
	}
	if !c.goTracked(func() { c.claim(id) }) {
		c.releaseClaim(id)
	}
}

// reserveClaim opens the gate for one claim, or says why it is closed.
// The reservation counts against MaxCalls until StasisStart (or the claim
// failing) releases it, so concurrent broadcasts cannot overshoot.
func (c *Controller) reserveClaim(id string) string {
	switch {
	case !c.Connected():
		return "not connected"
	case c.draining.Load():
		return "draining"
	case c.opts.Adopter:
		return "adopted application"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.stopped:
		return "stopping"
	case c.ownedLocked(id) || c.claims[id]:
		return "already ours"
	case c.opts.MaxCalls > 0 && len(c.calls)+len(c.claims) >= c.opts.MaxCalls:
		return "at max_calls"
	}
	c.claims[id] = true
	return ""
}

func (c *Controller) releaseClaim(id string) {
	c.mu.Lock()
	delete(c.claims, id)
	c.mu.Unlock()
	c.pokeIdle()
}

func (c *Controller) claimDone(r ClaimResult) {
	if co, ok := c.obs.(ClaimObserver); ok {
		co.Claim(string(r))
	}
}

// claim sends POST /events/claim for our application.
func (c *Controller) claim(id string) {
	err := c.do(context.Background(), "claim", func() error { return c.postClaim(id) })
	switch status := StatusCode(err); {
	case err == nil:
		c.claimDone(ClaimWon)
		c.log.Debug().Str("channel_id", id).Msg("broadcast call claimed")
		// StasisStart normally comes with the 204 (and releases the
		// reservation); if it never does (socket lost), do not hold the
		// slot for ever.
		time.AfterFunc(c.opts.RequestTimeout, func() { c.releaseClaim(id) })
		return
	case status == http.StatusConflict:
		c.claimDone(ClaimLost)
		c.log.Debug().Str("channel_id", id).Msg("broadcast call claimed by another controller")
	default:
		c.claimDone(ClaimFailed)
		c.log.Info().Str("channel_id", id).Err(err).Msg("claiming a broadcast call failed")
	}
	c.releaseClaim(id)
}

// statusError is a non-2xx answer to a request the library cannot make.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("status %d: %s", e.code, e.msg)
}

// postClaim is POST /events/claim?channelId=&application= (not in v5.3.1).
func (c *Controller) postClaim(id string) error {
	q := url.Values{"channelId": {id}, "application": {c.opts.Application}}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(c.opts.URL, "/")+"/events/claim?"+q.Encode(), nil)
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
	var m struct {
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&m)
	return &statusError{code: resp.StatusCode, msg: m.Message}
}
