package ari

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// outcome is what a test handler reports.
type outcome struct {
	info  CallInfo
	play  PlayResult
	err   error
	cause error // context.Cause(ctx) when the handler returned
}

// greeter answers, plays media and hangs up, reporting on out.
func greeter(out chan<- outcome, media ...string) Handler {
	return func(ctx context.Context, call Call) {
		o := outcome{info: call.Info()}
		defer func() { o.cause = context.Cause(ctx); out <- o }()
		if o.err = call.Answer(ctx); o.err != nil {
			return
		}
		if o.play, o.err = call.Play(ctx, PlayOptions{Media: media}); o.err != nil {
			return
		}
		o.err = call.Hangup(ctx, "normal")
	}
}

func TestGreetingPlayedToTheEnd(t *testing.T) {
	leakCheck(t)
	out := make(chan outcome, 1)
	hs := start(t, greeter(out, "sound:greeting", "sound:bye"))

	c := hs.place(arisim.Caller{Number: "081234567890", Name: "Budi", DNIS: "8000"})
	o := recv(t, out, "handler outcome")
	if o.err != nil {
		t.Fatalf("handler error: %v", o.err)
	}
	if o.play.Status != PlayFinished {
		t.Errorf("play status = %q, want finished", o.play.Status)
	}
	if o.info.DNIS != "8000" || o.info.CallerNumber != "081234567890" || o.info.CallerName != "Budi" || o.info.Adopted {
		t.Errorf("info = %+v", o.info)
	}
	if o.info.State != "Ring" {
		t.Errorf("state at StasisStart = %q, want Ring", o.info.State)
	}
	r := waitDone(t, c)
	if !r.Answered || r.HungUpBy != "controller" {
		t.Errorf("answered=%v hungUpBy=%q", r.Answered, r.HungUpBy)
	}
	if got, want := heard(r), []string{"sound:greeting=done", "sound:bye=done"}; !slices.Equal(got, want) {
		t.Errorf("heard %v, want %v", got, want)
	}
	hs.waitIdle()
}

func TestCallerHangsUpMidGreeting(t *testing.T) {
	leakCheck(t)
	out := make(chan outcome, 1)
	hs := start(t, greeter(out, "sound:long", "sound:bye"))

	c := hs.place(arisim.Caller{Script: []arisim.Step{arisim.WaitForPrompt("long"), arisim.HangUp()}})
	o := recv(t, out, "handler outcome")
	if !errors.Is(o.err, ErrCallGone) {
		t.Errorf("Play error = %v, want ErrCallGone", o.err)
	}
	if !errors.Is(o.cause, ErrCallGone) {
		t.Errorf("ctx cause = %v, want ErrCallGone", o.cause)
	}
	r := waitDone(t, c)
	if r.HungUpBy != "caller" {
		t.Errorf("hungUpBy = %q", r.HungUpBy)
	}
	if got, want := heard(r), []string{"sound:long=failed"}; !slices.Equal(got, want) {
		t.Errorf("heard %v, want %v", got, want)
	}
	hs.waitIdle() // the goroutine is gone; goleak checks the rest at cleanup
}

