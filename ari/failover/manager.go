package failover

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Defaults of Options.
const (
	DefaultLeaseTTL   = 750 * time.Millisecond
	DefaultRenewEvery = 250 * time.Millisecond
	DefaultServer     = "default"
)

// Peer is a controller known to the registry.
type Peer struct {
	Instance    string
	Application string
}

// AdoptFunc serves a dead peer's application until its adopted calls are
// finished (nil) or the application is lost (an error, e.g. it was
// replaced). ctx ends when this controller stops or loses the takeover
// lock.
type AdoptFunc func(ctx context.Context, peer Peer) error

// Options configures a Manager.
type Options struct {
	Client      redis.UniversalClient
	KeyPrefix   string // redis.key_prefix
	Server      string // the Asterisk server's name (default "default")
	Instance    string // this controller
	Application string // this controller's Stasis application
	LeaseTTL    time.Duration
	RenewEvery  time.Duration
	Adopt       AdoptFunc
	Log         zerolog.Logger
}

// Manager keeps this controller's lease and takes over dead peers'
// applications. Start, then WaitOwnApp, then Run.
type Manager struct {
	opts  Options
	rdb   redis.UniversalClient
	base  string
	token string
	log   zerolog.Logger

	held      atomic.Bool // the lease was set at least once
	ticks     atomic.Int64
	unhealthy atomic.Int64
	lapses    atomic.Int64
	takeover  atomic.Int64

	// absent: peer instance → the tick at which its lease was first seen
	// gone, in the current run of healthy ticks (owned by Run's goroutine).
	absent map[string]time.Time
	sick   bool // the current tick is not healthy (Run's goroutine)

	mu       sync.Mutex
	adopting map[string]context.CancelCauseFunc // peer instance → its adoption
	wg       sync.WaitGroup
}

// Validate checks options as the configuration gives them.
func Validate(ttl, renew time.Duration) error {
	switch {
	case ttl < 500*time.Millisecond:
		return fmt.Errorf("lease_ttl %s is too short (at least 500ms)", ttl)
	case renew < 50*time.Millisecond:
		return fmt.Errorf("renew_every %s is too short (at least 50ms)", renew)
	case renew*3 > ttl:
		return fmt.Errorf("renew_every %s must be at most a third of lease_ttl %s (a lease must survive two missed renewals)", renew, ttl)
	}
	return nil
}

