package ari

import (
	"context"
	"errors"
	"time"

	cyari "github.com/CyCoreSystems/ari/v5"
)

// Gather defaults when a timeout is 0.
const (
	DefaultFirstDigitTimeout = 5 * time.Second
	DefaultInterDigitTimeout = 3 * time.Second
)

// playbackWatchdog: a playback that has neither started nor finished after
// this long is checked with GET /playbacks/{id} (its events may be lost).
const playbackWatchdog = 5 * time.Second

// Play implements Call: one playback per media item, in order, each with a
// pre-chosen id (playbackID) routed to this call before the request is sent.
//
// Why not one request with a list: v5.3.1 sends media in a JSON body, and
// Asterisk does not split a comma-separated JSON string (it plays
// "a,b" as one missing file); repeated media parameters play only the last.
// Why not ext/play: it runs four goroutines per prompt that share its Result
// without synchronisation, DELETEs every finished playback (one more request
// and a 404 per item), and cannot carry a barge-in digit into a following
// Gather. One playback per item keeps everything in the call goroutine.
//
// Digits: every DTMF received is kept in the call's type-ahead buffer until a
// Gather consumes it. With Interrupt, a digit already in the buffer or
// received during the playback stops it (PlayInterrupted, Digit = that key).
func (cl *call) Play(ctx context.Context, opts PlayOptions) (PlayResult, error) {
	cl.drainInbox()
	res := PlayResult{Status: PlayFinished}
	for _, m := range opts.Media {
		if opts.Interrupt && len(cl.digits) > 0 {
			return PlayResult{Status: PlayInterrupted, Digit: string(cl.digits[0])}, nil
		}
		st, err := cl.playOne(ctx, m, opts.Interrupt)
		if err != nil {
			return PlayResult{Status: PlayFailed}, err
		}
		switch st {
		case PlayInterrupted:
			return PlayResult{Status: PlayInterrupted, Digit: string(cl.digits[0])}, nil
		case PlayFailed:
			if cl.ctx.Err() != nil { // failed because the caller hung up
				return PlayResult{Status: PlayFailed}, &RequestError{Op: "play", Class: classOf(cl.ctx), Err: context.Cause(cl.ctx)}
			}
			cl.log.Warn().Str("media", m).Msg("playback failed")
			res.Status = PlayFailed // keep playing the rest of the list
		}
	}
	return res, nil
}

// playbackID is the id of every playback on a call's channel: the channel id
// plus "-pb". One id per channel, not one per playback, so that a controller
// adopting the call after a restart can stop a prompt its predecessor left
// playing (stopPrevious): ARI cannot list a channel's playbacks, GET
// /channels/{id} does not show them, and storing the id in a channel
// variable would itself wait behind the playback (transcript 20). Reusing
// the id is safe because a call never has two playbacks at once: each
// playOne returns only after its PlaybackFinished (or a 404), also when it
// stops the playback (stopAndWait), and Asterisk forgets a finished playback
// at once.
func playbackID(channelID string) string { return channelID + "-pb" }