func TestWebSocketDropMidCall(t *testing.T) {
	t.Run("live goroutine keeps its call", func(t *testing.T) {
		leakCheck(t)
		answered := make(chan struct{}, 1)
		out := make(chan outcome, 1)
		hs := start(t, func(ctx context.Context, call Call) {
			o := outcome{info: call.Info()}
			defer func() { out <- o }()
			if o.err = call.Answer(ctx); o.err != nil {
				return
			}
			answered <- struct{}{}
			if o.play, o.err = call.Play(ctx, PlayOptions{Media: []string{"sound:long"}}); o.err != nil {
				return
			}
			if _, o.err = call.Play(ctx, PlayOptions{Media: []string{"sound:bye"}}); o.err != nil {
				return
			}
			o.err = call.Hangup(ctx, "normal")
		})
		c := hs.place(arisim.Caller{})
		recv(t, answered, "answer")
		hs.sim.DropWebSockets()
		hs.obs.waitFor(t, "reconnect and resync", func(o *testObserver) bool { return o.reconnects >= 1 && o.resyncs >= 2 })

		o := recv(t, out, "handler outcome")
		if o.err != nil {
			t.Fatalf("handler error: %v", o.err)
		}
		r := waitDone(t, c)
		if got, want := heard(r), []string{"sound:long=done", "sound:bye=done"}; !slices.Equal(got, want) {
			t.Errorf("heard %v, want %v", got, want)
		}
		hs.obs.mu.Lock()
		started, adopted := hs.obs.started, hs.obs.adopted
		hs.obs.mu.Unlock()
		if started != 1 || adopted != 0 {
			t.Errorf("handlers started = %d, adopted = %d; want 1 and 0 (no duplicate owner)", started, adopted)
		}
		hs.waitIdle()
	})

	t.Run("caller hangs up while disconnected", func(t *testing.T) {
		leakCheck(t)
		answered := make(chan struct{}, 1)
		out := make(chan outcome, 1)
		hs := start(t, func(ctx context.Context, call Call) {
			o := outcome{}
			defer func() { o.cause = context.Cause(ctx); out <- o }()
			if o.err = call.Answer(ctx); o.err != nil {
				return
			}
			answered <- struct{}{}
			<-ctx.Done()
		})
		c := hs.place(arisim.Caller{})
		recv(t, answered, "answer")
		// Keep the controller out: every WebSocket handshake stalls.
		restore := hs.sim.StallRequests(func(m, p string) bool { return p == "/ari/events" }, time.Minute)
		hs.sim.DropWebSockets()
		hs.obs.waitFor(t, "disconnected", func(o *testObserver) bool { return !o.up })
		hangupOutOfBand(t, hs.sim, c.ChannelID()) // StasisEnd is lost: nobody is connected
		waitDone(t, c)
		restore()

		o := recv(t, out, "handler outcome")
		if !errors.Is(o.cause, ErrCallGone) {
			t.Errorf("ctx cause = %v, want ErrCallGone (found by resync)", o.cause)
		}
		hs.obs.mu.Lock()
		gone := hs.obs.resyncGone
		hs.obs.mu.Unlock()
		if gone != 1 {
			t.Errorf("resync found %d calls gone, want 1", gone)
		}
		hs.waitIdle()
	})

	t.Run("resync survives a stalled listing", func(t *testing.T) {
		leakCheck(t)
		answered := make(chan struct{}, 1)
		out := make(chan outcome, 1)
		hs := start(t, func(ctx context.Context, call Call) {
			o := outcome{}
			defer func() { out <- o }()
			if o.err = call.Answer(ctx); o.err != nil {
				return
			}
			answered <- struct{}{}
			if _, o.err = call.Play(ctx, PlayOptions{Media: []string{"sound:long"}}); o.err != nil {
				return
			}
			o.err = call.Hangup(ctx, "normal")
		}, func(o *Options) { o.RequestTimeout = 200 * time.Millisecond })
		c := hs.place(arisim.Caller{})
		recv(t, answered, "answer")
		restore := hs.sim.StallRequests(func(m, p string) bool { return strings.HasPrefix(p, "/ari/applications/") }, time.Minute)
		hs.sim.DropWebSockets()
		hs.obs.waitFor(t, "a timed-out listing", func(o *testObserver) bool { return o.failed["get_application"] >= 1 })
		restore()
		hs.obs.waitFor(t, "resync after the stall", func(o *testObserver) bool { return o.resyncs >= 2 })
		if o := recv(t, out, "handler outcome"); o.err != nil {
			t.Fatalf("handler: %v", o.err)
		}
		if r := waitDone(t, c); r.HungUpBy != "controller" {
			t.Errorf("hungUpBy = %q", r.HungUpBy)
		}
		hs.waitIdle()
	})

	t.Run("unowned channel is adopted", func(t *testing.T) {
		leakCheck(t)
		sim := newSim(t, 0.01)
		// A previous controller: a raw socket that takes the StasisStart and dies.
		raw := dialRaw(t, sim)
		eventually(t, "raw socket registered", func() bool { return sim.ActiveSockets(testApp) == 1 })
		c, err := sim.PlaceCall(arisim.Caller{Number: "0215550100", DNIS: "8000"})
		if err != nil {
			t.Fatal(err)
		}
		readStasisStart(t, raw)
		_ = raw.CloseNow()

		out := make(chan outcome, 1)
		hs := startOn(t, sim, greeter(out, "sound:greeting"))
		o := recv(t, out, "handler outcome")
		if o.err != nil {
			t.Fatalf("handler error: %v", o.err)
		}
		if !o.info.Adopted || o.info.ChannelID != c.ChannelID() || o.info.DNIS != "8000" || o.info.CallerNumber != "0215550100" {
			t.Errorf("info = %+v, want adopted channel %s with DNIS 8000", o.info, c.ChannelID())
		}
		r := waitDone(t, c)
		if got, want := heard(r), []string{"sound:greeting=done"}; !slices.Equal(got, want) || r.HungUpBy != "controller" {
			t.Errorf("heard %v hungUpBy %q", got, r.HungUpBy)
		}
		hs.waitIdle()
	})
}

