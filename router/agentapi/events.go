package agentapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// hub follows the pool's events (the leaders' feed carries every event)
// and keeps the last few in a ring with sequence numbers, so that streams
// read them without blocking the feed and a reconnecting client can be
// given what it missed.
type hub struct {
	epoch  string // distinguishes this process's sequence numbers
	cancel func()
	done   chan struct{}

	mu     sync.Mutex
	ring   []stamped
	seq    uint64        // of the newest event; 0 before the first
	wake   chan struct{} // closed and replaced on every event
	closed bool
}

type stamped struct {
	seq uint64
	ev  acd.Event
}

func newHub(size int, events <-chan acd.Event, cancel func()) *hub {
	var b [4]byte
	_, _ = rand.Read(b[:])
	h := &hub{epoch: hex.EncodeToString(b[:]), cancel: cancel, done: make(chan struct{}),
		ring: make([]stamped, size), wake: make(chan struct{})}
	go h.follow(events)
	return h
}

func (h *hub) follow(events <-chan acd.Event) {
	defer close(h.done)
	for ev := range events {
		h.mu.Lock()
		h.seq++
		h.ring[h.seq%uint64(len(h.ring))] = stamped{seq: h.seq, ev: ev}
		close(h.wake)
		h.wake = make(chan struct{})
		h.mu.Unlock()
	}
	h.mu.Lock()
	h.closed = true
	close(h.wake)
	h.mu.Unlock()
}

func (h *hub) close() {
	h.cancel()
	<-h.done
}

// since returns the events after seq that keep accepts, the newest
// sequence number, a channel closed at the next event, and whether events
// after seq were lost (fell out of the ring) or the hub is closed.
func (h *hub) since(seq uint64, keep func(acd.Event) bool) (evs []stamped, last uint64, wake <-chan struct{}, lost, closed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := uint64(len(h.ring))
	if h.seq > seq && h.seq-seq > n {
		return nil, h.seq, h.wake, true, h.closed
	}
	for s := seq + 1; s <= h.seq; s++ {
		if e := h.ring[s%n]; keep(e.ev) {
			evs = append(evs, e)
		}
	}
	return evs, h.seq, h.wake, false, h.closed
}

// resume parses a Last-Event-ID of this process: the sequence to resume
// after, or false when it is not one of ours or no longer in the ring.
func (h *hub) resume(lastID string) (uint64, bool) {
	epoch, s, ok := strings.Cut(lastID, "-")
	if !ok || epoch != h.epoch {
		return 0, false
	}
	seq, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if seq > h.seq || h.seq-seq > uint64(len(h.ring)) {
		return 0, false
	}
	return seq, true
}

func (h *hub) id(seq uint64) string { return h.epoch + "-" + strconv.FormatUint(seq, 10) }

func (h *hub) position() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq
}

// forAgent keeps an agent's own events (not the queue figures).
func forAgent(id string) func(acd.Event) bool {
	return func(ev acd.Event) bool { return ev.AgentID == id && ev.Type != acd.EventQueues }
}

func allEvents(acd.Event) bool { return true }

func (a *API) agentEvents(w http.ResponseWriter, r *http.Request, p principal) {
	id := r.PathValue("id")
	if id != p.id {
		a.fail(w, r, forbidden(fmt.Sprintf("this token is not agent %s's", printable(id))))
		return
	}
	a.stream(w, r, forAgent(id), func() (any, error) { return a.b.Agent(r.Context(), id) })
}

// leaderSnapshot is the first event of a leaders' stream.
type leaderSnapshot struct {
	Agents []acd.AgentStatus `json:"agents"`
	Queues []acd.QueueStatus `json:"queues"`
}

func (a *API) leaderEvents(w http.ResponseWriter, r *http.Request, p principal) {
	if !p.leader() {
		a.fail(w, r, forbidden("only team leaders and supervisors read the leaders' events"))
		return
	}
	a.stream(w, r, allEvents, func() (any, error) {
		ags, err := a.b.Agents(r.Context())
		if err != nil {
			return nil, err
		}
		qs, err := a.b.Queues(r.Context())
		if err != nil {
			return nil, err
		}
		if ags == nil {
			ags = []acd.AgentStatus{}
		}
		if qs == nil {
			qs = []acd.QueueStatus{}
		}
		return leaderSnapshot{Agents: ags, Queues: qs}, nil
	})
}

// stream serves one SSE stream until the client goes or the API closes.
func (a *API) stream(w http.ResponseWriter, r *http.Request, keep func(acd.Event) bool, snapshot func() (any, error)) {
	rc := http.NewResponseController(w)
	seq, resumed := a.hub.resume(r.Header.Get("Last-Event-ID"))
	var snap any
	if !resumed {
		// The position is taken before the snapshot is read: an event in
		// between is sent after it (seen twice at worst, never lost).
		seq = a.hub.position()
		var err error
		if snap, err = snapshot(); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	// A stream outlives the server's write timeout.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := &sseWriter{w: w}
	out.raw("retry: 3000\n\n")
	if snap != nil {
		out.event(a.hub.id(seq), "snapshot", snap)
	}
	if out.err == nil {
		out.err = rc.Flush()
	}
	ping := time.NewTicker(a.keepAlive)
	defer ping.Stop()
	for out.err == nil {
		evs, last, wake, lost, closed := a.hub.since(seq, keep)
		if lost {
			s, err := snapshot()
			if err != nil {
				return
			}
			out.event(a.hub.id(last), "snapshot", s)
		}
		for _, e := range evs {
			out.event(a.hub.id(e.seq), string(e.ev.Type), e.ev)
		}
		seq = last
		if out.err == nil && (len(evs) > 0 || lost) {
			out.err = rc.Flush()
		}
		if closed || out.err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		case <-ping.C:
			out.raw(": keep-alive\n\n")
			if out.err == nil {
				out.err = rc.Flush()
			}
		}
	}
}

// sseWriter writes SSE frames and keeps the first write error.
type sseWriter struct {
	w   http.ResponseWriter
	err error
}

func (s *sseWriter) raw(str string) {
	if s.err == nil {
		_, s.err = s.w.Write([]byte(str))
	}
}

// event writes one event; data is JSON on one line (json.Marshal escapes
// newlines inside strings), so no field can break the frame.
func (s *sseWriter) event(id, typ string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		return
	}
	if typ == "" || strings.ContainsAny(typ, "\r\n") {
		typ = "message"
	}
	s.raw("id: " + id + "\nevent: " + typ + "\ndata: " + string(b) + "\n\n")
}
