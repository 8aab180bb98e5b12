package plan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
)

// Holder holds the current Plan. A reload compiles and validates a whole new
// Plan first, then swaps one pointer: a call that took the old Plan keeps it,
// and a bad file never replaces a good one.
type Holder struct {
	cur atomic.Pointer[Plan]
	mu  sync.Mutex // one reload at a time
}

// NewHolder returns a Holder serving p.
func NewHolder(p *Plan) *Holder {
	h := &Holder{}
	h.cur.Store(p)
	return h
}

// Current returns the Plan to use. A call takes it once at its start and
// keeps it to its end.
func (h *Holder) Current() *Plan { return h.cur.Load() }

// Reload loads and compiles a new Plan and makes it current. On any problem
// the current Plan stays and the problems are returned (configs.Problems
// when the loader or Compile found them).
func (h *Holder) Reload(load func() (*configs.Config, error)) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	cfg, err := load()
	if err != nil {
		return err
	}
	if cfg == nil {
		return errors.New("plan: reload: the loader returned no configuration")
	}
	p, err := Compile(cfg)
	if err != nil {
		return err
	}
	h.cur.Store(p)
	return nil
}

// settle is how long file events must stop before a reload: editors and
// config-map updates write, rename and chmod in bursts.
const settle = 150 * time.Millisecond

// Watch reloads on SIGHUP and whenever the file at path changes (the
// directory is watched, because editors and Kubernetes replace files rather
// than write them). Each reload logs "config reloaded" with the new version,
// or "config reload refused" with every problem while the old Plan keeps
// serving; onChange (if not nil) gets every new Plan whose version differs.
// A file event that leaves the content unchanged does nothing. Watch
// returns when ctx ends. With path empty only SIGHUP reloads.
func (h *Holder) Watch(ctx context.Context, path string, load func() (*configs.Config, error), log zerolog.Logger, onChange func(*Plan)) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	h.watch(ctx, path, load, log, onChange, hup)
}

func (h *Holder) watch(ctx context.Context, path string, load func() (*configs.Config, error), log zerolog.Logger, onChange func(*Plan), hup <-chan os.Signal) {
	var events <-chan fsnotify.Event
	var errs <-chan error
	// No baseline from the file: it may have changed between the load of
	// the current plan and now, so the first event always reloads (and a
	// reload that changes nothing only logs "config unchanged").
	var lastSum [sha256.Size]byte
	if path != "" {
		w, err := fsnotify.NewWatcher()
		if err == nil {
			err = w.Add(filepath.Dir(path))
		}
		if err != nil {
			log.Error().Err(err).Str("file", path).Msg("config file not watched; reload with SIGHUP")
		} else {
			defer w.Close()
			events, errs = w.Events, w.Errors
		}
	}
	timer := time.NewTimer(settle)
	timer.Stop()
	defer timer.Stop()

	reload := func(reason string) {
		old := h.Current()
		if err := h.Reload(load); err != nil {
			ev := log.Error().Str("reason", reason).Str("version", old.Version)
			var ps configs.Problems
			if errors.As(err, &ps) {
				lines := make([]string, len(ps))
				for i, p := range ps {
					lines[i] = p.String()
				}
				ev = ev.Strs("problems", lines)
			} else {
				ev = ev.Err(err)
			}
			ev.Msg("config reload refused")
			return
		}
		p := h.Current()
		if p.Version == old.Version {
			log.Info().Str("reason", reason).Str("version", p.Version).Msg("config unchanged")
			return
		}
		log.Info().Str("reason", reason).Str("version", p.Version).Str("previous_version", old.Version).
			Int("menus", len(p.Menus)).Int("rules", len(p.rules)).Msg("config reloaded")
		if onChange != nil {
			onChange(p)
		}
	}

	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if path != "" {
				lastSum = fileSum(path)
			}
			reload("sighup")
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Op != fsnotify.Chmod {
				timer.Reset(settle)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			log.Warn().Err(err).Str("file", path).Msg("config watch error")
		case <-timer.C:
			sum := fileSum(path)
			if sum == lastSum {
				continue // another file in the directory, or the same content
			}
			lastSum = sum
			reload("file changed")
		}
	}
}

// fileSum hashes a file's content; a file that cannot be read hashes as
// empty, so its reappearance counts as a change.
func fileSum(path string) [sha256.Size]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		b = nil
	}
	return sha256.Sum256(bytes.TrimSpace(b))
}