func TestChannelVanishedBetweenEventAndRequest(t *testing.T) {
	leakCheck(t)
	out := make(chan outcome, 1)
	hs := start(t, func(ctx context.Context, call Call) {
		o := outcome{info: call.Info()}
		o.err = call.Answer(ctx)
		o.cause = context.Cause(ctx)
		// Every later method fails fast with the same class.
		if err := call.SetVar(ctx, "X", "1"); !errors.Is(err, ErrCallGone) {
			o.err = fmt.Errorf("SetVar after gone: %v", err)
		}
		out <- o
	})
	// A StasisStart for a channel that no longer exists when we act on it.
	hs.sim.InjectRawEvent(testApp, []byte(`{"type":"StasisStart","timestamp":"2026-11-27T12:00:00.000+0000","args":["8000"],"channel":{"id":"1795779688.999","name":"PJSIP/ghost-00000001","state":"Ring","caller":{"name":"","number":"0811"},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"tenesa-in","exten":"8000","priority":2,"app_name":"Stasis","app_data":"tenesa-ivr,8000"},"creationtime":"2026-11-27T12:00:00.000+0000","language":"en"},"asterisk_id":"00:00:5e:00:53:01","application":"tenesa-ivr"}`))
	o := recv(t, out, "handler outcome")
	if !errors.Is(o.err, ErrCallGone) || StatusCode(o.err) != http.StatusNotFound {
		t.Errorf("Answer error = %v (status %d), want ErrCallGone with 404", o.err, StatusCode(o.err))
	}
	if !errors.Is(o.cause, ErrCallGone) {
		t.Errorf("ctx cause = %v, want ErrCallGone", o.cause)
	}
	hs.waitIdle()
}

func TestUnknownEventTypesAreDropped(t *testing.T) {
	leakCheck(t)
	out := make(chan outcome, 1)
	hs := start(t, greeter(out, "sound:greeting"))
	// CallBroadcast and CallClaimed are decoded by the controller itself
	// (broadcast.go); without a channel they are malformed and dropped and
	// counted the same way.
	types := []string{"ApplicationRegistered", "ApplicationUnregistered", "CallBroadcast", "CallClaimed", "ChannelToneDetected", "ChannelTransfer", "RESTResponse"}
	for _, typ := range types {
		hs.sim.InjectRawEvent(testApp, []byte(`{"type":"`+typ+`","timestamp":"2026-11-27T12:00:00.000+0000","asterisk_id":"00:00:5e:00:53:01","application":"tenesa-ivr"}`))
	}
	hs.sim.InjectRawEvent(testApp, []byte(`not json`))
	hs.obs.waitFor(t, "unknown events counted", func(o *testObserver) bool { return len(o.unknownTypes) == len(types)+1 })
	if !hs.ctrl.Connected() {
		t.Fatal("controller disconnected by unknown events")
	}
	if got := hs.ctrl.UnknownEvents(); got != int64(len(types)+1) {
		t.Errorf("UnknownEvents = %d", got)
	}
	hs.obs.mu.Lock()
	got := slices.Clone(hs.obs.unknownTypes)
	hs.obs.mu.Unlock()
	if want := append(slices.Clone(types), "<none>"); !slices.Equal(got, want) {
		t.Errorf("unknown types %v, want %v", got, want)
	}
	// The same socket still serves calls.
	c := hs.place(arisim.Caller{})
	if o := recv(t, out, "handler outcome"); o.err != nil {
		t.Fatalf("call after unknown events: %v", o.err)
	}
	waitDone(t, c)
	hs.waitIdle()
}

