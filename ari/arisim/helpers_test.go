package arisim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const (
	testUser = "tenesa"
	testPass = "secret"
)

// newTestServer starts a server on a free port and closes it at cleanup.
func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Username == "" {
		opts.Username, opts.Password = testUser, testPass
	}
	s := New(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// eventSocket is a plain WebSocket events client collecting every message.
type eventSocket struct {
	conn   *websocket.Conn
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	msgs   [][]byte
	notify chan struct{}
}

func dialEvents(t *testing.T, s *Server, query string) *eventSocket {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPass)))
	conn, _, err := websocket.Dial(ctx, s.WebsocketURL()+"?"+query, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		cancel()
		t.Fatalf("dial events: %v", err)
	}
	conn.SetReadLimit(1 << 20)
	es := &eventSocket{conn: conn, cancel: cancel, done: make(chan struct{}), notify: make(chan struct{})}
	go func() {
		defer close(es.done)
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			es.mu.Lock()
			es.msgs = append(es.msgs, b)
			close(es.notify)
			es.notify = make(chan struct{})
			es.mu.Unlock()
		}
	}()
	t.Cleanup(es.closeNow)
	return es
}

// close closes with status 1000, like the recorder.
func (e *eventSocket) close() {
	_ = e.conn.Close(websocket.StatusNormalClosure, "")
	e.cancel()
	<-e.done
}

func (e *eventSocket) closeNow() {
	_ = e.conn.CloseNow()
	e.cancel()
	<-e.done
}

func (e *eventSocket) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.msgs)
}

func (e *eventSocket) all() [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]byte(nil), e.msgs...)
}

// waitFor waits until pred holds for the messages so far, or the socket
// ends, or timeout passes. It reports whether pred held.
func (e *eventSocket) waitFor(timeout time.Duration, pred func(msgs [][]byte) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		ok := pred(e.msgs)
		ch := e.notify
		e.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-e.done:
			e.mu.Lock()
			ok := pred(e.msgs)
			e.mu.Unlock()
			return ok
		case <-deadline.C:
			return false
		}
	}
}

// waitEvent waits for an event of type typ matching match, returning it.
func (e *eventSocket) waitEvent(t *testing.T, typ string, match func(m map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	ok := e.waitFor(10*time.Second, func(msgs [][]byte) bool {
		for _, b := range msgs {
			var m map[string]any
			if json.Unmarshal(b, &m) == nil && m["type"] == typ && (match == nil || match(m)) {
				found = m
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no %s event arrived", typ)
	}
	return found
}
