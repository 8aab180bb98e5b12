package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// benchOptions are the bench command's flags.
type benchOptions struct {
	Calls       int           // set-ups measured at the offered rate (and again at full speed)
	Concurrency int           // most set-up calls in flight at once
	Rate        float64       // set-ups per second offered (0: as fast as the concurrency allows)
	Hold        int           // calls held waiting in a queue with music on hold
	HoldRate    float64       // callers placed per second in the hold phase (0: unpaced)
	Agents      int           // dispatches measured (one agent readied at a time)
	Probes      int           // sequential set-ups that count the requests of one set-up
	Pings       int           // round trips of the floor (each of ARI and Redis)
	Redis       string        // Redis address
	TimeScale   float64       // the simulator's time scale
	Timeout     time.Duration // the whole run
	CPUProfile  string
	MemProfile  string
}

func defaultBenchOptions() benchOptions {
	return benchOptions{Calls: 2000, Concurrency: 100, Rate: 200, Hold: 10000, HoldRate: 50, Agents: 100, Probes: 50,
		Pings: 500, Redis: "127.0.0.1:6379", TimeScale: 0.05, Timeout: 15 * time.Minute}
}

func (o benchOptions) check() error {
	switch {
	case o.Calls < 1:
		return fmt.Errorf("--calls %d: need at least 1", o.Calls)
	case o.Concurrency < 1:
		return fmt.Errorf("--concurrency %d: need at least 1", o.Concurrency)
	case o.Rate < 0:
		return fmt.Errorf("--rate %g: need 0 (unpaced) or more", o.Rate)
	case o.HoldRate < 0:
		return fmt.Errorf("--hold-rate %g: need 0 (unpaced) or more", o.HoldRate)
	case o.Hold < 1:
		return fmt.Errorf("--hold %d: need at least 1", o.Hold)
	case o.Agents < 1:
		return fmt.Errorf("--agents %d: need at least 1", o.Agents)
	case o.Agents > o.Hold:
		return fmt.Errorf("--agents %d: at most --hold (%d), each takes a waiting call", o.Agents, o.Hold)
	case o.Probes < 1 || o.Pings < 1:
		return fmt.Errorf("--probes %d, --pings %d: need at least 1", o.Probes, o.Pings)
	case o.TimeScale <= 0:
		return fmt.Errorf("--time-scale %g: need more than 0", o.TimeScale)
	case o.Redis == "":
		return errors.New("--redis: empty address")
	}
	return nil
}

func newBenchCmd(env *cliEnv) *cobra.Command {
	o := defaultBenchOptions()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the controller on the simulated PBX and real Redis: set-up and dispatch latency, set-ups/s, calls held, heap per call, against the floor",
		Long:  benchLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			cfg, _, err := env.Load()
			if err != nil {
				return err
			}
			// The controller's own logs would cost more than what is
			// measured: warnings and errors only, on stderr.
			log := zerolog.New(env.Stderr).Level(zerolog.WarnLevel).With().Timestamp().Logger()
			// Ctrl-C stops the run and still deletes its Redis keys
			sctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ctx, cancel := context.WithTimeout(sctx, o.Timeout)
			defer cancel()
			progress := env.Stderr
			if asJSON {
				progress = io.Discard
			}
			res, err := runBench(ctx, cfg, o, log, progress)
			if err != nil {
				return err
			}
			if asJSON {
				b, err := json.Marshal(res)
				if err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, string(b))
				return nil
			}
			printBench(env.Stdout, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Calls, "calls", o.Calls, "calls whose set-up is measured, at --rate and again unpaced")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "most set-up calls in flight at once")
	f.Float64Var(&o.Rate, "rate", o.Rate, "call set-ups per second offered (0: as fast as --concurrency allows)")
	f.IntVar(&o.Hold, "hold", o.Hold, "calls held at once, waiting in a queue with music on hold")
	f.Float64Var(&o.HoldRate, "hold-rate", o.HoldRate, "callers placed per second in the hold phase (each goes through the greeting and two menus)")
	f.IntVar(&o.Agents, "agents", o.Agents, "dispatches measured: agents made ready one at a time while calls wait")
	f.IntVar(&o.Probes, "probes", o.Probes, "calls set up one at a time, counting the ARI requests and Redis round trips of a set-up")
	f.IntVar(&o.Pings, "pings", o.Pings, "round trips timed for the floor (ARI ping, Redis PING)")
	f.StringVar(&o.Redis, "redis", o.Redis, "Redis address (a private key prefix per run, deleted afterwards)")
	f.Float64Var(&o.TimeScale, "time-scale", o.TimeScale, "the simulator's time scale (prompt lengths, key presses)")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "give up after this long")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured phases to this file")
	f.StringVar(&o.MemProfile, "memprofile", "", "write a heap profile (after GC, calls held) to this file")
	f.BoolVar(&asJSON, "json", false, "print one JSON line instead of the table")
	return cmd
}