// New checks opts and builds a Manager.
func New(opts Options) (*Manager, error) {
	if opts.Client == nil {
		return nil, errors.New("failover: no Redis client")
	}
	if opts.Instance == "" || opts.Application == "" {
		return nil, errors.New("failover: instance and application are required")
	}
	if opts.Adopt == nil {
		return nil, errors.New("failover: no Adopt function")
	}
	if opts.Server == "" {
		opts.Server = DefaultServer
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.RenewEvery == 0 {
		opts.RenewEvery = DefaultRenewEvery
	}
	if err := Validate(opts.LeaseTTL, opts.RenewEvery); err != nil {
		return nil, fmt.Errorf("failover: %w", err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Manager{
		opts: opts, rdb: opts.Client,
		base:     opts.KeyPrefix + "failover:{" + opts.Server + "}:",
		token:    opts.Instance + "/" + hex.EncodeToString(b[:]),
		log:      opts.Log.With().Str("component", "failover").Str("server", opts.Server).Logger(),
		adopting: map[string]context.CancelCauseFunc{},
		absent:   map[string]time.Time{},
	}, nil
}

func (m *Manager) leaseKey(inst string) string    { return m.base + "lease:" + inst }
func (m *Manager) takeoverKey(inst string) string { return m.base + "takeover:" + inst }
func (m *Manager) peersKey() string               { return m.base + "peers" }

// Start takes this controller's lease and registers it as a peer.
func (m *Manager) Start(ctx context.Context) error {
	if _, err := m.renew(ctx); err != nil {
		return fmt.Errorf("failover: lease: %w", err)
	}
	if err := m.rdb.HSet(ctx, m.peersKey(), m.opts.Instance, m.opts.Application).Err(); err != nil {
		return fmt.Errorf("failover: register: %w", err)
	}
	return nil
}

// renew sets the lease and notices a lapse (the lease had expired: a
// survivor may have taken our application; its WebSocket then replaces
// ours and our calls are left to it).
func (m *Manager) renew(ctx context.Context) (lapsed bool, err error) {
	old, err := m.rdb.SetArgs(ctx, m.leaseKey(m.opts.Instance), m.token,
		redis.SetArgs{TTL: m.opts.LeaseTTL, Get: true}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, err
	}
	switch {
	case old == "" && m.held.Load():
		lapsed = true
		m.lapses.Add(1)
		m.log.Error().Msg("own lease had expired (Redis away or failed over for longer than lease_ttl, or this controller stalled): a survivor may take over this controller's application")
	case old != "" && old != m.token:
		m.log.Error().Str("other", old).Msg("another process renews this instance's lease: two controllers share one instance name")
	}
	m.held.Store(true)
	return lapsed, nil
}

// HeldBy is the instance serving app of inst now ("" when nobody has
// taken it over).
func (m *Manager) HeldBy(ctx context.Context, inst string) (string, error) {
	v, err := m.rdb.Get(ctx, m.takeoverKey(inst)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// WaitOwnApp waits until no survivor holds this controller's application
// (it was taken over while this controller was away and still has calls),
// renewing the lease meanwhile. Call it after Start, before the
// controller connects.
func (m *Manager) WaitOwnApp(ctx context.Context) error {
	t := time.NewTicker(m.opts.RenewEvery)
	defer t.Stop()
	logged := false
	for {
		holder, err := m.HeldBy(ctx, m.opts.Instance)
		if err == nil && holder == "" {
			if logged {
				m.log.Info().Msg("own application released by the survivor: connecting")
			}
			return nil
		}
		if err != nil {
			m.log.Warn().Err(err).Msg("takeover lock of the own application not read")
		} else if !logged {
			logged = true
			m.log.Warn().Str("held_by", holder).Msg("own application held by a survivor with adopted calls: waiting for its release")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if _, err := m.renew(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn().Err(err).Msg("lease renewal failed")
		}
	}
}

// Run renews the lease and watches the peers every RenewEvery until ctx
// ends; it then waits for the adoptions it started.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(m.opts.RenewEvery)
	defer t.Stop()
	at := time.Now()
	for {
		m.tick(ctx, at)
		select {
		case <-ctx.Done():
			m.wg.Wait()
			return
		case at = <-t.C:
		}
	}
}

// ConfirmAfter is how long a peer's lease must stay absent, between two
// healthy looks of this controller, before the peer counts as dead:
// twice renew_every.
func (m *Manager) ConfirmAfter() time.Duration { return 2 * m.opts.RenewEvery }

// Ticks counts the looks of Run so far; UnhealthyTicks those of them that
// were not healthy (see tick) and dropped every observation.
func (m *Manager) Ticks() int64          { return m.ticks.Load() }
func (m *Manager) UnhealthyTicks() int64 { return m.unhealthy.Load() }

// forget drops every observation of absent leases: this controller can
// no longer vouch that Redis was healthy since they were made.
func (m *Manager) forget(why string) {
	m.sick = true
	if len(m.absent) > 0 {
		m.log.Info().Int("peers", len(m.absent)).Str("why", why).Msg("observations of expired peer leases dropped")
		clear(m.absent)
	}
}

// tick renews the lease and the takeover locks and looks at the peers'
// leases; at is the tick's scheduled time (the ticker's), so that looks
// are spaced by whole renew_every steps.
//
// A peer is declared dead only from looks made while Redis is healthy for
// this controller: its lease is absent at a look and still absent at a
// later look at least ConfirmAfter (2×renew_every) after the first, with
// only healthy ticks in between. A tick is healthy when every command of
// it succeeds within renew_every and this controller's own lease was still
// there when it renewed it; any other tick (a Redis error or timeout, a
// lapse of the own lease, a tick that came late) drops every observation.
// So a Redis outage or failover longer than lease_ttl — after which every
// lease, the live controllers' too, is gone (expired during the outage,
// or already past its TTL on the promoted replica) — is seen by this
// controller as errors or as its own lapse, and starts the count afresh;
// a live peer re-SETs its lease within renew_every of Redis answering
// again, before the count can reach ConfirmAfter. A dead peer is taken
// over about lease_ttl + ConfirmAfter (at most lease_ttl + 3×renew_every)
// after its last renewal.
func (m *Manager) tick(ctx context.Context, at time.Time) {
	budget := m.opts.RenewEvery
	if half := m.opts.LeaseTTL / 2; half < budget {
		budget = half
	}
	rctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	m.sick = false
	defer func() {
		m.ticks.Add(1)
		if m.sick {
			m.unhealthy.Add(1)
		}
	}()
	if late := time.Since(at); late > m.opts.RenewEvery {
		// This controller was stalled: it cannot vouch for the time it
		// did not look.
		m.forget("tick late by " + late.Round(time.Millisecond).String())
	}
	lapsed, err := m.renew(rctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Warn().Err(err).Msg("lease renewal failed")
		}
		m.forget("own lease renewal failed")
		return // without our own lease we take nothing over
	}
	if err := m.renewTakeovers(rctx); err != nil {
		m.forget("takeover lock renewal failed")
		if ctx.Err() == nil {
			m.log.Warn().Err(err).Msg("takeover locks not renewed")
		}
		return
	}
	if lapsed {
		// Redis lost or expired our lease: it was away (or failed over)
		// for longer than lease_ttl; the peers' leases are gone for the
		// same reason. Look again from the next tick on.
		m.forget("own lease had expired")
		return
	}
	peers, err := m.Peers(rctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Warn().Err(err).Msg("peers not read")
		}
		m.forget("peers not read")
		return
	}
	others := peers[:0]
	for _, p := range peers {
		if p.Instance != m.opts.Instance && !m.isAdopting(p.Instance) {
			others = append(others, p)
		}
	}
	pipe := m.rdb.Pipeline()
	exists := make([]*redis.IntCmd, len(others))
	for i, p := range others {
		exists[i] = pipe.Exists(rctx, m.leaseKey(p.Instance))
	}
	if len(others) > 0 {
		if _, err := pipe.Exec(rctx); err != nil {
			if ctx.Err() == nil {
				m.log.Warn().Err(err).Msg("peer leases not read")
			}
			m.forget("peer leases not read")
			return
		}
	}
	if took := time.Since(at); took > m.opts.RenewEvery {
		m.forget("tick took " + took.Round(time.Millisecond).String())
		return
	}
	seen := make(map[string]bool, len(others))
	for i, p := range others {
		seen[p.Instance] = true
		if exists[i].Val() == 1 {
			delete(m.absent, p.Instance)
			continue
		}
		first, ok := m.absent[p.Instance]
		if !ok {
			m.absent[p.Instance] = at
			m.log.Info().Str("peer", p.Instance).Msg("peer's lease absent: confirming")
			continue
		}
		// The ticker's times are renew_every apart give or take the
		// timer's jitter; an eighth of renew_every absorbs it.
		if at.Sub(first) < m.ConfirmAfter()-m.opts.RenewEvery/8 {
			continue
		}
		won, err := m.tryTakeover(rctx, p.Instance)
		if err != nil {
			if ctx.Err() == nil {
				m.log.Warn().Err(err).Str("peer", p.Instance).Msg("takeover attempt failed")
			}
			m.forget("takeover attempt failed")
			return
		}
		delete(m.absent, p.Instance)
		if won {
			m.startAdoption(ctx, p, at.Sub(first))
		}
	}
	for inst := range m.absent {
		if !seen[inst] {
			delete(m.absent, inst)
		}
	}
}

// Peers lists the registered controllers, by instance.
func (m *Manager) Peers(ctx context.Context) ([]Peer, error) {
	all, err := m.rdb.HGetAll(ctx, m.peersKey()).Result()
	if err != nil {
		return nil, err
	}
	out := make([]Peer, 0, len(all))
	for inst, app := range all {
		out = append(out, Peer{Instance: inst, Application: app})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Instance < out[j].Instance })
	return out, nil
}

// takeoverScript: KEYS lease, takeover; ARGV holder, ttl ms. Takes the
// lock only while the peer's lease is gone and nobody holds it.
var takeoverScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
`)

// renewScript: KEYS takeover; ARGV holder, ttl ms.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

// releaseScript: KEYS takeover, lease, peers; ARGV holder, peer, forget.
// Deletes our lock; with forget, drops the peer's registration if its
// lease is still gone (its application has no call left).
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[2]) == 0 then redis.call('HDEL', KEYS[3], ARGV[2]) end
return 1
`)

func (m *Manager) tryTakeover(ctx context.Context, peer string) (bool, error) {
	n, err := takeoverScript.Run(ctx, m.rdb, []string{m.leaseKey(peer), m.takeoverKey(peer)},
		m.opts.Instance, m.opts.LeaseTTL.Milliseconds()).Int()
	return n == 1, err
}

func (m *Manager) isAdopting(peer string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.adopting[peer]
	return ok
}

// errLockLost ends an adoption whose takeover lock was not renewed.
var errLockLost = errors.New("failover: takeover lock lost")

func (m *Manager) renewTakeovers(ctx context.Context) error {
	m.mu.Lock()
	peers := make(map[string]context.CancelCauseFunc, len(m.adopting))
	for p, c := range m.adopting {
		peers[p] = c
	}
	m.mu.Unlock()
	for p, cancel := range peers {
		n, err := renewScript.Run(ctx, m.rdb, []string{m.takeoverKey(p)}, m.opts.Instance, m.opts.LeaseTTL.Milliseconds()).Int()
		if err != nil {
			return err
		}
		if n == 0 {
			// The lock is gone: it expired while Redis was away (or on
			// the promoted replica of a failover). Take it again if the
			// peer is still dead and nobody else took it; give the
			// application up otherwise (the peer is back, or another
			// survivor serves it now).
			won, err := m.tryTakeover(ctx, p)
			if err != nil {
				return err
			}
			if won {
				m.log.Warn().Str("peer", p).Msg("takeover lock had expired (Redis away or failed over): taken again, still serving the application")
				continue
			}
			m.log.Error().Str("peer", p).Msg("takeover lock lost: giving the application up")
			cancel(errLockLost)
		}
	}
	return nil
}

func (m *Manager) startAdoption(ctx context.Context, p Peer, confirmed time.Duration) {
	actx, cancel := context.WithCancelCause(ctx)
	m.mu.Lock()
	m.adopting[p.Instance] = cancel
	m.mu.Unlock()
	m.takeover.Add(1)
	log := m.log.With().Str("peer", p.Instance).Str("peer_app", p.Application).Logger()
	log.Warn().Dur("absent_for", confirmed).Msg("peer's lease expired and stayed absent: taking over its application")
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		err := m.opts.Adopt(actx, p)
		finished := err == nil
		if finished {
			log.Info().Msg("adopted calls finished: application released")
		} else if ctx.Err() == nil {
			log.Warn().Err(err).Msg("adoption ended before its calls finished")
		}
		cancel(nil)
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), m.opts.LeaseTTL)
		forget := "0"
		if finished {
			forget = "1"
		}
		if err := releaseScript.Run(rctx, m.rdb, []string{m.takeoverKey(p.Instance), m.leaseKey(p.Instance), m.peersKey()},
			m.opts.Instance, p.Instance, forget).Err(); err != nil {
			log.Warn().Err(err).Msg("takeover lock not released: it expires")
		}
		rcancel()
		m.mu.Lock()
		delete(m.adopting, p.Instance)
		m.mu.Unlock()
	}()
}

// Adopting lists the peers whose applications this controller serves now.
func (m *Manager) Adopting() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.adopting))
	for p := range m.adopting {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Takeovers counts the applications this controller took over.
func (m *Manager) Takeovers() int64 { return m.takeover.Load() }

// Lapses counts the times this controller found its own lease expired.
func (m *Manager) Lapses() int64 { return m.lapses.Load() }

// Resign deletes this controller's lease (if still its own) after its
// controller stopped: survivors take over its application at their next
// look instead of after the lease TTL (a drained controller may have left
// callers bridged with agents).
func (m *Manager) Resign(ctx context.Context) error {
	return resignScript.Run(ctx, m.rdb, []string{m.leaseKey(m.opts.Instance)}, m.token).Err()
}

var resignScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`)
