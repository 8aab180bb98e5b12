package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

func TestPercentileIsNearestRank(t *testing.T) {
	ds := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no values give 0", nil, 0.5, 0},
		{"one value is every percentile", ds(7), 0.99, 7},
		{"median of an odd count is the middle", ds(1, 2, 3, 4, 5), 0.5, 3},
		{"median of an even count is the lower middle", ds(1, 2, 3, 4), 0.5, 2},
		{"p99 of 1..100 is 99", hundred, 0.99, 99},
		{"p50 of 1..100 is 50", hundred, 0.50, 50},
		{"p99 of ten values is the largest", ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10},
		{"p100 is the largest", ds(1, 5, 9), 1, 9},
		{"a tiny p is the smallest", ds(4, 5, 9), 0.0001, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %g) = %v, want %v", tc.sorted, tc.p, got, tc.want)
			}
		})
	}
}

func TestRequestShapeDropsIDs(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/ari/channels/1796010259.370/answer", "channels/{id}/answer"},
		{"/ari/channels/1796010259.370/play/pb-1", "channels/{id}/play/{playbackId}"},
		{"/ari/channels", "channels"},
		{"/ari/asterisk/ping", "asterisk/ping"},
		{"/ari/bridges/b1/addChannel", "bridges/{id}/addChannel"},
	}
	for _, tc := range tests {
		if got := requestShape(tc.path); got != tc.want {
			t.Errorf("requestShape(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no calls", []string{"--calls", "0"}, "--calls 0"},
		{"negative rate", []string{"--rate", "-1"}, "--rate -1"},
		{"more agents than held calls", []string{"--hold", "5", "--agents", "6"}, "--agents 6"},
		{"zero time scale", []string{"--time-scale", "0"}, "--time-scale 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(append([]string{"bench"}, tc.args...), &out, &errb); code != 1 {
				t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Errorf("stderr %q does not name %q", errb.String(), tc.want)
			}
		})
	}
}

