package ari

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// benchObserver only signals the first resync (the controller is ready).
type benchObserver struct {
	NopObserver
	once  sync.Once
	ready chan struct{}
}

func (o *benchObserver) Resynced(int, int) { o.once.Do(func() { close(o.ready) }) }

// BenchmarkConcurrentCalls places b.N calls, 50 at a time, through the
// controller and arisim (TimeScale 0.001): answer, a 2 s (sim) greeting,
// hang-up. B/op and allocs/op are per call and include the simulator, which
// runs in the same process.
func BenchmarkConcurrentCalls(b *testing.B) {
	const concurrency = 50
	sim := arisim.New(arisim.Options{Username: testUser, Password: testPass, TimeScale: 0.001, PromptDurations: testPrompts})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = sim.Close() }()
	obs := &benchObserver{ready: make(chan struct{})}
	ctrl, err := NewController(Options{
		URL: sim.URL(), WebsocketURL: sim.WebsocketURL(), Username: testUser, Password: testPass,
		Application: testApp, RequestTimeout: 5 * time.Second, Logger: zerolog.Nop(), Observer: obs,
	})
	if err != nil {
		b.Fatal(err)
	}
	var failed atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ctrl.Run(ctx, func(ctx context.Context, call Call) {
			err := call.Answer(ctx)
			if err == nil {
				var r PlayResult
				r, err = call.Play(ctx, PlayOptions{Media: []string{"sound:greeting"}})
				if err == nil && r.Status != PlayFinished {
					failed.Add(1)
				}
			}
			if err == nil {
				err = call.Hangup(ctx, "normal")
			}
			if err != nil {
				failed.Add(1)
			}
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run: %v", err)
		}
	}()
	select {
	case <-obs.ready:
	case <-time.After(waitLong):
		b.Fatal("controller not ready")
	}

	b.ReportAllocs()
	b.ResetTimer()
	begin := time.Now()
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := 0; i < b.N; i++ {
		sem <- struct{}{}
		c, err := sim.PlaceCall(arisim.Caller{Number: "081234567890"})
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-c.Done()
			<-sem
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d calls failed", n, b.N)
	}
}
