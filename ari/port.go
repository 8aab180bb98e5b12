package ari

import (
	"context"
	"time"
)

// Call is the narrow call-control port the router uses for one inbound call
// (DESIGN §3). It is built on CyCoreSystems/ari handles (playback: one
// pre-identified playback per media item rather than ext/play, see Play in
// media.go for why). Every
// method is bounded by the controller's request timeout and returns promptly
// once ctx ends; after the caller has left Stasis, methods return an error
// wrapping ErrCallGone. Call the methods from the handler's goroutine only
// (the call's state, e.g. its type-ahead DTMF buffer, is owned by it); to
// stop a Play or Gather early (an agent answered), cancel the ctx passed in.
type Call interface {
	// ID is the Asterisk channel id of the caller's channel.
	ID() string
	// Info is what StasisStart (or re-adoption) told us about the call.
	Info() CallInfo
	// Answer answers the channel (no-op if already Up).
	Answer(ctx context.Context) error
	// Play plays media URIs in order and waits for the end. With
	// opts.Interrupt set, the first DTMF key stops the playback and is
	// returned in PlayResult.Digit (and kept for a following Gather).
	Play(ctx context.Context, opts PlayOptions) (PlayResult, error)
	// Gather plays opts.Prompts (interruptible) then collects DTMF.
	Gather(ctx context.Context, opts GatherOptions) (GatherResult, error)
	// StartMOH / StopMOH start and stop music on hold on the channel.
	StartMOH(ctx context.Context, class string) error
	StopMOH(ctx context.Context) error
	// SetVar sets a channel variable (visible to the dialplan and the agent).
	SetVar(ctx context.Context, name, value string) error
	// Originate calls an agent endpoint into our application. The returned
	// Leg's Answered channel closes when the agent answers (StasisStart);
	// Gone closes when the agent leg ends (no answer, busy, hang-up).
	Originate(ctx context.Context, req OriginateRequest) (Leg, error)
	// Bridge joins the caller and the given leg in a mixing bridge.
	Bridge(ctx context.Context, leg Leg) (Bridge, error)
	// Continue sends the caller back to the dialplan (leaves Stasis).
	Continue(ctx context.Context, dialplanContext, extension string, priority int) error
	// Redirect hands the caller to a dialplan target (e.g. "147", the
	// consumer line): it continues at Options.RedirectContext (default
	// "tenesa-after-ivr"), extension target, priority 1, where the dialplan
	// lists the targets it may dial.
	Redirect(ctx context.Context, target string) error
	// Hangup hangs up the caller with a reason ("normal", "busy", ...).
	Hangup(ctx context.Context, reason string) error
}

// CallInfo describes an inbound call.
type CallInfo struct {
	ChannelID    string
	ChannelName  string
	CallerNumber string // raw caller ID as Asterisk gives it; mask before logging
	CallerName   string
	DNIS         string   // first Stasis argument (the dialed line)
	Args         []string // all Stasis arguments
	State        string   // channel state at StasisStart (Ring, Up, ...)
	Started      time.Time
	// Server is the name of the Asterisk the call is on (Options.Server;
	// "" with one Asterisk). The call stays there: its agent legs are
	// originated on the same box.
	Server string
	// Adopted is true when the call was picked up after a (re)connect,
	// not from a StasisStart event.
	Adopted bool
	// TakenOver is true for a call adopted by a controller that took over
	// the application of a dead peer (ari/failover): whatever that peer
	// knew of the call (IVR answers) died with it.
	TakenOver bool
	// BridgeID is set for an adopted call that is already in a bridge
	// (talking to an agent when its previous controller went away). The
	// call now owns that bridge and its agent legs: when the caller leaves,
	// cleanup hangs them up. A handler should wait for ctx rather than
	// restart the IVR flow.
	BridgeID string
	// AgentLegs are the agent legs found in that bridge: their Gone closes
	// when the agent hangs up, so the handler can end the call then rather
	// than leave the caller alone in the bridge.
	AgentLegs []Leg
}

// PlayOptions selects what to play.
type PlayOptions struct {
	Media     []string // e.g. "sound:tenesa/id/greeting-pagi", "digits:1234"
	Interrupt bool     // stop on the first DTMF key
}

// PlayStatus is how a playback ended.
type PlayStatus string

// Play statuses.
const (
	PlayFinished    PlayStatus = "finished"
	PlayInterrupted PlayStatus = "interrupted" // DTMF barge-in
	PlayFailed      PlayStatus = "failed"      // media missing or channel failure
)

// PlayResult reports a Play.
type PlayResult struct {
	Status PlayStatus
	Digit  string // the barge-in key, if any
}

// GatherOptions configures DTMF collection.
type GatherOptions struct {
	Prompts           []string
	MaxDigits         int           // 0: until terminator or timeout
	Terminator        string        // e.g. "#"; "" for none
	FirstDigitTimeout time.Duration // after the prompts end
	InterDigitTimeout time.Duration
	OverallTimeout    time.Duration // 0: no overall bound
}

// GatherStatus is how a Gather ended.
type GatherStatus string

// Gather statuses.
const (
	GatherComplete GatherStatus = "complete" // max digits or terminator
	GatherTimeout  GatherStatus = "timeout"  // some digits, then silence
	GatherSilence  GatherStatus = "silence"  // no digit at all
)

// GatherResult reports the digits collected (terminator excluded).
type GatherResult struct {
	Digits string
	Status GatherStatus
}

// OriginateRequest describes an agent leg.
type OriginateRequest struct {
	Endpoint  string            // e.g. "PJSIP/agent1001"
	CallerID  string            // shown to the agent
	Timeout   time.Duration     // ring timeout
	Variables map[string]string // screen-pop data as channel variables
	Args      []string          // Stasis args for the agent leg's StasisStart
}

// Leg is an originated channel (an agent).
type Leg interface {
	ID() string
	Answered() <-chan struct{}
	Gone() <-chan struct{}
	// EndCause is the Q.850 cause once Gone is closed (19 no answer, 17 busy, 16 normal).
	EndCause() int
	Hangup(ctx context.Context) error
}

// Bridge is a mixing bridge holding the caller and an agent.
type Bridge interface {
	ID() string
	Destroy(ctx context.Context) error
}

// Handler runs one call. It is called in the call's own goroutine; ctx ends
// (with cause ErrCallGone) when the channel leaves Stasis or is destroyed,
// or when the controller shuts down.
type Handler func(ctx context.Context, call Call)
