package arisim

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// app is a Stasis application. Events go to its newest socket only; an
// older socket gets ApplicationReplaced and then nothing (transcript 11).
type app struct {
	name         string
	current      *wsConn
	subscribeAll bool
}

// wsConn is one /ari/events connection. Its writer runs in the HTTP
// handler goroutine; producers enqueue without blocking (under s.mu).
type wsConn struct {
	apps     []string
	seq      int
	out      chan wsMsg
	killOnce sync.Once
	killed   chan struct{}
}

func (w *wsConn) kill() { w.killOnce.Do(func() { close(w.killed) }) }

func (s *Server) appFor(name string) *app {
	a := s.apps[name]
	if a == nil {
		a = &app{name: name}
		s.apps[name] = a
	}
	return a
}

// appActive reports whether a socket is registered for the app now.
func (s *Server) appActive(name string) bool {
	a := s.apps[name]
	return a != nil && a.current != nil
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	var names []string
	for _, v := range r.URL.Query()["app"] {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		writeMsg(w, http.StatusBadRequest, "Missing param 'app'")
		return
	}
	all := isTrue(r.URL.Query().Get("subscribeAll"))
	// The application is registered before the handshake answer goes out,
	// as Asterisk does: a client that saw its socket open may place a call
	// at once and must find the app there (events queue until the writer
	// runs).
	ws := &wsConn{apps: names, out: make(chan wsMsg, s.opts.WebsocketQueue), killed: make(chan struct{})}
	s.lock()
	if s.closed {
		s.unlock()
		writeMsg(w, http.StatusServiceUnavailable, "Shutting down")
		return
	}
	s.connWG.Add(1)
	s.wsSeq++
	ws.seq = s.wsSeq
	s.sockets[ws] = struct{}{}
	for _, n := range names {
		a := s.appFor(n)
		if old := a.current; old != nil && old != ws {
			s.enqueue(old, obj{{"type", "ApplicationReplaced"}, {"timestamp", s.stamp()}, {"application", n}, {"asterisk_id", s.opts.EntityID}})
		}
		a.current = ws
		a.subscribeAll = all
	}
	s.log.Debug().Strs("apps", names).Bool("subscribe_all", all).Msg("events socket connected")
	s.unlock()
	defer s.connWG.Done()
	unregister := func() {
		s.lock()
		delete(s.sockets, ws)
		for _, n := range names {
			if a := s.apps[n]; a != nil && a.current == ws {
				a.current = nil
				a.subscribeAll = false
			}
		}
		s.unlock()
		ws.kill()
	}

	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		unregister()
		return
	}
	ctx := conn.CloseRead(context.Background())
	s.writeLoop(ctx, conn, ws)

	unregister()
	_ = conn.CloseNow()
	<-ctx.Done()
}

func (s *Server) writeLoop(ctx context.Context, conn *websocket.Conn, ws *wsConn) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ws.killed:
			return
		case msg := <-ws.out:
			wctx, cancel := context.WithTimeout(ctx, s.opts.WebsocketWriteTimeout)
			// stamped as the write starts: the client may act on the
			// event before this goroutine runs again
			at := time.Now()
			err := conn.Write(wctx, websocket.MessageText, msg.b)
			cancel()
			if err != nil {
				s.log.Debug().Err(err).Msg("events socket write failed, dropping it")
				return
			}
			if f := s.opts.Hooks.EventWritten; f != nil {
				f(msg.typ, msg.channel, at)
			}
		}
	}
}

// enqueue queues a message for a socket without blocking; a socket whose
// queue is full is dropped. Called with s.mu held.
func (s *Server) enqueue(ws *wsConn, o any) {
	b, err := marshal(o)
	if err != nil {
		return
	}
	m := wsMsg{b: b}
	if e, ok := o.(obj); ok && s.opts.Hooks.EventWritten != nil {
		m.typ, m.channel = eventNote(e)
	}
	s.enqueueMsg(ws, m)
}

func (s *Server) enqueueRaw(ws *wsConn, b []byte) { s.enqueueMsg(ws, wsMsg{b: b}) }

func (s *Server) enqueueMsg(ws *wsConn, m wsMsg) {
	select {
	case <-ws.killed:
		return
	default:
	}
	select {
	case ws.out <- m:
	default:
		s.log.Debug().Msg("events socket queue full, dropping it")
		ws.kill()
	}
}

// deliver sends an event object (without asterisk_id/application) to one
// app. Events for an app without a socket are lost, like Asterisk's
// "Inactive Stasis app ... missed message".
func (s *Server) deliver(appName string, e obj) {
	a := s.apps[appName]
	if a == nil || a.current == nil {
		s.log.Debug().Str("app", appName).Msg("inactive app missed message")
		return
	}
	if s.dropped(e) {
		return
	}
	full := append(slices.Clip(e), kv{"asterisk_id", s.opts.EntityID}, kv{"application", appName})
	if s.held(appName, full) {
		return
	}
	s.enqueue(a.current, full)
}

// allApps are the apps subscribed to everything.
func (s *Server) allApps() []string {
	var out []string
	for n, a := range s.apps {
		if a.current != nil && a.subscribeAll {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// targets merges watcher apps with the subscribeAll apps.
func (s *Server) targets(watchers map[string]bool, allOnly bool) []string {
	out := s.allApps()
	if !allOnly {
		for n := range watchers {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// emitTo builds an event "pre..., type, timestamp, body..." for each target.
func (s *Server) emitTo(apps []string, typ string, pre, body obj) {
	if len(apps) == 0 {
		return
	}
	e := make(obj, 0, len(pre)+len(body)+4)
	e = append(e, pre...)
	e = append(e, kv{"type", typ}, kv{"timestamp", s.stamp()})
	e = append(e, body...)
	for _, a := range apps {
		s.deliver(a, e)
	}
}

// emitChan sends a channel event to the channel's watchers (unless allOnly)
// and to subscribeAll apps.
func (s *Server) emitChan(ch *channel, typ string, pre, body obj, allOnly bool) {
	body = append(slices.Clip(body), kv{"channel", ch.json()})
	s.emitTo(s.targets(ch.watchers, allOnly), typ, pre, body)
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "1", "on":
		return true
	}
	return false
}