func (cl *call) playOne(ctx context.Context, media string, interrupt bool) (PlayStatus, error) {
	id := playbackID(cl.id)
	ph, err := cl.h.StagePlay(id, media)
	if err != nil {
		return PlayFailed, err
	}
	unregister := cl.registerPlayback(id)
	defer unregister()

	// The playback's events are followed while its request is out: an
	// Asterisk slow to answer may already play the prompt, even have
	// finished it, and the caller must not wait for the answer in silence.
	// The helper only sends the request (chanOp is safe from any
	// goroutine); everything else stays in the call's goroutine. A request
	// answered late (ErrTimeout) after its PlaybackStarted is taken as
	// done: the events show it was.
	reqDone := make(chan error, 1)
	if !cl.c.goRequest(func() { reqDone <- cl.chanOp(ctx, "play", ph.Exec) }) {
		return PlayFailed, &RequestError{Op: "play", Class: ErrShutdown, Err: ErrShutdown}
	}
	started := false
	watchdog := time.NewTimer(playbackWatchdog)
	defer watchdog.Stop()
	// bound: a started playback whose PlaybackFinished is lost would hold the
	// call until the caller hangs up; stop it after its length plus margin.
	var bound <-chan time.Time
	for {
		select {
		case err := <-reqDone:
			reqDone = nil
			if err == nil {
				continue
			}
			if started && errors.Is(err, ErrTimeout) && ctx.Err() == nil && cl.ctx.Err() == nil {
				cl.log.Warn().Err(err).Str("playback_id", id).Msg("play: answer late, the playback started: following it")
				continue
			}
			return PlayFailed, err
		case <-ctx.Done():
			cl.stopAndWait(ph)
			return PlayFailed, &RequestError{Op: "play", Class: classOf(ctx), Err: context.Cause(ctx)}
		case <-cl.ctx.Done():
			return PlayFailed, &RequestError{Op: "play", Class: classOf(cl.ctx), Err: context.Cause(cl.ctx)}
		case e := <-cl.inbox:
			switch ev := e.(type) {
			case *cyari.PlaybackStarted:
				if ev.Playback.ID == id && !started {
					started = true
					t := time.NewTimer(cl.c.playbackBound(media))
					defer t.Stop()
					bound = t.C
				}
			case *cyari.PlaybackFinished:
				if ev.Playback.ID == id {
					if ev.Playback.State == "failed" {
						return PlayFailed, nil
					}
					return PlayFinished, nil
				}
			case *cyari.ChannelDtmfReceived:
				cl.digits = append(cl.digits, ev.Digit...)
				if interrupt {
					cl.stopAndWait(ph)
					return PlayInterrupted, nil
				}
			}
		case <-bound:
			cl.log.Warn().Str("media", media).Str("playback_id", id).Msg("no PlaybackFinished within the prompt's length: stopping it and going on")
			cl.stopAndWait(ph)
			return PlayFinished, nil
		case <-cl.pokeCh:
			// Not while the request is out: the playback may not exist yet.
			if reqDone != nil {
				continue
			}
			if done, st := cl.playbackGone(ctx, ph); done {
				return st, nil
			}
		case <-watchdog.C:
			if !started && reqDone == nil {
				if done, st := cl.playbackGone(ctx, ph); done {
					return st, nil
				}
			}
			if !started {
				watchdog.Reset(playbackWatchdog)
			}
		}
	}
}

// registerPlayback routes the playback id's events to this call.
func (cl *call) registerPlayback(id string) (unregister func()) {
	c := cl.c
	c.mu.Lock()
	c.playbacks[id] = cl
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		if c.playbacks[id] == cl {
			delete(c.playbacks, id)
		}
		c.mu.Unlock()
	}
}

// playbackBound is how long a started playback of media may run before we
// stop it: its known length plus the margin, else Options.MaxPlayback.
func (c *Controller) playbackBound(media string) time.Duration {
	if d, ok := c.opts.PromptDurations[media]; ok {
		return d + c.opts.PlaybackMargin
	}
	return c.opts.MaxPlayback
}

// playbackGone checks a playback whose events may have been lost: Asterisk
// forgets a playback as soon as it ends (404), so 404 means it is over.
func (cl *call) playbackGone(ctx context.Context, ph *cyari.PlaybackHandle) (bool, PlayStatus) {
	err := cl.do(ctx, "get_playback", func() error { _, err := ph.Data(); return err })
	if errors.Is(err, ErrNotFound) {
		cl.log.Info().Str("playback_id", ph.ID()).Msg("playback ended while its events were lost")
		return true, PlayFinished
	}
	return false, ""
}

// stopAndWait stops a playback (DELETE /playbacks/{id} acts at once, it does
// not wait in the channel's queue) on a context of its own (the caller's may
// be over), then waits up to RequestTimeout for its PlaybackFinished, so the
// next playback under the same id cannot take that event for its own. DTMF
// meanwhile goes to the type-ahead buffer. A 404 means it had ended already.
// The playback's events must be routed to the call (registerPlayback).
func (cl *call) stopAndWait(ph *cyari.PlaybackHandle) {
	if cl.ctx.Err() != nil {
		return // channel gone (or no longer ours): nothing to stop
	}
	ctx, cancel := context.WithTimeout(context.Background(), cl.c.opts.RequestTimeout)
	defer cancel()
	// The PlaybackFinished is awaited while the request is out: a stop
	// acts at once, and an Asterisk slow to answer it must not keep the
	// caller in silence until the request's timeout (see playOne).
	reqDone := make(chan error, 1)
	if !cl.c.goRequest(func() { reqDone <- cl.c.do(ctx, "stop_playback", ph.Stop) }) {
		return
	}
	for {
		select {
		case err := <-reqDone:
			reqDone = nil
			if errors.Is(err, ErrNotFound) {
				return
			}
			if err != nil {
				cl.log.Warn().Err(err).Msg("stop playback failed")
				return
			}
		case <-ctx.Done():
			cl.log.Warn().Str("playback_id", ph.ID()).Msg("no PlaybackFinished after stopping the playback")
			return
		case <-cl.ctx.Done():
			return
		case e := <-cl.inbox:
			switch ev := e.(type) {
			case *cyari.PlaybackFinished:
				if ev.Playback.ID == ph.ID() {
					return
				}
			case *cyari.ChannelDtmfReceived:
				cl.digits = append(cl.digits, ev.Digit...)
			}
		}
	}
}

