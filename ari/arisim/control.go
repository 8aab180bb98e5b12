package arisim

import (
	"net/http"
	"time"
)

// The control queue of a channel in Stasis (transcript 20; Asterisk's
// res/stasis/control.c). Each channel has one queue of commands that its own
// thread runs one after the other, in the order they came. A playback is such
// a command and holds the queue until its sound ends or is stopped, so
//
//   - synchronous commands (answer, set variable, addChannel) answer their
//     HTTP request only once they ran: behind a playback, when it ends;
//   - asynchronous commands (play, dtmf, continue) answer at once but take
//     effect in queue order (continue's StasisEnd comes with the playback's
//     PlaybackFinished);
//   - everything else (GET channel/variable, ring, moh, hold, mute, silence,
//     DELETE /channels, DELETE /playbacks, snoop, POST /bridges) does not go
//     through the queue and acts at once.
//
// ring, moh, hold, mute and silence are asynchronous commands in Asterisk
// too, but they produce no event, so the simulator runs them at once.

// ctlItem is one queued command: a playback, or fn, which calls done when
// it has finished (at once, or after a sim delay). abort, if set, runs
// instead when the channel goes before the command ran.
type ctlItem struct {
	pb    *playback
	fn    func(done func())
	abort func()
}

// ctlPush queues a command on ch; it runs at once when the queue is idle.
// Called with the lock held.
func (s *Server) ctlPush(ch *channel, it ctlItem) {
	ch.ctl = append(ch.ctl, it)
	if !ch.ctlBusy {
		s.ctlNext(ch)
	}
}

// ctlIdle: nothing runs or waits on ch's queue.
func (ch *channel) ctlIdle() bool { return !ch.ctlBusy && len(ch.ctl) == 0 }

// ctlNext runs the next queued command, if any.
func (s *Server) ctlNext(ch *channel) {
	for !ch.ctlBusy && len(ch.ctl) > 0 && !ch.gone {
		it := ch.ctl[0]
		ch.ctl = ch.ctl[1:]
		ch.ctlBusy = true
		if it.pb != nil {
			s.startPlayback(it.pb) // finishPlayback calls ctlDone
			continue
		}
		finished := false
		it.fn(func() {
			if finished {
				return
			}
			finished = true
			s.ctlDone(ch)
		})
	}
}

// ctlDone ends the running command and starts the next.
func (s *Server) ctlDone(ch *channel) {
	ch.ctlBusy = false
	s.ctlNext(ch)
}

// ctlAbort drops the queued commands of a channel that is going.
func (s *Server) ctlAbort(ch *channel) {
	q := ch.ctl
	ch.ctl = nil
	ch.ctlBusy = false
	for _, it := range q {
		if it.abort != nil {
			it.abort()
		}
	}
}

// syncCmd runs effect as a synchronous command of ch and answers the request
// with 204 once it ran: at once on an idle queue, else when the commands
// before it (a playback) have finished. A channel that goes first answers
// 404. Called from a chanOp handler (lock held); it releases the lock while
// it waits.
func (s *Server) syncCmd(w http.ResponseWriter, r *http.Request, ch *channel, effect func()) {
	if ch.ctlIdle() {
		writeNoContent(w)
		effect()
		return
	}
	res := make(chan int, 1)
	s.ctlPush(ch, ctlItem{
		fn: func(done func()) {
			res <- http.StatusNoContent
			effect()
			done()
		},
		abort: func() { res <- http.StatusNotFound },
	})
	s.unlock()
	var status int
	select {
	case status = <-res:
	case <-r.Context().Done():
		status = http.StatusServiceUnavailable
	case <-s.done:
		status = http.StatusServiceUnavailable
	}
	s.lock()
	if status == http.StatusNoContent {
		writeNoContent(w)
		return
	}
	if status == http.StatusNotFound {
		writeMsg(w, http.StatusNotFound, "Channel not found")
		return
	}
	writeMsg(w, status, "Asterisk is shutting down")
}

// asyncCmd queues effect on ch: the request is answered at once, the effect
// happens in queue order. effect calls done when it has finished.
func (s *Server) asyncCmd(ch *channel, effect func(done func())) {
	s.ctlPush(ch, ctlItem{fn: effect})
}

// DTMF sent by ARI (POST /channels/{id}/dtmf, defaults between=100ms,
// duration=100ms): the far end reports each digit 200 ms after it was
// started, and the command ends 100 ms later (transcript 20: the digit on
// ;1 200 ms, the next queued playback 301 ms after the playback before it).
const (
	sendDigitReport = 200 * time.Millisecond
	sendDigitEnd    = 300 * time.Millisecond
)