const benchLong = `bench runs the controller exactly as serve wires it (ARI controller, SOP flow,
acd queues and agents, records) against the embedded simulated PBX (real ARI
over HTTP and WebSocket, in this process) and real Redis (--redis, a private
key prefix per run, deleted afterwards), and measures:

  floor      round trip of one trivial ARI request (GET /asterisk/ping) and of
             one Redis PING, times the ARI requests and Redis round trips one
             set-up makes (counted on --probes calls set up one at a time)
  set-up     StasisStart written by the simulator → greeting play request
             received by it, p50/p99: --calls calls at --rate set-ups/s (at
             most --concurrency in flight), then the same unpaced (the
             sustained set-ups/s at that concurrency)
  held       --hold callers identified, through the menu and waiting in a
             queue with music on hold, all at once; heap (after GC) per call
             over the idle controller, the simulator's share taken out
  dispatch   an agent made ready while calls wait → its originate request
             received by the simulator, p50/p99, --agents times

Latencies are taken on the simulator's side with arisim.Hooks; the caller
numbers are all different, so every look-up goes to Redis.`

// benchResult is what bench reports (the JSON line; the table shows the same).
type benchResult struct {
	Calls       int     `json:"calls"`
	Concurrency int     `json:"concurrency"`
	RateOffered float64 `json:"rate_offered"`
	TimeScale   float64 `json:"time_scale"`

	// the floor
	ARIRTTP50ms     float64  `json:"ari_rtt_p50_ms"`
	ARIRTTP99ms     float64  `json:"ari_rtt_p99_ms"`
	RedisRTTP50ms   float64  `json:"redis_rtt_p50_ms"`
	RedisRTTP99ms   float64  `json:"redis_rtt_p99_ms"`
	ARIPerSetup     int      `json:"ari_requests_per_setup"`
	RedisPerSetup   int      `json:"redis_round_trips_per_setup"`
	SetupRequests   []string `json:"setup_requests"`
	SetupRedis      []string `json:"setup_redis_commands"`
	FloorMs         float64  `json:"floor_ms"`
	SetupIdleP50ms  float64  `json:"setup_idle_p50_ms"`
	SetupIdleP99ms  float64  `json:"setup_idle_p99_ms"`
	SetupP50ms      float64  `json:"setup_p50_ms"`
	SetupP99ms      float64  `json:"setup_p99_ms"`
	SetupP50OverFlr float64  `json:"setup_p50_over_floor"`
	SetupP99OverFlr float64  `json:"setup_p99_over_floor"`
	SetupsPerSec    float64  `json:"setups_per_s"`
	SetupFailed     int      `json:"setup_failed"`
	MaxSetupsPerSec float64  `json:"max_setups_per_s"`
	MaxSetupP50ms   float64  `json:"max_setup_p50_ms"`
	MaxSetupP99ms   float64  `json:"max_setup_p99_ms"`
	MaxSetupFailed  int      `json:"max_setup_failed"`
	PeakInFlight    int      `json:"peak_in_flight"`

	HoldPlaced         int     `json:"hold_placed"`
	Held               int     `json:"held"`
	HeldActiveCalls    int     `json:"held_active_calls"`
	HoldSetupsPerSec   float64 `json:"hold_setups_per_s"`
	HeapPerCall        int64   `json:"heap_bytes_per_call"`
	HeapPerCallWithSim int64   `json:"heap_bytes_per_call_with_sim"`
	SimHeapPerCall     int64   `json:"sim_heap_bytes_per_call"`
	StackPerCall       int64   `json:"stack_bytes_per_call"`
	GoroutinesPerCall  float64 `json:"goroutines_per_call"`

	Dispatches     int     `json:"dispatches"`
	DispatchP50ms  float64 `json:"dispatch_p50_ms"`
	DispatchP99ms  float64 `json:"dispatch_p99_ms"`
	DispatchFailed int     `json:"dispatch_failed"`

	// ANILookups counts the caller-number look-ups of the whole run by
	// result (hit_redis, unknown, degraded: over the look-up budget ...).
	ANILookups map[string]int `json:"ani_lookups"`

	CPUs      int       `json:"cpus"`
	LoadAvg   string    `json:"loadavg"`
	GoVersion string    `json:"go"`
	Start     time.Time `json:"start"`
	Seconds   float64   `json:"seconds"`
}