func TestStalledRequestTimesOut(t *testing.T) {
	leakCheck(t)
	const timeout = 300 * time.Millisecond
	type res struct {
		err     error
		elapsed time.Duration
		after   error
	}
	out := make(chan res, 1)
	var restore func()
	hs := start(t, func(ctx context.Context, call Call) {
		var r res
		begin := time.Now()
		r.err = call.Answer(ctx)
		r.elapsed = time.Since(begin)
		restore()
		r.after = call.Hangup(ctx, "normal")
		out <- r
	}, func(o *Options) { o.RequestTimeout = timeout })
	restore = hs.sim.StallRequests(func(m, p string) bool { return m == http.MethodPost && strings.HasSuffix(p, "/answer") }, time.Minute)
	c := hs.place(arisim.Caller{})
	r := recv(t, out, "handler outcome")
	if !errors.Is(r.err, ErrTimeout) {
		t.Errorf("Answer error = %v, want ErrTimeout", r.err)
	}
	if r.elapsed < timeout || r.elapsed > timeout+250*time.Millisecond {
		t.Errorf("Answer returned after %v, want about %v", r.elapsed, timeout)
	}
	if r.after != nil {
		t.Errorf("Hangup after the stall: %v", r.after)
	}
	waitDone(t, c)
	hs.waitIdle()
}

func TestSlowBridgeAdd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		delay   time.Duration
		wantErr error
	}{
		{name: "slower than usual but within the timeout", delay: 200 * time.Millisecond},
		{name: "slower than the request timeout", delay: 5 * time.Second, wantErr: ErrTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			type res struct {
				bridgeErr error
				returned  time.Time
			}
			bridging := make(chan struct{}, 1)
			out := make(chan res, 1)
			other := make(chan outcome, 1)
			hs := start(t, func(ctx context.Context, call Call) {
				if call.Info().DNIS == "8001" {
					greeter(other, "sound:greeting")(ctx, call)
					return
				}
				var r res
				defer func() { out <- r }()
				if r.bridgeErr = call.Answer(ctx); r.bridgeErr != nil {
					return
				}
				leg, err := call.Originate(ctx, OriginateRequest{Endpoint: "PJSIP/agent1001", Timeout: 5 * time.Second, Args: []string{"agent", call.ID()}})
				if err != nil {
					r.bridgeErr = err
					return
				}
				select {
				case <-leg.Answered():
				case <-ctx.Done():
					r.bridgeErr = context.Cause(ctx)
					return
				}
				bridging <- struct{}{}
				_, r.bridgeErr = call.Bridge(ctx, leg)
				r.returned = time.Now()
				_ = leg.Hangup(ctx)
				_ = call.Hangup(ctx, "normal")
			}, func(o *Options) { o.RequestTimeout = 800 * time.Millisecond })
			hs.sim.AddAgent(arisim.Agent{Endpoint: "PJSIP/agent1001"})
			hs.sim.SetBridgeAddDelay(tc.delay)

			c1 := hs.place(arisim.Caller{DNIS: "8000"})
			recv(t, bridging, "bridging")
			c2 := hs.place(arisim.Caller{DNIS: "8001"})
			o2 := recv(t, other, "other call")
			otherDone := time.Now()
			r := recv(t, out, "bridge outcome")
			if tc.wantErr == nil && r.bridgeErr != nil {
				t.Errorf("Bridge: %v", r.bridgeErr)
			}
			if tc.wantErr != nil && !errors.Is(r.bridgeErr, tc.wantErr) {
				t.Errorf("Bridge error = %v, want %v", r.bridgeErr, tc.wantErr)
			}
			if o2.err != nil {
				t.Errorf("other call: %v", o2.err)
			}
			if !otherDone.Before(r.returned) {
				t.Errorf("the other call finished at %v, after Bridge returned at %v: it was blocked", otherDone, r.returned)
			}
			waitDone(t, c1)
			waitDone(t, c2)
			hs.waitIdle()
		})
	}
}