// stopPrevious stops a prompt that the call's previous controller left
// playing (it was killed, or replaced, mid-prompt). While it plays, the
// channel's control queue runs nothing else: answer, set variable and
// addChannel would wait for its end, and a new playback would be queued
// behind it (transcript 20). Its id is deterministic (playbackID), and
// DELETE /playbacks/{id} acts at once; 404 means nothing plays.
func (cl *call) stopPrevious() {
	id := playbackID(cl.id)
	unregister := cl.registerPlayback(id)
	defer unregister()
	ph := cl.c.client.Playback().Get(cyari.NewKey(cyari.PlaybackKey, id))
	cl.stopAndWait(ph)
}

// drainInbox moves queued DTMF into the type-ahead buffer and drops stale
// playback events (of playbacks we no longer wait for).
func (cl *call) drainInbox() {
	for {
		select {
		case e := <-cl.inbox:
			if ev, ok := e.(*cyari.ChannelDtmfReceived); ok {
				cl.digits = append(cl.digits, ev.Digit...)
			}
		default:
			return
		}
	}
}

// Gather implements Call: play the prompts (interruptible), then collect
// DTMF. Digits pressed during the prompts, or earlier (type-ahead), count.
// It ends with GatherComplete at MaxDigits or the terminator (excluded from
// Digits), GatherTimeout after some digits and then InterDigitTimeout (or
// OverallTimeout) of silence, GatherSilence when no digit came within
// FirstDigitTimeout. The terminator is a single key.
func (cl *call) Gather(ctx context.Context, opts GatherOptions) (GatherResult, error) {
	if len(opts.Prompts) > 0 {
		if _, err := cl.Play(ctx, PlayOptions{Media: opts.Prompts, Interrupt: true}); err != nil {
			return GatherResult{Status: GatherSilence}, err
		}
	}
	cl.drainInbox()
	first, inter := opts.FirstDigitTimeout, opts.InterDigitTimeout
	if first <= 0 {
		first = DefaultFirstDigitTimeout
	}
	if inter <= 0 {
		inter = DefaultInterDigitTimeout
	}
	var overall <-chan time.Time
	if opts.OverallTimeout > 0 {
		t := time.NewTimer(opts.OverallTimeout)
		defer t.Stop()
		overall = t.C
	}
	var got []byte
	// consume takes buffered digits; true when the gather is complete.
	consume := func() bool {
		for len(cl.digits) > 0 {
			d := cl.digits[0]
			cl.digits = cl.digits[1:]
			if opts.Terminator != "" && d == opts.Terminator[0] {
				return true
			}
			got = append(got, d)
			if opts.MaxDigits > 0 && len(got) >= opts.MaxDigits {
				return true
			}
		}
		return false
	}
	if consume() {
		return GatherResult{Digits: string(got), Status: GatherComplete}, nil
	}
	wait := first
	if len(got) > 0 {
		wait = inter
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	timedOut := func() (GatherResult, error) {
		if len(got) == 0 {
			return GatherResult{Status: GatherSilence}, nil
		}
		return GatherResult{Digits: string(got), Status: GatherTimeout}, nil
	}
	for {
		select {
		case <-ctx.Done():
			return GatherResult{Digits: string(got), Status: GatherSilence}, &RequestError{Op: "gather", Class: classOf(ctx), Err: context.Cause(ctx)}
		case <-cl.ctx.Done():
			return GatherResult{Digits: string(got), Status: GatherSilence}, &RequestError{Op: "gather", Class: classOf(cl.ctx), Err: context.Cause(cl.ctx)}
		case e := <-cl.inbox:
			ev, ok := e.(*cyari.ChannelDtmfReceived)
			if !ok {
				continue
			}
			cl.digits = append(cl.digits, ev.Digit...)
			if consume() {
				return GatherResult{Digits: string(got), Status: GatherComplete}, nil
			}
			timer.Reset(inter)
		case <-timer.C:
			return timedOut()
		case <-overall:
			return timedOut()
		}
	}
}