// printBench writes the result as a table: each figure, its target and the floor.
func printBench(w io.Writer, r *benchResult) {
	fmt.Fprintf(w, "tenesa-ivr bench (%d CPUs, load average %s, %s, simulator time scale %g)\n\n", r.CPUs, r.LoadAvg, r.GoVersion, r.TimeScale)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(what, value, note string) { fmt.Fprintf(tw, "%s\t%s\t%s\n", what, value, note) }
	row("FIGURE", "MEASURED", "NOTE")
	row("ARI round trip (GET /asterisk/ping)", fmt.Sprintf("p50 %.3f ms  p99 %.3f ms", r.ARIRTTP50ms, r.ARIRTTP99ms), "")
	row("Redis round trip (PING)", fmt.Sprintf("p50 %.3f ms  p99 %.3f ms", r.RedisRTTP50ms, r.RedisRTTP99ms), "")
	row("one set-up makes", fmt.Sprintf("%d ARI requests, %d Redis round trips", r.ARIPerSetup, r.RedisPerSetup),
		strings.Join(r.SetupRequests, ", ")+"; "+strings.Join(r.SetupRedis, ", "))
	row("floor of a set-up", fmt.Sprintf("%.3f ms", r.FloorMs), "requests × p50 round trips")
	row("set-up, one call at a time", fmt.Sprintf("p50 %.3f ms  p99 %.3f ms", r.SetupIdleP50ms, r.SetupIdleP99ms), "")
	row(fmt.Sprintf("set-up at %g/s offered", r.RateOffered), fmt.Sprintf("p50 %.3f ms  p99 %.3f ms", r.SetupP50ms, r.SetupP99ms),
		fmt.Sprintf("p50 %.2f×, p99 %.2f× the floor (target p99 ≤ 1.5×); %d calls, %d failed", r.SetupP50OverFlr, r.SetupP99OverFlr, r.Calls, r.SetupFailed))
	row("set-ups per second achieved", fmt.Sprintf("%.1f/s", r.SetupsPerSec), fmt.Sprintf("offered %g/s", r.RateOffered))
	row(fmt.Sprintf("sustained set-ups, concurrency %d", r.Concurrency), fmt.Sprintf("%.1f/s", r.MaxSetupsPerSec),
		fmt.Sprintf("unpaced: p50 %.3f ms  p99 %.3f ms, %d failed", r.MaxSetupP50ms, r.MaxSetupP99ms, r.MaxSetupFailed))
	row("calls held in queue with MOH", fmt.Sprintf("%d of %d placed", r.Held, r.HoldPlaced),
		fmt.Sprintf("controller active calls %d (target 10,000)", r.HeldActiveCalls))
	row("heap per held call, controller", fmt.Sprintf("%.1f KiB", float64(r.HeapPerCall)/1024),
		fmt.Sprintf("target < 16 KiB; with the simulator %.1f KiB (simulator %.1f KiB)", float64(r.HeapPerCallWithSim)/1024, float64(r.SimHeapPerCall)/1024))
	row("goroutine stacks per held call", fmt.Sprintf("%.1f KiB", float64(r.StackPerCall)/1024),
		fmt.Sprintf("%.1f goroutines per call (controller and simulator), not heap", r.GoroutinesPerCall))
	row("dispatch (agent ready → originate)", fmt.Sprintf("p50 %.3f ms  p99 %.3f ms", r.DispatchP50ms, r.DispatchP99ms),
		fmt.Sprintf("target p99 < 2 ms; %d dispatches, %d failed", r.Dispatches, r.DispatchFailed))
	row("caller-number look-ups", lookupSummary(r.ANILookups), "a degraded look-up (over budget) greets, then routes unidentified")
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%.0f s; `tenesa-ivr bench --json` prints these figures as one JSON line.\n", r.Seconds)
}

// loadAvg is /proc/loadavg's first three fields ("" elsewhere).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// randomHex is n random bytes in hex (key prefixes, the simulator's password).
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startProfiles starts the CPU profile (if asked); stop ends it.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() error { pprof.StopCPUProfile(); return f.Close() }, nil
}

// writeHeapProfile writes the heap profile (after a GC) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("--memprofile: %w", err)
	}
	return f.Close()
}

// lookupSummary is "hit_redis 2000, degraded 3" in a fixed order.
func lookupSummary(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// aniLookups reads the run's caller-number look-ups by result from the
// controller's metrics.
func aniLookups(g prometheus.Gatherer) map[string]int {
	out := map[string]int{}
	mfs, err := g.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		if !strings.HasSuffix(mf.GetName(), "segmentation_lookups_total") {
			continue
		}
		for _, m := range mf.GetMetric() {
			var kind, result string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "kind":
					kind = l.GetValue()
				case "result":
					result = l.GetValue()
				}
			}
			if kind == "ani" {
				out[result] += int(m.GetCounter().GetValue())
			}
		}
	}
	return out
}