func TestGather(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []arisim.Step
		opts   GatherOptions
		want   GatherResult
	}{
		{
			name:   "max digits",
			script: []arisim.Step{arisim.WaitForPrompt("menu"), arisim.Press("1234")},
			opts:   GatherOptions{MaxDigits: 3, Terminator: "#", InterDigitTimeout: time.Second},
			want:   GatherResult{Digits: "123", Status: GatherComplete},
		},
		{
			name:   "terminator",
			script: []arisim.Step{arisim.WaitForPrompt("menu"), arisim.Press("12#")},
			opts:   GatherOptions{MaxDigits: 10, Terminator: "#", InterDigitTimeout: time.Second},
			want:   GatherResult{Digits: "12", Status: GatherComplete},
		},
		{
			name:   "inter-digit timeout",
			script: []arisim.Step{arisim.WaitForPrompt("menu"), arisim.Press("12")},
			opts:   GatherOptions{MaxDigits: 4, Terminator: "#", InterDigitTimeout: 150 * time.Millisecond},
			want:   GatherResult{Digits: "12", Status: GatherTimeout},
		},
		{
			name:   "silence",
			script: nil,
			opts:   GatherOptions{MaxDigits: 1, FirstDigitTimeout: 100 * time.Millisecond},
			want:   GatherResult{Status: GatherSilence},
		},
		{
			name:   "digit after the prompt ended",
			script: []arisim.Step{arisim.WaitPromptEnd("menu"), arisim.Press("7")},
			opts:   GatherOptions{MaxDigits: 1, FirstDigitTimeout: 2 * time.Second},
			want:   GatherResult{Digits: "7", Status: GatherComplete},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			type res struct {
				g   GatherResult
				err error
			}
			out := make(chan res, 1)
			hs := start(t, func(ctx context.Context, call Call) {
				var r res
				defer func() { out <- r }()
				if r.err = call.Answer(ctx); r.err != nil {
					return
				}
				opts := tc.opts
				opts.Prompts = []string{"sound:menu"}
				r.g, r.err = call.Gather(ctx, opts)
				_ = call.Hangup(ctx, "normal")
			})
			c := hs.place(arisim.Caller{Script: tc.script})
			r := recv(t, out, "gather")
			if r.err != nil {
				t.Fatalf("Gather: %v", r.err)
			}
			if r.g != tc.want {
				t.Errorf("Gather = %+v, want %+v", r.g, tc.want)
			}
			waitDone(t, c)
			hs.waitIdle()
		})
	}
}

func TestPlayInterruptedByDTMF(t *testing.T) {
	leakCheck(t)
	type res struct {
		play PlayResult
		g    GatherResult
		err  error
	}
	out := make(chan res, 1)
	hs := start(t, func(ctx context.Context, call Call) {
		var r res
		defer func() { out <- r }()
		if r.err = call.Answer(ctx); r.err != nil {
			return
		}
		if r.play, r.err = call.Play(ctx, PlayOptions{Media: []string{"sound:long", "sound:bye"}, Interrupt: true}); r.err != nil {
			return
		}
		// The barge-in key is kept for the next Gather.
		r.g, r.err = call.Gather(ctx, GatherOptions{MaxDigits: 1, FirstDigitTimeout: 100 * time.Millisecond})
		_ = call.Hangup(ctx, "normal")
	})
	c := hs.place(arisim.Caller{Script: []arisim.Step{arisim.WaitForPrompt("long"), arisim.Press("7")}})
	r := recv(t, out, "handler")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.play != (PlayResult{Status: PlayInterrupted, Digit: "7"}) {
		t.Errorf("Play = %+v", r.play)
	}
	if r.g != (GatherResult{Digits: "7", Status: GatherComplete}) {
		t.Errorf("Gather = %+v", r.g)
	}
	tr := waitDone(t, c)
	if got, want := heard(tr), []string{"sound:long=stopped"}; !slices.Equal(got, want) {
		t.Errorf("heard %v, want %v", got, want)
	}
	hs.waitIdle()
}

