package main

import (
	"math"
	"runtime"
	"strings"
	"time"
)

// percentile is the nearest-rank p-quantile (0 < p <= 1) of sorted: the
// smallest value with at least p of the values at or below it; 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// heapShot is the heap after GC: its exact size, and the profile's view of
// who allocated what is still in use (from the allocation stacks): the
// simulator (its package, or its HTTP server's connections), the bench's
// own harness, and the rest, which is the controller's.
type heapShot struct {
	total               int64   // HeapAlloc
	pTotal, pSim, pHarn float64 // the profile's in-use bytes, scaled as pprof scales them
	stack               int64   // goroutine stacks (not heap)
	goroutines          int
}

// takeHeap collects the garbage and measures the heap. An allocation whose
// stack is cut off before any simulator frame counts as the controller's
// (the attribution errs on the controller's side).
func takeHeap() heapShot {
	runtime.GC()
	runtime.GC() // the profile shows the heap as of the last completed cycle
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h := heapShot{total: int64(ms.HeapAlloc), stack: int64(ms.StackInuse), goroutines: runtime.NumGoroutine()}
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, false)
	for {
		recs = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		if n, ok = runtime.MemProfile(recs, false); ok {
			recs = recs[:n]
			break
		}
	}
	rate := float64(runtime.MemProfileRate)
	for i := range recs {
		r := &recs[i]
		inuse := float64(r.InUseBytes())
		if inuse <= 0 {
			continue
		}
		if rate > 1 && r.AllocObjects > 0 {
			avg := float64(r.AllocBytes) / float64(r.AllocObjects)
			inuse /= 1 - math.Exp(-avg/rate)
		}
		h.pTotal += inuse
		switch allocatedBy(r.Stack()) {
		case "sim":
			h.pSim += inuse
		case "harness":
			h.pHarn += inuse
		}
	}
	return h
}

// growthSince is how much the heap grew from base (exact), and the
// simulator's and the harness's shares of that growth (the profile's
// shares of its own growth, applied to the exact one). Records sampled
// before the profile rate changed are in both shots and cancel out.
func (h heapShot) growthSince(base heapShot) (all, sim, harness int64) {
	all = h.total - base.total
	dp := h.pTotal - base.pTotal
	if dp <= 0 {
		return all, 0, 0
	}
	sim = int64(float64(all) * (h.pSim - base.pSim) / dp)
	harness = int64(float64(all) * (h.pHarn - base.pHarn) / dp)
	return all, sim, harness
}

// allocatedBy classifies an allocation stack: "sim" for the simulator,
// "harness" for the bench itself, "" for the rest (the controller).
func allocatedBy(stk []uintptr) string {
	frames := runtime.CallersFrames(stk)
	harness := false
	for {
		f, more := frames.Next()
		fn := f.Function
		switch {
		case strings.HasPrefix(fn, "github.com/tenesa-ivr/tenesa-ivr/ari/arisim."),
			strings.HasPrefix(fn, "net/http.(*conn)."), // the simulator's HTTP server side
			strings.HasPrefix(fn, "net/http.(*Server)."):
			return "sim"
		case strings.HasPrefix(fn, "main.(*bench)."), strings.HasPrefix(fn, "main.(*benchProbe)."),
			strings.HasPrefix(fn, "main.(*redisCounter)."):
			harness = true
		}
		if !more {
			break
		}
	}
	if harness {
		return "harness"
	}
	return ""
}
