// Package arisim is an Asterisk 22 ARI simulator: REST under /ari/... and
// the /ari/events WebSocket, with channels, bridges, playbacks, originate, a
// small built-in dialplan, scripted callers and agents, fault injection and
// a time scale for fast tests. It is a test and demo tool; production code
// paths must not use it.
//
// It reproduces what a real Asterisk 22.10.1 did in the recorded
// transcripts in testdata/transcripts (with their README of facts and the
// extensions.conf they were recorded with). The replay test replays 01–13 and 20
// and lists the others with the reason they are not replayed yet; the
// CyCoreSystems client (client/native, ext/play) works against it unchanged.
//
// # Using it
//
//	s := arisim.New(arisim.Options{Username: "tenesa", Password: "secret", TimeScale: 0.01})
//	if err := s.Start("127.0.0.1:0"); err != nil { ... }
//	defer s.Close()
//	cl, _ := native.Connect(&native.Options{Application: "tenesa-ivr",
//		URL: s.URL(), WebsocketURL: s.WebsocketURL(), Username: "tenesa", Password: "secret"})
//	call, _ := s.PlaceCall(arisim.Caller{Number: "081234567890",
//		Script: []arisim.Step{arisim.WaitForPrompt("menu"), arisim.Press("1"), arisim.WaitPromptEnd("bye"), arisim.HangUp()}})
//	<-call.Done()
//	report := call.Transcript() // Heard, DTMFSent, BridgedWith, HungUpBy ...
//
// A CLI serves it with ListenAndServe(ctx, "127.0.0.1:8088"), or mounts
// Handler() on its own server.
//
// # What a call looks like
//
// PlaceCall with Tech "Local" (default) creates the pair
// Local/<DNIS>@tenesa-in-XXXXXXXX;1/;2 exactly like the transcripts' test
// rig: the ;2 half enters Stasis(<App>,<DNIS>) in state Ring (StasisStart
// args [DNIS]); the ;1 half is the caller and runs the Script once the
// controller answers. Tech "PJSIP" gives one PJSIP/<Number>-XXXXXXXX channel
// shaped like transcript 01 (RTPAUDIOQOS variables before the hangup
// request of a DELETE). If the app has no events socket, Stasis fails as in
// transcript 12 and the call ends at once (Call.ChannelID is "").
//
// The rig's own requests work literally too: POST /ari/channels with
// endpoint=Local/8000@tenesa-in&context=caller-sim&extension=<n> and
// variables WAIT1/DTMF_SCRIPT/WAIT2, or endpoint=Local/<n>@caller-sim with
// context=tenesa-in (transcript 13).
//
// # Built-in dialplan (extensions.conf of the transcripts)
//
//	[tenesa-in]      NoOp, Stasis(tenesa-ivr,${EXTEN}), Hangup   (also [from-callers])
//	[caller-sim]     Answer, Wait(WAIT1), SendDTMF(DTMF_SCRIPT), Wait(WAIT2), Hangup
//	[agent-sim]      Answer, Wait(30), Hangup              (Local/100N@agent-sim)
//	[agent-noanswer] Ringing, Wait(120), Hangup            (never answers)
//	[after-continue] NoOp, Playback(beep), Hangup
//	[broadcast-in]   NoOp, StasisBroadcast(2000,^tenesa-ivr-,${EXTEN}), NoOp, Wait(1), Hangup
//	                 (8001: args "8001:notify", notify_claimed=yes; Caller.Broadcast)
//
// StasisBroadcast (broadcast.go, transcripts 14–19) sends CallBroadcast to
// every connected app matching the filter; POST /events/claim (channelId,
// application, query or JSON body) answers 204 to the first claim, 409
// while the winner's session lasts, 404 before/after the broadcast; the
// winner gets StasisStart, CallClaimed goes to the matching apps when
// notify_claimed is on; no claim within Options.BroadcastTimeout gives
// STASISSTATUS=TIMEOUT and the dialplan continues.
//
// AddAgent overrides what an originated endpoint does (answer delay, never
// answer, busy, hang up after a while); PJSIP endpoints must be added to be
// reachable (otherwise originate answers 500 Allocation failed, like an
// unknown technology).
//
// # Time
//
// Every simulated duration (prompt lengths, script waits, DTMF spacing,
// ring and originate timeouts) runs TimeScale times real time. One
// scheduler goroutine runs timers in sim-time order, each at its scheduled
// sim instant even when the machine is slow, so durations in event
// timestamps and Heard times are exact and order never depends on load.
// Prompt durations come from the transcripts (hello-world 1.403 s,
// vm-goodbye 0.864 s, beep 0.424 s, tt-weasels 3 s, tt-monkeys 16.178 s,
// digits/number/characters 0.824 s per character), from
// Options.PromptDurations, or DefaultPromptDuration; tone: plays until
// stopped.
//
// # Events
//
// Events are compact JSON text messages with Asterisk's key order per type.
// An app gets the events of channels in it (and, for channels it originated
// with app=, of both Local halves until ChannelDestroyed); subscribeAll
// sockets also get ChannelCreated, BridgeCreated, DeviceStateChanged and
// the dialplan events of every channel; an app subscribed to
// endpoint:PJSIP/<name> gets its EndpointStateChange (SetEndpointOnline
// takes an endpoint offline: originating it then fails with 500 Allocation
// failed). A second socket for the same app
// replaces the first (ApplicationReplaced); events for an app without a
// socket are lost, nothing is replayed on reconnect.
//
// # The channel's control queue (transcript 20)
//
// A channel in Stasis runs its commands one after the other (control.go),
// and a playback holds the queue until it ends or is stopped. answer, POST
// variable and addChannel answer only once they ran, so behind a playback
// they take as long as its rest; play, dtmf and continue answer at once and
// take effect in queue order (continue's StasisEnd comes with the
// playback's PlaybackFinished; a dtmf digit reaches the Local peer 200 ms
// after it started, the next command 300 ms after); GET channel/variable,
// ring, moh, hold, mute, silence, DELETE /channels, DELETE /playbacks, snoop
// and POST /bridges act at once. A held request whose channel is hung up
// answers 404 Channel not found.
//
// # Differences from Asterisk worth knowing
//
//   - Unknown Local contexts and unregistered PJSIP endpoints fail the
//     originate with 500 {"error":"Allocation failed"}.
//   - POST /channels/create + /dial work for agent endpoints (the
//     channel is in Stasis in state Down until dialed).
//   - POST /snoop creates the Snoop channel and its Stasis session but no
//     audio. /record, /externalMedia,
//     channel/bridge "variables", recordings, sounds and mailboxes are not
//     implemented (404 from the mux). Hold, mute and silence answer 204
//     without events; playback control operations answer 204 but do not
//     change timing.
//   - Reusing a playback id while it plays is deterministic here: the first
//     DELETE stops the playing one, the second stops the next (Asterisk got
//     this right in 2 of 3 runs, see transcript 09).
//   - After a 409 duplicate-id originate, the next allocation failure also
//     answers 409 (Asterisk's stale error state in 09), server-wide rather
//     than per HTTP connection.
package arisim