func TestOriginateAgent(t *testing.T) {
	for _, tc := range []struct {
		name         string
		agent        arisim.Agent
		wantAnswered bool
		wantCause    int
	}{
		{name: "answers", agent: arisim.Agent{Endpoint: "PJSIP/agent1001", AnswerAfter: time.Second}, wantAnswered: true},
		{name: "local agent answers", agent: arisim.Agent{Endpoint: "Local/1001@agent-sim", AnswerAfter: time.Second}, wantAnswered: true},
		{name: "no answer", agent: arisim.Agent{Endpoint: "PJSIP/agent1002", NeverAnswer: true}, wantCause: 19},
		{name: "local no answer", agent: arisim.Agent{Endpoint: "Local/1002@agent-noanswer", NeverAnswer: true}, wantCause: 19},
		{name: "busy", agent: arisim.Agent{Endpoint: "PJSIP/agent1003", Busy: true}, wantCause: 17},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			type res struct {
				answered bool
				cause    int
				bridged  bool
				err      error
			}
			out := make(chan res, 1)
			hs := start(t, func(ctx context.Context, call Call) {
				var r res
				defer func() { out <- r }()
				if r.err = call.Answer(ctx); r.err != nil {
					return
				}
				if r.err = call.StartMOH(ctx, "default"); r.err != nil {
					return
				}
				leg, err := call.Originate(ctx, OriginateRequest{
					Endpoint: tc.agent.Endpoint, CallerID: "IVR <8000>", Timeout: 3 * time.Second,
					Variables: map[string]string{"TENESA_SEGMENT": "DES"}, Args: []string{"agent", call.ID()},
				})
				if err != nil {
					r.err = err
					return
				}
				select {
				case <-leg.Answered():
					r.answered = true
					if r.err = call.StopMOH(ctx); r.err != nil {
						return
					}
					b, err := call.Bridge(ctx, leg)
					if err != nil {
						r.err = err
						return
					}
					r.bridged = true
					if r.err = leg.Hangup(ctx); r.err != nil {
						return
					}
					<-leg.Gone()
					if r.err = b.Destroy(ctx); r.err != nil {
						return
					}
				case <-leg.Gone():
					r.cause = leg.EndCause()
				case <-ctx.Done():
					r.err = context.Cause(ctx)
					return
				}
				r.err = call.Hangup(ctx, "normal")
			})
			hs.sim.AddAgent(tc.agent)
			c := hs.place(arisim.Caller{})
			r := recv(t, out, "handler")
			if r.err != nil {
				t.Fatalf("handler: %v", r.err)
			}
			if r.answered != tc.wantAnswered || r.bridged != tc.wantAnswered {
				t.Errorf("answered=%v bridged=%v, want %v", r.answered, r.bridged, tc.wantAnswered)
			}
			if r.cause != tc.wantCause {
				t.Errorf("end cause = %d, want %d", r.cause, tc.wantCause)
			}
			tr := waitDone(t, c)
			if tc.wantAnswered && len(tr.BridgedWith) == 0 {
				t.Errorf("caller was never bridged: %+v", tr)
			}
			hs.obs.mu.Lock()
			started := hs.obs.started
			hs.obs.mu.Unlock()
			if started != 1 {
				t.Errorf("%d handlers started; the agent leg must not start one", started)
			}
			hs.waitIdle()
		})
	}
}

func TestDrainContinuesNewCalls(t *testing.T) {
	leakCheck(t)
	hs := start(t, func(ctx context.Context, call Call) {
		t.Errorf("handler called for %s while draining", call.ID())
	})
	hs.ctrl.Drain()
	c := hs.place(arisim.Caller{})
	r := waitDone(t, c)
	if r.HungUpBy != "continue" || r.ContinuedTo == "" {
		t.Errorf("hungUpBy=%q continuedTo=%q, want continued to the dialplan", r.HungUpBy, r.ContinuedTo)
	}
	if r.Answered {
		t.Error("a drained call must not be answered by the IVR")
	}
}

