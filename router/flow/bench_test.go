package flow_test

import (
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// BenchmarkFlow runs whole SOP calls through the controller, the simulator
// and real Redis: caller identified by number, greeting, menu 1-1 (data
// complaint), route, agent answers, twenty minutes of talk (sim time, at
// 1/1000 scale: 1.2 s), caller hangs up, one record. Per call: the look-up,
// about 15 ARI requests and their events, the record. The simulator runs in
// the same process and shares the two cores.
//
// One iteration (b.N) is a batch of flowBatch concurrent calls, so ns/op is
// the wall time of one batch of flowBatch calls and even the default
// benchtime (where b.N is 1) measures flowBatch calls, not one. Reported
// per call: calls/s (calls completed per wall second with flowBatch in
// flight; bounded by the 1.2 s of talk, so it measures concurrency, not
// only CPU), ms/call (mean wall time from dialling to the record) and
// cpu-ms/call (process CPU: controller + flow + simulator; Redis is another
// process).
//
//	go test -run '^$' -bench BenchmarkFlow -benchtime 10x -benchmem ./router/flow/
func BenchmarkFlow(b *testing.B) {
	// A generous look-up budget: on a loaded machine a look-up over the
	// default 150 ms degrades the call (no menu), which is not the path
	// measured here and would leave the caller's script waiting for a menu.
	w := newWorld(b, worldOpts{timeScale: 0.001, tweak: func(c *configs.Config) {
		c.Segmentation.LookupBudget = 5 * time.Second
	}})
	script := steps(menu("menu-main", "1"), menu("menu-complaint-product", "1"),
		[]arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(20 * time.Minute), hangUp})
	var failed atomic.Int64
	var latency atomic.Int64 // summed wall time per call, ns
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		var wg sync.WaitGroup
		for range flowBatch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				call, err := w.sim.PlaceCall(arisim.Caller{Number: aniDES, Script: script})
				if err != nil {
					failed.Add(1)
					return
				}
				bound := time.NewTimer(flowCallBound)
				defer bound.Stop()
				select {
				case <-call.Done():
				case <-bound.C:
					b.Logf("call %s still running after %s; heard %v", call.ChannelID(), flowCallBound, heard(call.Transcript()))
					failed.Add(1)
					return
				}
				r := w.waitRecord(b, call.ChannelID())
				latency.Add(int64(time.Since(t0)))
				if r.Outcome != router.OutcomeAgentAnswered {
					b.Logf("call %s: %s at %q (%s), keys %q; heard %v", r.CallID, r.Outcome, r.AbandonStage, r.FailReason, r.IVRPath, heard(call.Transcript()))
					failed.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	calls := float64(b.N * flowBatch)
	b.ReportMetric(calls/time.Since(start).Seconds(), "calls/s")
	b.ReportMetric(float64(latency.Load())/float64(time.Millisecond)/calls, "ms/call")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/calls, "cpu-ms/call")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %.0f calls did not end agent_answered", n, calls)
	}
}

// flowBatch is the number of concurrent calls in one BenchmarkFlow iteration.
const flowBatch = 100

// flowCallBound is how long (real time) one benchmark call may take before
// it counts as failed: about 2 s of sim time at 1/1000 scale, fifty times
// over.
const flowCallBound = 2 * time.Minute

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
