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

// heapShot is the heap after GC, split by who allocated what is still in
// use (from the heap profile's allocation stacks): the simulator (its
// package, or its HTTP server's connections), the bench's own harness,
// and the rest, which is the controller's.
type heapShot struct {
	total, sim, harness, controller int64
	stack                           int64 // goroutine stacks (not heap)
	goroutines                      int
}

// takeHeap collects the garbage and measures the heap. The profile's
// figures are the sampled ones scaled as pprof scales them; an allocation
// whose stack is cut off before any simulator frame counts as the
// controller's (the attribution errs on the controller's side).
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
	var sampled, sim, harness float64
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
		sampled += inuse
		switch allocatedBy(r.Stack()) {
		case "sim":
			sim += inuse
		case "harness":
			harness += inuse
		}
	}
	// the profile's shares applied to the exact total
	if sampled > 0 {
		h.sim = int64(float64(h.total) * sim / sampled)
		h.harness = int64(float64(h.total) * harness / sampled)
	}
	h.controller = h.total - h.sim - h.harness
	return h
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
