package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
)

const goodSite = "ivr:\n  retries: 2\n"
const otherSite = "ivr:\n  retries: 4\nsegmentation:\n  tiers:\n    gold: 9\n"
const badSite = "routing:\n  default_queue: nowhere\n"

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newReloader serves the plan of the file at path and reloads from it.
func newReloader(t *testing.T, path string, log zerolog.Logger) (*reloader, chan *plan.Plan) {
	t.Helper()
	prompts, err := manifest.PromptIDs()
	if err != nil {
		t.Fatal(err)
	}
	load := func() (*configs.Config, error) { return configs.Load(path, prompts) }
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Compile(cfg, prompts)
	if err != nil {
		t.Fatal(err)
	}
	changed := make(chan *plan.Plan, 4)
	return &reloader{plans: plan.NewHolder(p), load: load, prompts: prompts, log: log,
		onChange: func(p *plan.Plan, _ *configs.Config) { changed <- p }}, changed
}

func TestReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenesa.yaml")
	writeFile(t, path, goodSite)
	r, _ := newReloader(t, path, zerolog.Nop())
	first := r.plans.Load()
	inCall := first // a call in progress took this plan at its start

	t.Run("good file swaps in a new plan with its tiers", func(t *testing.T) {
		writeFile(t, path, otherSite)
		if err := r.reload("test"); err != nil {
			t.Fatal(err)
		}
		cur := r.plans.Load()
		if cur.Version == first.Version || cur.Retries != 4 || cur.Segments.Priority("gold") != 9 {
			t.Errorf("current = version %s retries %d gold %d; want a new version, 4 retries, gold 9",
				cur.Version, cur.Retries, cur.Segments.Priority("gold"))
		}
	})
	t.Run("bad file keeps the old plan and returns the problems", func(t *testing.T) {
		before := r.plans.Load()
		writeFile(t, path, badSite)
		err := r.reload("test")
		if err == nil || !strings.Contains(err.Error(), `routing.default_queue: undefined queue "nowhere"`) {
			t.Fatalf("want the problems, got %v", err)
		}
		if r.plans.Load() != before {
			t.Error("a refused reload replaced the current plan")
		}
	})
	t.Run("a call keeps the plan it started with", func(t *testing.T) {
		if inCall.Retries != 2 || inCall.Segments.Priority("gold") != 7 {
			t.Errorf("plan held by the call changed: retries %d gold %d", inCall.Retries, inCall.Segments.Priority("gold"))
		}
	})
}

// logLines is a zerolog writer that hands every log line to the test.
type logLines chan string

func (l logLines) Write(b []byte) (int, error) {
	select {
	case l <- string(b):
	default: // never block the watcher; the tests wait for few lines
	}
	return len(b), nil
}

// waitLog waits for a log line containing want.
func waitLog(t *testing.T, lines logLines, want string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l := <-lines:
			if strings.Contains(l, want) {
				return l
			}
		case <-deadline:
			t.Fatalf("no log line with %q", want)
		}
	}
}

func TestWatchFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tenesa.yaml")
	writeFile(t, path, goodSite)
	lines := make(logLines, 64)
	r, changed := newReloader(t, path, zerolog.New(lines))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.watch(ctx, path, nil)
	}()
	defer func() { cancel(); <-done }()

	// The watcher may not be set up yet: replace the file (as editors do:
	// write a temp file, rename it over) until the change is seen. The
	// content is the same each time, so only the first one counts.
	replace := func(content string) {
		tmp := filepath.Join(dir, ".tenesa.yaml.tmp")
		writeFile(t, tmp, content)
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	replace(otherSite)
	var p *plan.Plan
	for p == nil {
		select {
		case p = <-changed:
		case <-tick.C:
			replace(otherSite)
		case <-deadline:
			for len(lines) > 0 {
				t.Log(<-lines)
			}
			t.Fatal("file change not seen")
		}
	}
	if p.Retries != 4 || r.plans.Load() != p {
		t.Fatalf("onChange got retries %d; current is it: %v", p.Retries, r.plans.Load() == p)
	}
	waitLog(t, lines, `"message":"config reloaded"`)

	// A bad file is refused with one log line naming every problem.
	replace(badSite)
	l := waitLog(t, lines, `"message":"config reload refused"`)
	if !strings.Contains(l, `undefined queue \"nowhere\"`) || !strings.Contains(l, p.Version) {
		t.Errorf("refusal log line must name the problem and the version kept: %s", l)
	}
	if r.plans.Load() != p {
		t.Error("bad file replaced the plan")
	}
	select {
	case q := <-changed:
		t.Errorf("onChange called for a refused file: %s", q.Version)
	default:
	}
}

// A value on the hang-up channel (serve subscribes it to SIGHUP) reloads.
func TestWatchHangUpReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenesa.yaml")
	writeFile(t, path, goodSite)
	r, changed := newReloader(t, path, zerolog.Nop())
	first := r.plans.Load()
	writeFile(t, path, otherSite)
	hup := make(chan os.Signal)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.watch(ctx, "", hup) // no file watch: only the hang-up reloads
	}()
	defer func() { cancel(); <-done }()
	hup <- os.Interrupt // any signal value; watch does not look at it
	p := <-changed
	if p.Retries != 4 || p.Version == first.Version || r.plans.Load() != p {
		t.Errorf("hang-up reload: retries %d version %s (first %s)", p.Retries, p.Version, first.Version)
	}
}

// TestReloadSwapsACDSettingsWithThePlan: a reload compiles the acd's part
// of the new file with the plan and swaps both: the queue's new wrap-up and
// the agent's new name are what the acd uses from then on.
func TestReloadSwapsACDSettingsWithThePlan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenesa.yaml")
	writeFile(t, path, goodSite)
	r, _ := newReloader(t, path, zerolog.Nop())
	cfg, err := r.load()
	if err != nil {
		t.Fatal(err)
	}
	st, err := acd.FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := acd.New(acd.Options{Client: redistest.Client(t), KeyPrefix: redistest.Prefix(t), Pool: "main",
		Instance: "reload-test"}, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); svc.Wait() }()
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	q := &queueing{svc: svc}
	r.acd = q.reloadACD(ctx, zerolog.Nop())
	writeFile(t, path, "acd:\n  queue_defaults:\n    wrap_up: 45s\n")
	if err := r.reload("test"); err != nil {
		t.Fatal(err)
	}
	if got := svc.Settings().Queues["general"].WrapUp; got != 45*time.Second {
		t.Errorf("general's wrap-up after the reload: %s, want 45s", got)
	}
}
