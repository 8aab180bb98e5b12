package ari

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// TestLoadWithWebSocketDrops places calls 50 at a time and cuts the events
// socket three times with calls in flight: every call must be finished by
// its handler (none left in Stasis, none duplicated), no handler may fail,
// and the controller must end up idle.
func TestLoadWithWebSocketDrops(t *testing.T) {
	leakCheck(t)
	const calls, concurrency = 300, 50
	sim := newSim(t, 0.001)
	var failed atomic.Int64
	var firstErr atomic.Value
	hs := startOn(t, sim, func(ctx context.Context, call Call) {
		err := call.Answer(ctx)
		if err == nil {
			_, err = call.Play(ctx, PlayOptions{Media: []string{"sound:greeting", "sound:bye"}})
		}
		if err == nil {
			err = call.Hangup(ctx, "normal")
		}
		if err != nil && !errors.Is(err, ErrCallGone) {
			failed.Add(1)
			firstErr.CompareAndSwap(nil, err)
		}
	}, func(o *Options) { o.RequestTimeout = DefaultRequestTimeout }) // -race on 2 CPUs: tail latency

	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for i := range calls {
		if i > 0 && i%(calls/4) == 0 {
			// Cut the socket with 50 calls in flight; wait for the reconnect
			// (a call placed meanwhile would fail over to the dialplan, as
			// with a real Asterisk, and would not test the controller).
			hs.obs.mu.Lock()
			before := hs.obs.resyncs
			hs.obs.mu.Unlock()
			sim.DropWebSockets()
			hs.obs.waitFor(t, "reconnected", func(o *testObserver) bool { return o.resyncs > before })
			// The sim registers a socket just after the handshake: make sure
			// the next cut hits the new one.
			eventually(t, "socket registered", func() bool { return sim.ActiveSockets(testApp) == 1 })
		}
		sem <- struct{}{}
		c := hs.place(arisim.Caller{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := waitDoneNoFatal(c)
			mu.Lock()
			outcomes[r]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	hs.waitIdle()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d handlers failed, first: %v", n, firstErr.Load())
	}
	if outcomes["controller"] != calls {
		t.Errorf("outcomes %v: want all %d calls finished by the controller", outcomes, calls)
	}
	hs.obs.mu.Lock()
	reconnects := hs.obs.reconnects
	hs.obs.mu.Unlock()
	if reconnects < 3 {
		t.Errorf("reconnects = %d, want >= 3", reconnects)
	}
	t.Logf("outcomes: %v, reconnects %d", outcomes, reconnects)
}

func waitDoneNoFatal(c *arisim.Call) string {
	select {
	case <-c.Done():
		return c.Transcript().HungUpBy
	case <-timeoutCh():
		return "timeout"
	}
}
