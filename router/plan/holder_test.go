package plan

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
)

const goodSite = "ivr:\n  retries: 2\n"
const otherSite = "ivr:\n  retries: 4\n"
const badSite = "routing:\n  default_queue: nowhere\n"

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func loaderFor(path string) func() (*configs.Config, error) {
	return func() (*configs.Config, error) { return manifest.Load(path) }
}

func TestHolderReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenesa.yaml")
	writeFile(t, path, goodSite)
	first, err := loadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHolder(first)
	inCall := h.Current() // a call in progress took this plan at its start

	t.Run("good file gives a new version", func(t *testing.T) {
		writeFile(t, path, otherSite)
		if err := h.Reload(loaderFor(path)); err != nil {
			t.Fatal(err)
		}
		if cur := h.Current(); cur.Version == first.Version || cur.Retries != 4 {
			t.Errorf("current = version %s retries %d; want a new version with 4 retries", cur.Version, cur.Retries)
		}
	})
	t.Run("bad file keeps the old plan and returns the problems", func(t *testing.T) {
		before := h.Current()
		writeFile(t, path, badSite)
		err := h.Reload(loaderFor(path))
		var ps configs.Problems
		if !errors.As(err, &ps) || !strings.Contains(err.Error(), `routing.default_queue: undefined queue "nowhere"`) {
			t.Fatalf("want the problems, got %v", err)
		}
		if h.Current() != before {
			t.Error("a refused reload replaced the current plan")
		}
	})
	t.Run("a call keeps the plan it started with", func(t *testing.T) {
		if inCall != first || inCall.Retries != 2 || inCall.Root.Options["1"].Next.Name != "complaint" {
			t.Errorf("plan held by the call changed: %+v", inCall)
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
	first, err := loadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHolder(first)
	changed := make(chan *Plan, 4)
	lines := make(logLines, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.watch(ctx, path, loaderFor(path), zerolog.New(lines), func(p *Plan) { changed <- p }, nil)
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
	var p *Plan
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
	if p.Retries != 4 || h.Current() != p {
		t.Fatalf("onChange got retries %d; current is it: %v", p.Retries, h.Current() == p)
	}
	waitLog(t, lines, `"message":"config reloaded"`)

	// A bad file is refused with one log line naming every problem.
	replace(badSite)
	l := waitLog(t, lines, `"message":"config reload refused"`)
	if !strings.Contains(l, `undefined queue \"nowhere\"`) || !strings.Contains(l, p.Version) {
		t.Errorf("refusal log line must name the problem and the version kept: %s", l)
	}
	if h.Current() != p {
		t.Error("bad file replaced the plan")
	}
	select {
	case q := <-changed:
		t.Errorf("onChange called for a refused file: %s", q.Version)
	default:
	}
}

func TestWatchSIGHUP(t *testing.T) {
	// Keep SIGHUP from ending the test binary before Watch has subscribed.
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)

	retries := make(chan int, 1)
	retries <- 2
	load := func() (*configs.Config, error) {
		cfg, err := manifest.Load("")
		if err == nil {
			n := <-retries
			cfg.IVR.Retries = n
			retries <- n
		}
		return cfg, err
	}
	cfg, _ := load()
	first, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHolder(first)
	<-retries
	retries <- 5 // the "edited" config SIGHUP will load
	changed := make(chan *Plan, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Watch(ctx, "", load, zerolog.Nop(), func(p *Plan) { changed <- p })
	}()
	defer func() { cancel(); <-done }()

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case p := <-changed:
			if p.Retries != 5 || p.Version == first.Version {
				t.Errorf("SIGHUP reload: retries %d version %s", p.Retries, p.Version)
			}
			return
		case <-tick.C:
		case <-deadline:
			t.Fatal("SIGHUP did not reload")
		}
	}
}
