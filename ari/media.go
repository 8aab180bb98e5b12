package ari

import (
	"context"
	"errors"
	"time"

	cyari "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/rid"
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
// pre-chosen id (rid) routed to this call before the request is sent.
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

func (cl *call) playOne(ctx context.Context, media string, interrupt bool) (PlayStatus, error) {
	id := rid.New(rid.Playback)
	ph, err := cl.h.StagePlay(id, media)
	if err != nil {
		return PlayFailed, err
	}
	c := cl.c
	c.mu.Lock()
	c.playbacks[id] = cl
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.playbacks, id)
		c.mu.Unlock()
	}()

	if err := cl.chanOp(ctx, "play", ph.Exec); err != nil {
		return PlayFailed, err
	}
	started := false
	watchdog := time.NewTimer(playbackWatchdog)
	defer watchdog.Stop()
	for {
		select {
		case <-ctx.Done():
			cl.stopPlayback(ph)
			return PlayFailed, &RequestError{Op: "play", Class: classOf(ctx), Err: context.Cause(ctx)}
		case <-cl.ctx.Done():
			return PlayFailed, &RequestError{Op: "play", Class: classOf(cl.ctx), Err: context.Cause(cl.ctx)}
		case e := <-cl.inbox:
			switch ev := e.(type) {
			case *cyari.PlaybackStarted:
				if ev.Playback.ID == id {
					started = true
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
					cl.stopPlayback(ph)
					return PlayInterrupted, nil
				}
			}
		case <-cl.pokeCh:
			if done, st := cl.playbackGone(ctx, ph); done {
				return st, nil
			}
		case <-watchdog.C:
			if !started {
				if done, st := cl.playbackGone(ctx, ph); done {
					return st, nil
				}
				watchdog.Reset(playbackWatchdog)
			}
		}
	}
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

// stopPlayback stops a playback on a context of its own (the caller's may be
// over); a 404 means it had ended already.
func (cl *call) stopPlayback(ph *cyari.PlaybackHandle) {
	if cl.ctx.Err() != nil {
		return // channel gone: nothing plays any more
	}
	ctx, cancel := context.WithTimeout(context.Background(), cl.c.opts.RequestTimeout)
	defer cancel()
	err := cl.c.do(ctx, "stop_playback", ph.Stop)
	if err != nil && !errors.Is(err, ErrNotFound) {
		cl.log.Warn().Err(err).Msg("stop playback failed")
	}
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
