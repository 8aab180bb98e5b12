package flow_test

import (
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// BenchmarkFlow runs whole SOP calls through the controller, the simulator
// and real Redis, 100 at a time: caller identified by number, greeting, menu
// 1-1 (data complaint), route, agent answers, twenty minutes of talk (sim
// time, at 1/1000 scale: 1.2 s), caller hangs up, one record. Per call: the
// look-up, about 15 ARI requests and their events, the record. The
// simulator runs in the same process and shares the two cores.
//
//	go test -run '^$' -bench BenchmarkFlow -benchtime 2000x -benchmem ./router/flow/
func BenchmarkFlow(b *testing.B) {
	w := newWorld(b, worldOpts{timeScale: 0.001})
	// twenty minutes of talk at 1/1000 scale: 300 ms, well past the bridge
	script := steps(menu("menu-main", "1"), menu("menu-complaint-product", "1"),
		[]arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(20 * time.Minute), hangUp})
	const concurrency = 100
	var failed atomic.Int64
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			call, err := w.sim.PlaceCall(arisim.Caller{Number: aniDES, Script: script})
			if err != nil {
				failed.Add(1)
				return
			}
			<-call.Done()
			r := w.waitRecord(b, call.ChannelID())
			if r.Outcome != router.OutcomeAgentAnswered {
				b.Logf("call %s: %s at %q (%s), keys %q; heard %v", r.CallID, r.Outcome, r.AbandonStage, r.FailReason, r.IVRPath, heard(call.Transcript()))
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
	// process CPU (controller + flow + simulator; Redis is another process)
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/call")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d calls did not end agent_answered", n, b.N)
	}
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