// TestBenchShortRunReportsEveryFigure runs the bench with a few calls on
// the simulator and real Redis: every figure is there, positive and
// consistent (no wall-clock limits: the machine may be loaded), every
// held call is held, and the run leaves no key behind.
func TestBenchShortRunReportsEveryFigure(t *testing.T) {
	prefix := redistest.Prefix(t)
	t.Setenv("TENESA_REDIS_KEY_PREFIX", prefix)
	t.Setenv("TENESA_LOG_LEVEL", "warn")
	// a look-up over budget on a loaded machine degrades the call (no
	// menu): a generous budget keeps every caller on the measured path
	t.Setenv("TENESA_SEGMENTATION_LOOKUP_BUDGET", "5s")
	const hold, agents, calls = 40, 5, 30
	var out, errb bytes.Buffer
	code := run([]string{"bench", "--json", "--redis", redistest.Addr(), "--calls", "30", "--concurrency", "5",
		"--rate", "200", "--hold", "40", "--hold-rate", "100", "--agents", "5", "--probes", "5", "--pings", "20", "--time-scale", "0.02"}, &out, &errb)
	if code != 0 {
		t.Fatalf("bench exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	if n := strings.Count(strings.TrimSpace(out.String()), "\n"); n != 0 {
		t.Fatalf("--json printed %d lines, want one:\n%s", n+1, out.String())
	}
	var r benchResult
	dec := json.NewDecoder(strings.NewReader(out.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("JSON line does not parse: %v\n%s", err, out.String())
	}
	positive := map[string]float64{
		"ari_rtt_p50_ms": r.ARIRTTP50ms, "ari_rtt_p99_ms": r.ARIRTTP99ms,
		"redis_rtt_p50_ms": r.RedisRTTP50ms, "redis_rtt_p99_ms": r.RedisRTTP99ms,
		"floor_ms": r.FloorMs, "setup_idle_p50_ms": r.SetupIdleP50ms, "setup_idle_p99_ms": r.SetupIdleP99ms,
		"setup_p50_ms": r.SetupP50ms, "setup_p99_ms": r.SetupP99ms,
		"setup_p50_over_floor": r.SetupP50OverFlr, "setup_p99_over_floor": r.SetupP99OverFlr,
		"setups_per_s": r.SetupsPerSec, "max_setups_per_s": r.MaxSetupsPerSec,
		"max_setup_p50_ms": r.MaxSetupP50ms, "max_setup_p99_ms": r.MaxSetupP99ms,
		"hold_setups_per_s":   r.HoldSetupsPerSec,
		"heap_bytes_per_call": float64(r.HeapPerCall), "heap_bytes_per_call_with_sim": float64(r.HeapPerCallWithSim),
		"sim_heap_bytes_per_call": float64(r.SimHeapPerCall), "stack_bytes_per_call": float64(r.StackPerCall),
		"goroutines_per_call": r.GoroutinesPerCall,
		"dispatch_p50_ms":     r.DispatchP50ms, "dispatch_p99_ms": r.DispatchP99ms,
		"seconds": r.Seconds, "cpus": float64(r.CPUs),
	}
	for name, v := range positive {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	for _, p := range []struct {
		name     string
		p50, p99 float64
	}{
		{"ari_rtt", r.ARIRTTP50ms, r.ARIRTTP99ms}, {"redis_rtt", r.RedisRTTP50ms, r.RedisRTTP99ms},
		{"setup_idle", r.SetupIdleP50ms, r.SetupIdleP99ms}, {"setup", r.SetupP50ms, r.SetupP99ms},
		{"max_setup", r.MaxSetupP50ms, r.MaxSetupP99ms}, {"dispatch", r.DispatchP50ms, r.DispatchP99ms},
	} {
		if p.p50 > p.p99 {
			t.Errorf("%s: p50 %v > p99 %v", p.name, p.p50, p.p99)
		}
	}
	// one set-up answers and plays (ARI) and looks the caller up (Redis)
	if r.ARIPerSetup < 2 || r.RedisPerSetup < 1 {
		t.Errorf("a set-up counted %d ARI requests %v and %d Redis round trips %v; want >= 2 and >= 1",
			r.ARIPerSetup, r.SetupRequests, r.RedisPerSetup, r.SetupRedis)
	}
	if want := float64(r.ARIPerSetup)*r.ARIRTTP50ms + float64(r.RedisPerSetup)*r.RedisRTTP50ms; r.FloorMs != want {
		t.Errorf("floor %v ms, want %d × %v + %d × %v = %v", r.FloorMs, r.ARIPerSetup, r.ARIRTTP50ms, r.RedisPerSetup, r.RedisRTTP50ms, want)
	}
	if r.SetupFailed != 0 || r.MaxSetupFailed != 0 || r.DispatchFailed != 0 {
		t.Errorf("failed: set-up %d, unpaced set-up %d, dispatch %d; want none", r.SetupFailed, r.MaxSetupFailed, r.DispatchFailed)
	}
	if r.Calls != calls || r.HoldPlaced != hold || r.Held != hold || r.HeldActiveCalls != hold {
		t.Errorf("calls %d (want %d); held %d of %d placed, controller active %d; want all %d",
			r.Calls, calls, r.Held, r.HoldPlaced, r.HeldActiveCalls, hold)
	}
	if looked := r.ANILookups["hit_redis"] + r.ANILookups["degraded"]; looked < calls {
		t.Errorf("caller-number look-ups %v: want at least the %d set-up calls, each a different customer", r.ANILookups, calls)
	}
	if r.Dispatches != agents {
		t.Errorf("dispatches %d, want %d", r.Dispatches, agents)
	}
	if r.PeakInFlight < 1 || r.PeakInFlight > r.Concurrency {
		t.Errorf("peak in flight %d, want 1..%d", r.PeakInFlight, r.Concurrency)
	}
	if r.HeapPerCallWithSim < r.HeapPerCall {
		t.Errorf("heap with the simulator %d < the controller's alone %d", r.HeapPerCallWithSim, r.HeapPerCall)
	}
	keys, err := redistest.Client(t).Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		t.Errorf("the bench left %d keys under %s, e.g. %s", len(keys), prefix, keys[0])
	}

	// the table names every figure
	var table bytes.Buffer
	printBench(&table, &r)
	for _, label := range []string{"ARI round trip", "Redis round trip", "one set-up makes", "floor of a set-up",
		"set-up at 200/s offered", "sustained set-ups, concurrency 5", "calls held in queue with MOH",
		"heap per held call", "dispatch (agent ready → originate)", "caller-number look-ups"} {
		if !strings.Contains(table.String(), label) {
			t.Errorf("table lacks %q:\n%s", label, table.String())
		}
	}
}