func TestRunReturns(t *testing.T) {
	t.Run("when ctx is cancelled with calls in progress", func(t *testing.T) {
		leakCheck(t)
		answered := make(chan struct{}, 1)
		out := make(chan outcome, 1)
		hs := start(t, func(ctx context.Context, call Call) {
			o := outcome{}
			if o.err = call.Answer(ctx); o.err == nil {
				answered <- struct{}{}
				<-ctx.Done()
			}
			o.cause = context.Cause(ctx)
			out <- o
		})
		c := hs.place(arisim.Caller{})
		recv(t, answered, "answer")
		hs.stop()
		o := recv(t, out, "handler")
		if !errors.Is(o.cause, ErrShutdown) {
			t.Errorf("ctx cause = %v, want ErrShutdown", o.cause)
		}
		if n := hs.ctrl.ActiveCalls(); n != 0 {
			t.Errorf("ActiveCalls = %d after Run returned", n)
		}
		// Not left in silence: back to the dialplan (fallback queue).
		r := waitDone(t, c)
		if r.HungUpBy != "continue" {
			t.Errorf("hungUpBy = %q, want continue", r.HungUpBy)
		}
	})

	t.Run("while Asterisk is unreachable", func(t *testing.T) {
		leakCheck(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		ctrl, err := NewController(Options{
			URL: "http://" + addr + "/ari", WebsocketURL: "ws://" + addr + "/ari/events",
			Username: testUser, Password: testPass, Application: testApp,
			ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond,
			Logger: testLogger(t),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- ctrl.Run(ctx, func(context.Context, Call) {}) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run blocked while Asterisk is unreachable")
		}
		if ctrl.Connected() {
			t.Error("Connected() = true")
		}
	})
}

// hangupOutOfBand hangs a channel up with a plain REST call (an outside
// actor; the controller is not told).
func hangupOutOfBand(t *testing.T, sim *arisim.Server, id string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, sim.URL()+"/channels/"+id, nil)
	req.SetBasicAuth(testUser, testPass)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("out-of-band hangup: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("out-of-band hangup: status %d", resp.StatusCode)
	}
}

// dialRaw connects a bare events socket for our app (a "previous controller").
func dialRaw(t *testing.T, sim *arisim.Server) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPass)))
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	conn, _, err := websocket.Dial(ctx, sim.WebsocketURL()+"?app="+testApp, &websocket.DialOptions{HTTPHeader: h, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatalf("raw dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return conn
}

func readStasisStart(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("raw read: %v", err)
		}
		if strings.Contains(string(data), `"type":"StasisStart"`) {
			return
		}
	}
}

func TestAdoptedCallInABridge(t *testing.T) {
	leakCheck(t)
	sim := newSim(t, 0.01)
	sim.AddAgent(arisim.Agent{Endpoint: "PJSIP/agent1001"})

	// Controller A bridges the caller with an agent, then shuts down: the
	// bridge is left as it is (it works without us).
	bridged := make(chan string, 1)
	a := startOn(t, sim, func(ctx context.Context, call Call) {
		if call.Answer(ctx) != nil {
			return
		}
		leg, err := call.Originate(ctx, OriginateRequest{Endpoint: "PJSIP/agent1001", Timeout: 5 * time.Second, Args: []string{"agent"}})
		if err != nil {
			t.Errorf("originate: %v", err)
			return
		}
		<-leg.Answered()
		b, err := call.Bridge(ctx, leg)
		if err != nil {
			t.Errorf("bridge: %v", err)
			return
		}
		bridged <- b.ID()
		<-ctx.Done()
	})
	c := a.place(arisim.Caller{})
	bridgeID := recv(t, bridged, "bridged")
	a.stop()

	// Controller B adopts the caller with its bridge and agent leg.
	adopted := make(chan CallInfo, 1)
	out := make(chan outcome, 1)
	b := startOn(t, sim, func(ctx context.Context, call Call) {
		adopted <- call.Info()
		<-ctx.Done()
		out <- outcome{cause: context.Cause(ctx)}
	})
	info := recv(t, adopted, "adoption")
	if !info.Adopted || info.BridgeID != bridgeID {
		t.Fatalf("info = %+v, want adopted in bridge %s", info, bridgeID)
	}
	hangupOutOfBand(t, sim, c.ChannelID())
	if o := recv(t, out, "handler end"); !errors.Is(o.cause, ErrCallGone) {
		t.Errorf("cause = %v, want ErrCallGone", o.cause)
	}
	b.waitIdle()
	// B's cleanup ended the agent leg it took over.
	legs := sim.AgentReport("PJSIP/agent1001")
	if len(legs) != 1 || legs[0].Ended.IsZero() {
		t.Fatalf("agent legs = %+v, want one, ended", legs)
	}
	eventually(t, "no channel left", func() bool { return len(sim.Channels()) == 0 })
}
