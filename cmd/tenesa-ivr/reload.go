package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
)

// reloader rebuilds the Plan from the configuration and swaps it into the
// Holder: load and validate everything, compile, then one Swap. Menus,
// routing, prompts, lines, segment rules and tier priorities all live in the
// Plan, so nothing else needs telling.
type reloader struct {
	plans   *plan.Holder
	load    func() (*configs.Config, error)
	prompts configs.PromptIDs
	log     zerolog.Logger
	// onChange, if set, gets every new Plan whose version differs, with the
	// configuration it was compiled from (for parts outside the Plan, such
	// as the metrics' queue targets).
	onChange func(*plan.Plan, *configs.Config)
	// acd, if set, compiles the acd's part of a new configuration (queues,
	// agents, escalation) before anything is swapped; apply swaps it in
	// with the Plan. An error refuses the whole reload.
	acd func(*configs.Config) (apply func(), err error)

	mu sync.Mutex // one reload at a time
}

// reload loads and compiles a new Plan and makes it current. On any problem
// the current Plan stays; the refusal is logged with every problem and
// returned.
func (r *reloader) reload(reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.plans.Load()
	p, cfg, applyACD, err := r.compile()
	if err != nil {
		ev := r.log.Error().Str("reason", reason).Str("version", old.Version)
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
		return err
	}
	if p.Version == old.Version {
		r.log.Info().Str("reason", reason).Str("version", p.Version).Msg("config unchanged")
		return nil
	}
	r.plans.Swap(p)
	if applyACD != nil {
		applyACD()
	}
	r.log.Info().Str("reason", reason).Str("version", p.Version).Str("previous_version", old.Version).
		Int("menus", len(p.Menus)).Msg("config reloaded")
	if r.onChange != nil {
		r.onChange(p, cfg)
	}
	return nil
}

func (r *reloader) compile() (*plan.Plan, *configs.Config, func(), error) {
	cfg, err := r.load()
	if err != nil {
		return nil, nil, nil, err
	}
	if cfg == nil {
		return nil, nil, nil, errors.New("config reload: the loader returned no configuration")
	}
	p, err := plan.Compile(cfg, r.prompts)
	if err != nil {
		return nil, nil, nil, err
	}
	var apply func()
	if r.acd != nil {
		if apply, err = r.acd(cfg); err != nil {
			return nil, nil, nil, err
		}
	}
	return p, cfg, apply, nil
}

// settle is how long file events must stop before a reload: editors and
// config-map updates write, rename and chmod in bursts.
const settle = 150 * time.Millisecond

// watch reloads on every value from hup (the caller subscribes it to
// SIGHUP) and whenever the file at path changes (the directory is watched,
// because editors and Kubernetes replace files rather than write them). A
// file event that leaves the content unchanged does nothing. With path
// empty only hup reloads. watch returns when ctx ends.
func (r *reloader) watch(ctx context.Context, path string, hup <-chan os.Signal) {
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
			r.log.Error().Err(err).Str("file", path).Msg("config file not watched; reload with SIGHUP")
		} else {
			defer w.Close()
			events, errs = w.Events, w.Errors
		}
	}
	timer := time.NewTimer(settle)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if path != "" {
				lastSum = fileSum(path)
			}
			_ = r.reload("sighup") // logged
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
			r.log.Warn().Err(err).Str("file", path).Msg("config watch error")
		case <-timer.C:
			sum := fileSum(path)
			if sum == lastSum {
				continue // another file in the directory, or the same content
			}
			lastSum = sum
			_ = r.reload("file changed") // logged
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
