// Package ari connects the IVR to one Asterisk 22 over ARI and gives the
// router a narrow call-control port (Call, Leg, Bridge in port.go).
//
// It is built on github.com/CyCoreSystems/ari/v5 v5.3.1 and absorbs that
// version's traps:
//
//   - native.Connect blocks while Asterisk is down, reconnects silently with
//     no hook, and its reader panics on an event type the decoder does not
//     know (Asterisk 22 has seven). We build the client with native.New only
//     and run our own context-aware events WebSocket (coder/websocket) with
//     exponential backoff and full jitter; undecodable events are counted
//     (Observer.UnknownEvent) and dropped.
//   - Asterisk replays nothing after a reconnect. After every (re)connect,
//     resync lists GET /applications/{app}: channels nobody owns are adopted
//     (CallInfo.Adopted, with their bridge and agent legs if already
//     bridged), calls whose StasisEnd was lost are ended with ErrCallGone,
//     live calls keep their goroutine and re-check a playback whose events
//     were lost.
//   - Our reader routes each event to its owner by id (a call's inbox, a
//     playback id, an agent leg) with non-blocking sends, before anything
//     else can act, so nothing is lost between StasisStart and a
//     subscription and a slow call never stalls the reader. The library's
//     stdbus is not used (nothing subscribed to it): the native client has
//     no bus, so library handles' Subscribe must not be called.
//   - The client's http.Client has no timeout (native.RequestTimeout is
//     unused). installInternals gives it one (and our own Transport); every
//     request also runs under Options.RequestTimeout and the caller's
//     context (Controller.do), returning errors of class ErrTimeout.
//   - native.Logger and ari.Logger (log15, discarding) go to zerolog.
//   - Repeated media parameters play only the last, and a comma list in the
//     JSON body the library sends is not split: Play sends one playback per
//     item, with the call's playback id (see below) registered before the request.
//
// One goroutine owns one call: it runs the Handler, whose context ends with
// cause ErrCallGone on StasisEnd/ChannelDestroyed (or a 404/409 on the
// channel), ErrShutdown when Run's context ends, or ErrReplaced (below).
// Cleanup runs once, on a context of its own: agent legs are hung up,
// bridges destroyed, and a caller still in Stasis is continued in the
// dialplan (fallback queue) so no caller is left in silence.
//
// ApplicationReplaced (transcript 11: another connection registered our
// app; Asterisk sends this socket nothing more and the channels' events to
// the new owner): the controller stops owning everything. Every call's
// context ends with ErrReplaced and its cleanup sends nothing (no hang-up,
// no continue, no bridge or leg teardown); Controller.do refuses every
// further request; Connected() (readiness) is false for good; it does not
// reconnect as the app (that would take the app back and two controllers
// would drive one caller); Observer.ApplicationReplaced counts it, and Run
// returns an error wrapping ErrReplaced when it is stopped. The handler must
// not write a terminal record for such a call: the new owner adopts it and
// writes the one record (router/flow does so).
//
// Several controllers on one Asterisk (broadcast.go, transcripts 14–19):
// with its own application per controller and StasisBroadcast in the
// dialplan, every controller gets a CallBroadcast (decoded here; v5.3.1 does
// not know it) and claims the call with POST /events/claim while its gate is
// open: Connected(), not draining, and fewer than Options.MaxCalls calls
// owned or claimed (a claim in flight counts until its answer, so a burst
// cannot overshoot). 204: StasisStart follows and the call runs as any
// other; 409: another controller won (ClaimLost); 404: the broadcast was
// over (timed out, or the winner's session already ended) (ClaimFailed).
// ClaimObserver counts the results. A claim that wins after the caller hung
// up gets StasisStart then StasisEnd at once: the handler's context ends
// with ErrCallGone like any call that ends.
//
// The channel's control queue (transcript 20). Asterisk runs a channel's
// commands one after the other, and a playback holds the queue until it
// ends: answer, set variable and addChannel return only then (a 15 s prompt
// = a 15 s request, far past RequestTimeout), play/dtmf/continue are queued
// behind it; GET channel, DELETE /playbacks/{id} and DELETE /channels/{id}
// act at once. So a controller adopting a call its predecessor left
// mid-prompt (killed or replaced) must neither answer first nor wait for the
// prompt's end:
//
//   - Answer sends nothing for a channel known to be Up (adopted: the state
//     of GET /channels/{id}, which is not queued; or Up at StasisStart).
//   - Every playback of a call has the id <channelId>-pb (playbackID). An
//     adopter can compute it, and stops whatever the previous controller
//     left playing with DELETE /playbacks/<channelId>-pb before the handler
//     starts (404: nothing plays), waiting for its PlaybackFinished so the
//     next playback under that id does not take the event for its own. Why
//     not the alternatives: ARI cannot list a channel's playbacks and GET
//     /channels/{id} does not show them; keeping the id in a channel
//     variable would itself wait behind the playback; keeping it in Redis
//     adds a write per prompt and a store the ari layer does not otherwise
//     need; waiting for the old PlaybackFinished leaves the caller in the
//     old prompt for up to its full length. Reusing one id is safe because
//     a call has at most one playback at a time: Play returns only after the
//     playback's PlaybackFinished (or a 404), also when it stopped it.
//
// Presence (presence.go): WatchEndpoints subscribes the app to the agents'
// endpoints after every connect, reads their state then (events while
// disconnected are lost) and reports each EndpointStateChange, in order, on
// a goroutine of its own.
//
// A started playback whose PlaybackFinished is lost would hold the call
// until hang-up: Play stops it (DELETE) after its length
// (Options.PromptDurations, from deployments/asterisk/sounds durations.json)
// plus Options.PlaybackMargin, or Options.MaxPlayback for media of unknown
// length, and goes on as if it had finished.
package ari
