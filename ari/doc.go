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
//   - stdbus subscriptions hold 100 events and drop the rest. Our reader
//     routes each event to its owner by id (a call's inbox, a playback id,
//     an agent leg) with non-blocking sends, before anything else can act,
//     so nothing is lost between StasisStart and a subscription and a slow
//     call never stalls the reader. The events are also sent to a stdbus
//     bus installed into the client, so library handles' Subscribe work.
//   - The client's http.Client has no timeout (native.RequestTimeout is
//     unused). installInternals gives it one (and our own Transport); every
//     request also runs under Options.RequestTimeout and the caller's
//     context (Controller.do), returning errors of class ErrTimeout.
//   - native.Logger and ari.Logger (log15, discarding) go to zerolog.
//   - Repeated media parameters play only the last, and a comma list in the
//     JSON body the library sends is not split: Play sends one playback per
//     item, with ids from rid registered before the request.
//
// One goroutine owns one call: it runs the Handler, whose context ends with
// cause ErrCallGone on StasisEnd/ChannelDestroyed (or a 404/409 on the
// channel), or ErrShutdown when Run's context ends. Cleanup runs once, on a
// context of its own: agent legs are hung up, bridges destroyed, and a
// caller still in Stasis is continued in the dialplan (fallback queue) so
// no caller is left in silence.
package ari
