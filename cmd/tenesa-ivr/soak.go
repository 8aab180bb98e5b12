package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// soakOptions are the soak's knobs (flags).
type soakOptions struct {
	Duration time.Duration
	Rate     float64 // calls per second
	JSON     bool
	Report   string // also write the JSON report to this file
	Sample   string
	Dir      string // work folder (configs, logs); "" = a temporary one, removed on success
	Seed     uint64
}

func newSoakCmd(env *cliEnv) *cobra.Command {
	var o soakOptions
	cmd := &cobra.Command{
		Use:   "soak",
		Short: "Chaos soak: three controllers, the simulated PBX and Redis with Sentinel under steady calls and faults",
		Long: `soak starts a private Redis (master, replica, three sentinels), the ARI simulator
(StasisBroadcast to ^tenesa-ivr-) and three 'tenesa-ivr serve' child processes
(broadcast and failover on), places calls at a steady rate with a mix of callers
while simulated agents answer, and injects faults spread over the duration:
unknown event types, kill -9 of one controller and later its restart, a cut events
WebSocket, stalled ARI requests and a restart of the Redis master. It then checks
every offered call has exactly one handling record, no caller heard silence over
2 s, no agent was rung for two calls at once, and the controllers that ran
throughout have flat goroutines and heap; the exit status is 1 if any check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Duration < 20*time.Second {
				return fmt.Errorf("--duration %s: at least 20s (the faults are spread over it)", o.Duration)
			}
			if o.Rate <= 0 || o.Rate > 20 {
				return fmt.Errorf("--rate %g: between 0 and 20 calls per second", o.Rate)
			}
			rep, err := runSoak(cmd.Context(), o, env.Stderr)
			if rep != nil && o.Report != "" {
				f, ferr := os.Create(o.Report)
				if ferr == nil {
					ferr = rep.writeJSON(f)
					if cerr := f.Close(); ferr == nil {
						ferr = cerr
					}
				}
				if ferr != nil {
					return fmt.Errorf("--report %s: %w", o.Report, ferr)
				}
			}
			if rep != nil {
				if o.JSON {
					if err := rep.writeJSON(env.Stdout); err != nil {
						return err
					}
				} else {
					rep.print(env.Stdout)
				}
			}
			if err != nil {
				return err
			}
			if !rep.OK {
				return &exitError{code: 1, err: errors.New("soak: a check failed")}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&o.Duration, "duration", 5*time.Minute, "how long calls are placed (the faults are spread over it)")
	cmd.Flags().Float64Var(&o.Rate, "rate", 0.5, "calls per second")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&o.Report, "report", "", "also write the JSON report to this file")
	cmd.Flags().StringVar(&o.Sample, "sample", "", "folder with customers.csv, tickets.csv, incidents.csv (default: the sample built into the binary)")
	cmd.Flags().StringVar(&o.Dir, "dir", "", "work folder for configs and logs (default: a temporary folder, kept when the soak fails)")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 1, "seed of the caller mix")
	return cmd
}

// Timings of the soak (wall time; the simulator runs in real time).
const (
	soakAgents      = 8
	soakAnswerAfter = 3 * time.Second  // an agent's phone rings this long
	soakTalk        = 10 * time.Second // then the agent talks and hangs up
	soakCallerWaits = 45 * time.Second // a queued caller gives up after this
	soakCallLife    = 90 * time.Second // the soak hangs up a call still up after this
	// ari.failover's defaults: the soak runs what ships (a shorter lease
	// than the Redis failover time makes every lease lapse at once).
	soakLeaseTTL     = 750 * time.Millisecond
	soakRenewEvery   = 250 * time.Millisecond
	soakRedisDown    = time.Second // sentinels' down-after-milliseconds
	soakRecordsWait  = 90 * time.Second
	soakStallFor     = 3 * time.Second // beyond ari.request_timeout (2s)
	soakBroadcastWin = 3 * time.Second
)

// soakScenario is one kind of caller of the mix.
type soakScenario struct {
	name   string
	weight int
	caller func() arisim.Caller
}

func soakTalks() []arisim.Step {
	return []arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(soakCallerWaits), arisim.HangUp()}
}

// soakMix: identified enterprise, government and business callers, unknown
// numbers, menu choices, ticket checks and abandons (numbers of
// configs/sample).
// at waits for a prompt and presses keys at once.
func at(prompt, keys string) []arisim.Step {
	return []arisim.Step{arisim.WaitForPrompt(prompt), arisim.Press(keys)}
}

func soakMix() []soakScenario {
	c := func(number string, steps ...[]arisim.Step) func() arisim.Caller {
		return func() arisim.Caller { return arisim.Caller{Number: number, Script: script(steps...)} }
	}
	return []soakScenario{
		{"enterprise platinum, data complaint", 3, c("+62215551234", at("menu-main", "1"), at("menu-complaint-product", "1"), soakTalks())},
		{"enterprise gold, IndiHome complaint", 2, c("0813 5000 2202", at("menu-main", "1"), at("menu-complaint-product", "2"), soakTalks())},
		{"government, agent", 2, c("0361.555.234", at("menu-main", "0"), soakTalks())},
		{"government platinum, billing", 1, c("(0967) 555123", at("menu-main", "3"), at("menu-information", "1"), soakTalks())},
		{"business, upgrade request", 2, c("0812 9000 1111", at("menu-main", "4"), at("menu-request", "2"), soakTalks())},
		{"business English, agent", 1, c("+62 361 555 888", at("menu-main", "0"), soakTalks())},
		{"unknown number, service ID, menu", 2, c("+62215550000", at("ask-service-id", "122101000101#"), at("menu-main", "4"), at("menu-request", "1"), soakTalks())},
		{"ticket check, then agent", 2, c("+62215551234", at("menu-main", "2"), at("ask-service-id", "470301000101#"), at("offer-agent", "0"), soakTalks())},
		{"ticket check, done", 1, c("+62215551234", at("menu-main", "2"), at("ask-service-id", "470301000102#"), at("offer-agent", "1"), at("further-help", "2"))},
		{"ticket check, hangs up", 1, c("(031) 5550188", at("menu-main", "2"), at("ask-service-id", "470301000201#"),
			[]arisim.Step{arisim.WaitForPrompt("offer-agent"), arisim.HangUp()})},
		{"incident, then agent", 1, c("0411 5550321", at("incident-continue", "1"), at("menu-main", "0"), soakTalks())},
		{"consumer, back to the dialplan", 1, c("0813-1000-2001")},
		{"abandons in the menu", 2, c("061 5550777", []arisim.Step{arisim.WaitForPrompt("menu-main"), arisim.Wait(2 * time.Second), arisim.HangUp()})},
		{"invalid key, then agent", 1, c("031 5550912", at("menu-main", "7"), at("invalid-option", ""), at("menu-main", "0"), soakTalks())},
		{"abandons in the queue", 2, c("021-555-3000", at("menu-main", "0"),
			[]arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(2 * time.Second), arisim.HangUp()})},
	}
}

// soakCtl is one controller child process.
type soakCtl struct {
	instance, app, config, logPath, metrics string
	exe                                     string
	mu                                      sync.Mutex
	cmd                                     *exec.Cmd
	done                                    chan struct{}
	killed                                  bool
}

func (c *soakCtl) start() error {
	lf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(c.exe, "serve", "--config", c.config)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("start controller %s: %w", c.instance, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); lf.Close(); close(done) }()
	c.mu.Lock()
	c.cmd, c.done = cmd, done
	c.mu.Unlock()
	return nil
}

// kill9 is kill -9 of the controller process.
func (c *soakCtl) kill9() error {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.cmd, c.killed = nil, true
	c.mu.Unlock()
	if cmd == nil {
		return errors.New("not running")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-done
	return nil
}

// stop drains the controller with SIGTERM, then SIGKILL after grace.
func (c *soakCtl) stop(grace time.Duration) {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (c *soakCtl) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// waitReady waits until /readyz answers 200.
func (c *soakCtl) waitReady(ctx context.Context, limit time.Duration) error {
	return pollUntil(ctx, limit, "controller "+c.instance+" ready (/readyz 200)", func() (bool, error) {
		if !c.running() {
			return false, fmt.Errorf("controller %s exited; see %s", c.instance, c.logPath)
		}
		resp, err := http.Get("http://" + c.metrics + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// sample scrapes go_goroutines and go_memstats_heap_inuse_bytes.
func (c *soakCtl) sample() (*soakSample, error) {
	resp, err := http.Get("http://" + c.metrics + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	s, found := &soakSample{}, 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "go_goroutines":
			s.Goroutines, err = strconv.ParseFloat(val, 64)
			found++
		case "go_memstats_heap_inuse_bytes":
			s.HeapInuse, err = strconv.ParseFloat(val, 64)
			found++
		}
		if err != nil {
			return nil, fmt.Errorf("/metrics %s: %w", name, err)
		}
	}
	if found != 2 {
		return nil, errors.New("/metrics lacks go_goroutines or go_memstats_heap_inuse_bytes")
	}
	return s, sc.Err()
}

// soakRun is the state of one run.
type soakRun struct {
	o     soakOptions
	log   io.Writer
	start time.Time
	sim   *arisim.Server
	ha    *redisHA
	ctls  []*soakCtl
	rep   *soakReport

	mu     sync.Mutex
	calls  []*soakPlaced
	faults []soakFault
}

type soakPlaced struct {
	scenario string
	call     *arisim.Call
	forced   bool
}

func (r *soakRun) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "soak %6.1fs  %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

func (r *soakRun) fault(kind, target, detail string, err error) {
	f := soakFault{At: time.Since(r.start), Kind: kind, Target: target, Detail: detail}
	if err != nil {
		f.Err = err.Error()
	}
	r.mu.Lock()
	r.faults = append(r.faults, f)
	r.mu.Unlock()
	r.logf("fault %s %s %s %s", kind, target, detail, f.Err)
}

// runSoak runs the whole soak and returns its report (evaluated).
func runSoak(parent context.Context, o soakOptions, logw io.Writer) (*soakReport, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	r := &soakRun{o: o, log: logw, start: time.Now(), rep: &soakReport{Duration: o.Duration, Rate: o.Rate, Scenarios: map[string]int{}}}
	dir := o.Dir
	keep := dir != ""
	if dir == "" {
		d, err := os.MkdirTemp("", "tenesa-soak-")
		if err != nil {
			return nil, err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	defer func() {
		if !keep && r.rep.OK {
			_ = os.RemoveAll(dir)
		} else {
			r.logf("work folder (configs, controller logs, Redis logs) kept: %s", dir)
		}
	}()

	// Redis with Sentinel.
	r.logf("starting Redis: master, replica, three sentinels")
	ha, err := startRedisHA(ctx, filepath.Join(dir, "redis"), soakRedisDown)
	defer ha.close()
	if err != nil {
		return nil, fmt.Errorf("soak Redis: %w", err)
	}
	r.ha = ha
	base, err := manifest.Load("")
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	prefix := "soak:" + hex.EncodeToString(secret[:4]) + ":"
	rc := base.Redis
	rc.Addr, rc.MasterName, rc.KeyPrefix = ha.sentinelAddrs(), soakMasterName, prefix
	sample, err := soakSampleDir(o.Sample, filepath.Join(dir, "sample"))
	if err != nil {
		return nil, err
	}
	if err := loadSample(ctx, rc, base.Segmentation, os.DirFS(sample), io.Discard); err != nil {
		return nil, err
	}

	// The simulated PBX, in this process.
	durations, err := promptDurations()
	if err != nil {
		return nil, err
	}
	password := hex.EncodeToString(secret[4:])
	sim := arisim.New(arisim.Options{Username: "tenesa-soak", Password: password, TimeScale: 1,
		PromptDurations: durations, BroadcastTimeout: soakBroadcastWin})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	defer sim.Close()
	r.sim = sim
	var endpoints []string
	for i := range soakAgents {
		ep := fmt.Sprintf("PJSIP/soak%d", 2001+i)
		endpoints = append(endpoints, ep)
		sim.AddAgent(arisim.Agent{Endpoint: ep, AnswerAfter: soakAnswerAfter, HangupAfter: soakTalk})
	}

	// Three controllers.
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"soak-a", "soak-b", "soak-c"} {
		port, err := freeLoopbackPort()
		if err != nil {
			return nil, err
		}
		c := &soakCtl{instance: name, app: "tenesa-ivr-" + name, exe: exe,
			config:  filepath.Join(dir, name+".yaml"),
			logPath: filepath.Join(dir, name+".log"), metrics: "127.0.0.1:" + strconv.Itoa(port)}
		y := soakConfig(name, sim.URL(), password, ha.sentinelAddrs(), prefix, c.metrics, endpoints)
		if err := os.WriteFile(c.config, []byte(y), 0o600); err != nil {
			return nil, err
		}
		if _, err := manifest.Load(c.config); err != nil {
			return nil, fmt.Errorf("soak controller config: %w", err)
		}
		r.ctls = append(r.ctls, c)
	}
	defer func() {
		for _, c := range r.ctls {
			c.stop(15 * time.Second)
		}
	}()
	for _, c := range r.ctls {
		if err := c.start(); err != nil {
			return nil, err
		}
	}
	for _, c := range r.ctls {
		if err := c.waitReady(ctx, 60*time.Second); err != nil {
			return nil, err
		}
	}
	r.logf("controllers ready; idle baseline")
	usage := make([]soakUsage, len(r.ctls))
	for i, c := range r.ctls {
		usage[i] = soakUsage{Instance: c.instance, Checked: true}
		s, err := c.sample()
		if err != nil {
			return nil, fmt.Errorf("controller %s: %w", c.instance, err)
		}
		usage[i].Before = s
	}

	// Calls and faults.
	r.start = time.Now()
	gen := r.generate(ctx)
	var fw sync.WaitGroup
	fw.Add(1)
	go func() { defer fw.Done(); r.chaos(ctx) }()
	<-gen
	fw.Wait()
	r.logf("calls placed: %d; waiting for them to end", len(r.calls))
	r.waitCalls(ctx)

	// Records, then the after samples.
	ids := make([]string, len(r.calls))
	for i, p := range r.calls {
		ids[i] = p.call.ChannelID()
	}
	client, err := segmentation.NewRedisClient(rc)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	records, err := soakRecords(ctx, client, prefix+"records", ids)
	if err != nil {
		r.rep.Errors = append(r.rep.Errors, "records: "+err.Error())
	}
	r.logf("records read; settling before the after samples")
	select {
	case <-time.After(5 * time.Second):
	case <-ctx.Done():
	}
	for i, c := range r.ctls {
		if c.killed {
			usage[i].Checked, usage[i].Note = false, "killed and restarted during the soak"
			usage[i].Before = nil
		}
		s, err := c.sample()
		if err != nil {
			usage[i].Note = strings.TrimPrefix(usage[i].Note+"; ", "; ") + "after: " + err.Error()
			continue
		}
		usage[i].After = s
	}
	r.rep.Controllers = usage

	// The report.
	rep := r.rep
	rep.Offered = len(r.calls)
	for i, p := range r.calls {
		t := p.call.Transcript()
		rec := records[ids[i]]
		rep.Calls = append(rep.Calls, soakCall{ID: ids[i], Scenario: p.scenario, Records: len(rec), Instances: rec,
			MaxSilence: t.MaxWaitSilence, SilenceFrom: t.WaitSilenceFrom, MaxSilenceWithKeys: t.MaxSilence, ClaimedBy: t.ClaimedBy, Broadcast: t.Broadcast,
			HungUpBy: t.HungUpBy, ForcedEnd: p.forced})
		if t.MaxWaitSilence > soakMaxSilence {
			rep.Calls[i].Heard = heardSummary(t)
		}
		rep.Scenarios[p.scenario]++
	}
	for _, ep := range endpoints {
		legs := sim.AgentReport(ep)
		rep.AgentLegs += len(legs)
		rep.Rings = append(rep.Rings, doubleRings(ep, legs)...)
	}
	rep.Faults = r.faults
	rep.evaluate()
	return rep, nil
}

// generate places calls at the steady rate until the duration is over;
// the returned channel closes then.
func (r *soakRun) generate(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	mix := soakMix()
	total := 0
	for _, s := range mix {
		total += s.weight
	}
	rng := mrand.New(mrand.NewPCG(r.o.Seed, 0x7e5e5a))
	interval := time.Duration(float64(time.Second) / r.o.Rate)
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		end := time.After(r.o.Duration)
		for {
			n := rng.IntN(total)
			var sc soakScenario
			for _, s := range mix {
				if n < s.weight {
					sc = s
					break
				}
				n -= s.weight
			}
			cl := sc.caller()
			cl.Broadcast = true
			call, err := r.sim.PlaceCall(cl)
			if err != nil {
				r.mu.Lock()
				r.rep.Errors = append(r.rep.Errors, "place call: "+err.Error())
				r.mu.Unlock()
			} else {
				p := &soakPlaced{scenario: sc.name, call: call}
				r.mu.Lock()
				r.calls = append(r.calls, p)
				r.mu.Unlock()
				go r.bound(ctx, p)
			}
			select {
			case <-ctx.Done():
				return
			case <-end:
				return
			case <-t.C:
			}
		}
	}()
	return done
}

// bound hangs up a call still up after soakCallLife (reported as forced).
func (r *soakRun) bound(ctx context.Context, p *soakPlaced) {
	t := time.NewTimer(soakCallLife)
	defer t.Stop()
	select {
	case <-p.call.Done():
	case <-ctx.Done():
	case <-t.C:
		r.mu.Lock()
		p.forced = true
		r.mu.Unlock()
		p.call.HangUp()
	}
}

func (r *soakRun) waitCalls(ctx context.Context) {
	for _, p := range r.calls {
		select {
		case <-p.call.Done():
		case <-ctx.Done():
			return
		}
	}
}

// chaos injects the faults at their share of the duration.
func (r *soakRun) chaos(ctx context.Context) {
	a, b := r.ctls[0], r.ctls[1]
	at := func(share float64) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Until(r.start.Add(time.Duration(share * float64(r.o.Duration))))):
			return true
		}
	}
	unknown := func() {
		for _, c := range r.ctls {
			for _, raw := range []string{
				`{"type":"SoakUnknownEvent","application":"` + c.app + `","timestamp":"2026-01-01T00:00:00.000+0000"}`,
				`{"type":"ChannelTeleported","application":"` + c.app + `","channel":{"id":"soak-none","name":"PJSIP/x","state":"Up"}}`,
				`{"application":"` + c.app + `"}`,
			} {
				r.sim.InjectRawEvent(c.app, []byte(raw))
			}
		}
		r.fault("unknown events", "every controller", "3 events of unknown or missing type on each socket", nil)
	}
	if !at(0.10) {
		return
	}
	unknown()
	if !at(0.20) {
		return
	}
	r.fault("kill -9", a.instance, "", a.kill9())
	if !at(0.35) {
		return
	}
	var err error
	if !r.sim.DropWebSocket(b.app) {
		err = errors.New("no events socket to cut")
	}
	r.fault("cut events WebSocket", b.instance, "", err)
	if !at(0.45) {
		return
	}
	var n int
	var nmu sync.Mutex
	restore := r.sim.DelayResponses(func(method, path string) bool {
		nmu.Lock()
		defer nmu.Unlock()
		n++
		return n%4 == 0
	}, soakStallFor)
	win := max(3*time.Second, r.o.Duration/12)
	r.fault("stalled ARI requests", "every controller", fmt.Sprintf("1 request in 4 answered %s late (request_timeout 2s; it takes effect at once) for %s", soakStallFor, win), nil)
	select {
	case <-time.After(win):
	case <-ctx.Done():
	}
	restore()
	if !at(0.55) {
		return
	}
	old, nw, down, err := r.ha.restartMaster(ctx)
	r.fault("restart Redis master", old, fmt.Sprintf("new master %s after %s; old one back as its replica", nw, down.Round(time.Millisecond)), err)
	if !at(0.70) {
		return
	}
	r.fault("restart controller", a.instance, "same instance and application", a.start())
	// It is ready only once no survivor serves its application any more
	// (it must not take calls back mid-call): wait for it meanwhile.
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		t0 := time.Now()
		err := a.waitReady(ctx, soakCallLife+30*time.Second)
		r.fault("controller ready again", a.instance, fmt.Sprintf("after %s", time.Since(t0).Round(100*time.Millisecond)), err)
	}()
	if at(0.80) {
		unknown()
	}
	<-ready
}

// soakConfig is one controller's configuration file.
func soakConfig(instance, ariURL, password, sentinels, prefix, metrics string, endpoints []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `instance: %s
log:
  level: info
  format: json
ari:
  url: %s
  username: tenesa-soak
  password: %q
  application: tenesa-ivr
  request_timeout: 2s
  reconnect_min: 100ms
  reconnect_max: 1s
  shutdown_grace: 10s
  broadcast: true
  failover:
    enabled: true
    lease_ttl: %s
    renew_every: %s
redis:
  addr: %q
  master_name: %s
  key_prefix: %q
metrics:
  listen: %s
agentapi:
  listen: ""
acd:
  queue_defaults:
    wrap_up: 3s
    ring_timeout: 8s
    max_wait: 60s
    announce_every: 15s
agents:
`, instance, ariURL, password, soakLeaseTTL, soakRenewEvery, sentinels, soakMasterName, prefix, metrics)
	queues := "[general, vip-platinum, english-desk, enterprise-data, enterprise-care, indihome-enterprise, government, business, wholesale, billing, sales, ticket-desk]"
	skills := "[segment:DES, segment:DGS, segment:DBS, segment:DWS, product:data_internet, product:indihome, product:telephony, product:wifi_id, lang:id, lang:en, tier:platinum]"
	for i, ep := range endpoints {
		role, qs := "agent", queues
		if i >= len(endpoints)-2 {
			role, qs = "team_leader", "[team-leader]"
		}
		fmt.Fprintf(&b, "  - {id: \"%d\", name: Soak %d, endpoint: %s, team: soak, role: %s, skills: %s, queues: %s, login_at_start: true}\n",
			2001+i, 2001+i, ep, role, skills, qs)
	}
	return b.String()
}

// soakRecords waits until every call id has a handling record in the
// stream (or soakRecordsWait passes), then a little longer for late
// doubles, and returns the instances that wrote each call's records.
func soakRecords(ctx context.Context, client redis.UniversalClient, stream string, ids []string) (map[string][]string, error) {
	var out map[string][]string
	read := func() error {
		out = map[string][]string{}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		msgs, err := client.XRange(rctx, stream, "-", "+").Result()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			id, _ := m.Values["call_id"].(string)
			var rec struct {
				Instance string `json:"instance"`
			}
			if s, ok := m.Values["record"].(string); ok {
				_ = json.Unmarshal([]byte(s), &rec)
			}
			out[id] = append(out[id], rec.Instance)
		}
		return nil
	}
	err := pollUntil(ctx, soakRecordsWait, "a handling record of every call", func() (bool, error) {
		if err := read(); err != nil {
			return false, nil // Redis may be failing over; keep trying
		}
		for _, id := range ids {
			if len(out[id]) == 0 {
				return false, nil
			}
		}
		return true, nil
	})
	select {
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
	}
	if rerr := read(); rerr != nil {
		return out, rerr
	}
	if err != nil && !strings.HasPrefix(err.Error(), "timed out") {
		return out, err
	}
	return out, nil
}

// heardSummary is what a caller heard, for the report of a silent call:
// "media start–end status" (sim time) and the silences.
func heardSummary(t arisim.CallReport) []string {
	var out []string
	for _, h := range t.Heard {
		m := strings.TrimPrefix(strings.TrimPrefix(h.Media, "sound:"), "tenesa/")
		out = append(out, fmt.Sprintf("%s %s–%s %s", m, h.Start.Format("15:04:05.000"), h.End.Format("15:04:05.000"), h.Status))
	}
	for _, sl := range t.Silences {
		out = append(out, fmt.Sprintf("silence %s–%s", sl.From.Format("15:04:05.000"), sl.To.Format("15:04:05.000")))
	}
	return out
}

// soakSampleDir copies the sample CRM export, keeping only the Makassar
// outage: the mix's scripts answer the incident prompt only on the
// incident scenario's line (a caller who does not expect a prompt would
// sit through first_digit_timeout, a silence of the script, not of the
// controllers).
func soakSampleDir(from, to string) (string, error) {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return "", err
	}
	src, err := fs.Sub(configs.Sample, "sample")
	if err != nil {
		return "", err
	}
	if from != "" {
		src = os.DirFS(from)
	}
	for _, name := range []string{"customers.csv", "tickets.csv", "incidents.csv"} {
		b, err := fs.ReadFile(src, name)
		if err != nil {
			return "", fmt.Errorf("sample data: %w", err)
		}
		if name == "incidents.csv" {
			var keep []string
			for i, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if i == 0 || strings.Contains(l, ",makassar,") {
					keep = append(keep, l)
				}
			}
			b = []byte(strings.Join(keep, "\n") + "\n")
		}
		if err := os.WriteFile(filepath.Join(to, name), b, 0o644); err != nil {
			return "", err
		}
	}
	return to, nil
}
