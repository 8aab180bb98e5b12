package ari

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/coder/websocket"
	"github.com/rotisserie/eris"
	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// TestInstallInternals fails loudly if v5.x changes the layout we write into.
func TestInstallInternals(t *testing.T) {
	c := native.New(&native.Options{Application: "x", Username: "u", Password: "p"})
	hc := http.Client{Timeout: 1234 * time.Millisecond}
	if err := installInternals(c, hc); err != nil {
		t.Fatalf("installInternals: %v", err)
	}
	f := reflect.ValueOf(c).Elem().FieldByName("httpClient")
	got := *(*http.Client)(unsafe.Pointer(f.UnsafeAddr()))
	if got.Timeout != hc.Timeout {
		t.Errorf("httpClient.Timeout = %v, want %v", got.Timeout, hc.Timeout)
	}
}

// TestNoLibraryEventBus: events are routed by our reader only; the library's
// stdbus, which nothing subscribed to, is not installed or fed.
func TestNoLibraryEventBus(t *testing.T) {
	sim := newSim(t, 0.01)
	c, err := NewController(testOptions(t, sim, nil))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.client.Bus(); b != nil {
		t.Fatalf("the native client has an event bus (%T): nothing subscribes to it", b)
	}
}

func TestBackoffFullJitter(t *testing.T) {
	lo, hi := 100*time.Millisecond, 2*time.Second
	for _, tc := range []struct {
		name    string
		attempt int
		ceil    time.Duration
	}{
		{name: "first", attempt: 0, ceil: lo},
		{name: "third", attempt: 2, ceil: 4 * lo},
		{name: "capped", attempt: 10, ceil: hi},
		{name: "huge attempt does not overflow", attempt: 200, ceil: hi},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var maxSeen time.Duration
			for range 2000 {
				d := backoff(tc.attempt, lo, hi)
				if d < 0 || d > tc.ceil {
					t.Fatalf("backoff = %v, outside [0, %v]", d, tc.ceil)
				}
				maxSeen = max(maxSeen, d)
			}
			if maxSeen < tc.ceil/2 {
				t.Errorf("max of 2000 draws = %v: not spread up to %v", maxSeen, tc.ceil)
			}
		})
	}
}

type codeErr struct{ code int }

func (e codeErr) Error() string { return fmt.Sprintf("Non-2XX response: %d x", e.code) }
func (e codeErr) Code() int     { return e.code }

type causeErr struct{ c error }

func (e causeErr) Error() string { return "data get: " + e.c.Error() }
func (e causeErr) Cause() error  { return e.c }

func TestLibraryStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{name: "plain request error", err: codeErr{404}, want: 404},
		{name: "eris wrapped", err: eris.Wrap(codeErr{409}, "failed"), want: 409},
		{name: "behind Cause()", err: eris.Wrap(causeErr{codeErr{404}}, "failed to get data"), want: 404},
		{name: "only in the message", err: errors.New("Error getting data for channel 'x': Non-2XX response: 404 Not Found"), want: 404},
		{name: "no status", err: errors.New("connection refused"), want: 0},
		{name: "ours", err: &RequestError{Op: "play", Status: 500}, want: 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StatusCode(tc.err); got != tc.want {
				t.Errorf("StatusCode = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRequestErrorClasses(t *testing.T) {
	base := errors.New("boom")
	err := error(&RequestError{Op: "answer", Status: 404, Class: ErrCallGone, Err: base})
	if !errors.Is(err, ErrCallGone) || !errors.Is(err, base) || errors.Is(err, ErrTimeout) {
		t.Errorf("errors.Is chain wrong for %v", err)
	}
	if got, want := err.Error(), "ari answer: status 404: ari: call gone: boom"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestNewControllerValidates(t *testing.T) {
	ok := Options{URL: "http://h/ari", WebsocketURL: "ws://h/ari/events", Username: "u", Password: "p", Application: "a"}
	for _, tc := range []struct {
		name  string
		tweak func(*Options)
	}{
		{name: "no URL", tweak: func(o *Options) { o.URL = "" }},
		{name: "no websocket URL", tweak: func(o *Options) { o.WebsocketURL = "" }},
		{name: "no application", tweak: func(o *Options) { o.Application = "" }},
		{name: "no username", tweak: func(o *Options) { o.Username = "" }},
		{name: "bad URL", tweak: func(o *Options) { o.URL = "http://h/%zz" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.tweak(&o)
			if _, err := NewController(o); err == nil {
				t.Error("NewController accepted invalid options")
			}
		})
	}
	c, err := NewController(ok)
	if err != nil {
		t.Fatal(err)
	}
	if c.opts.RequestTimeout != DefaultRequestTimeout || c.opts.ReconnectMin != DefaultReconnectMin || c.opts.ReconnectMax != DefaultReconnectMax {
		t.Errorf("defaults not applied: %+v", c.opts)
	}
	if err := c.Run(context.Background(), nil); err == nil {
		t.Error("Run accepted a nil handler")
	}
}

func TestSetVarAndRedirect(t *testing.T) {
	leakCheck(t)
	out := make(chan error, 1)
	hs := start(t, func(ctx context.Context, call Call) {
		err := call.Answer(ctx)
		if err == nil {
			err = call.SetVar(ctx, "TENESA_SEGMENT", "DES")
		}
		if err == nil {
			err = call.Redirect(ctx, "147")
		}
		out <- err
	})
	c := hs.place(arisim.Caller{})
	if err := recv(t, out, "handler"); err != nil {
		t.Fatalf("handler: %v", err)
	}
	r := waitDone(t, c)
	if r.Vars["TENESA_SEGMENT"] != "DES" {
		t.Errorf("vars = %v", r.Vars)
	}
	if r.ContinuedTo != "tenesa-after-ivr,147,1" {
		t.Errorf("continued to %q", r.ContinuedTo)
	}
	hs.waitIdle()
}

func TestHandlerReturningLeavesNoCallerInSilence(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler Handler
	}{
		{name: "returns early", handler: func(ctx context.Context, call Call) { _ = call.Answer(ctx) }},
		{name: "panics", handler: func(ctx context.Context, call Call) { _ = call.Answer(ctx); panic("router bug") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			hs := start(t, tc.handler)
			c := hs.place(arisim.Caller{})
			r := waitDone(t, c)
			if r.HungUpBy != "continue" {
				t.Errorf("hungUpBy = %q, want continue (fallback in the dialplan)", r.HungUpBy)
			}
			hs.waitIdle()
		})
	}
}

func TestApplicationReplacedIsReported(t *testing.T) {
	leakCheck(t)
	hs := start(t, func(context.Context, Call) {})
	dialRaw(t, hs.sim) // a second connection takes the app
	hs.obs.waitFor(t, "ApplicationReplaced", func(o *testObserver) bool { return o.replaced == 1 })
	hs.cancel()
	if err := recv(t, hs.runErr, "Run's return"); !errors.Is(err, ErrReplaced) {
		t.Errorf("Run = %v, want ErrReplaced", err)
	}
	close(hs.runErr)
}

func TestKeepAlivePingsKeepAHealthySocket(t *testing.T) {
	leakCheck(t)
	hs := start(t, func(context.Context, Call) {}, func(o *Options) { o.PingInterval = 5 * time.Millisecond })
	eventually(t, "three pongs", func() bool { return hs.ctrl.pongs.Load() >= 3 })
	hs.obs.mu.Lock()
	defer hs.obs.mu.Unlock()
	if hs.obs.reconnects != 0 || !hs.obs.up {
		t.Errorf("reconnects = %d, up = %v: pings must not disturb a healthy socket", hs.obs.reconnects, hs.obs.up)
	}
}

func TestKeepAliveDetectsADeadPeer(t *testing.T) {
	leakCheck(t)
	var accepted atomic.Int64
	quit := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ari/events" {
			http.NotFound(w, r)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		accepted.Add(1)
		// A peer that is gone without a FIN: it never reads, so never pongs.
		select {
		case <-quit:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(quit) })
	ctrl, err := NewController(Options{
		URL: srv.URL + "/ari", WebsocketURL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ari/events",
		Username: testUser, Password: testPass, Application: testApp,
		RequestTimeout: 100 * time.Millisecond, ReconnectMin: time.Millisecond, ReconnectMax: 10 * time.Millisecond,
		PingInterval: 10 * time.Millisecond, Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(ctx, func(context.Context, Call) {}) }()
	eventually(t, "a reconnect after unanswered pings", func() bool { return accepted.Load() >= 2 })
	cancel()
	if err := recv(t, done, "Run"); err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestPlayStopsWhenItsContextEnds(t *testing.T) {
	leakCheck(t)
	type res struct {
		err, after error
	}
	out := make(chan res, 1)
	hs := start(t, func(ctx context.Context, call Call) {
		var r res
		defer func() { out <- r }()
		if r.err = call.Answer(ctx); r.err != nil {
			return
		}
		// e.g. the agent answered: the router ends the announcement's ctx.
		pctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, r.err = call.Play(pctx, PlayOptions{Media: []string{"sound:long"}})
		r.after = call.Hangup(ctx, "normal") // the call itself goes on
	})
	c := hs.place(arisim.Caller{})
	r := recv(t, out, "handler")
	if !errors.Is(r.err, context.DeadlineExceeded) || errors.Is(r.err, ErrCallGone) {
		t.Errorf("Play error = %v, want context.DeadlineExceeded", r.err)
	}
	if r.after != nil {
		t.Errorf("Hangup after the cancelled Play: %v", r.after)
	}
	tr := waitDone(t, c)
	if got := heard(tr); len(got) != 1 || got[0] != "sound:long=stopped" {
		t.Errorf("heard %v, want the long prompt stopped", got)
	}
	hs.waitIdle()
}
