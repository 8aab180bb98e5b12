package segmentation

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
)

// DefaultLookupBudget bounds a look-up when the config leaves it zero.
const DefaultLookupBudget = 150 * time.Millisecond

// Source says where an answer came from.
type Source string

// Sources.
const (
	SourceNone  Source = ""      // not answered: invalid input or degraded
	SourceCache Source = "cache" // the in-process cache
	SourceRedis Source = "redis" // Redis
)

// ErrInvalidServiceID is returned for a service ID that cannot exist.
var ErrInvalidServiceID = errors.New("invalid service ID")

// Result answers "who is calling": the customer and the routing decision
// inputs. The zero Result is an unidentified caller.
type Result struct {
	Kind LookupKind `json:"kind"`
	// Key is what was looked up: the normalised E.164 number or the service ID.
	Key string `json:"key,omitempty"`
	// Found: the customer is in the data set and its segment is configured.
	Found bool `json:"found"`
	// Customer is set whenever the data set has one, even with an unknown
	// segment (then Found is false: the caller is handled as unidentified).
	Customer *Customer `json:"customer,omitempty"`
	Served   bool      `json:"served"`
	Redirect *Redirect `json:"redirect,omitempty"`
	Priority int       `json:"priority"`
	// Degraded: Redis did not answer within the budget (or the breaker is
	// open); the caller is unidentified and the flow goes on.
	Degraded bool         `json:"degraded"`
	Source   Source       `json:"source,omitempty"`
	Version  int64        `json:"dataset_version"`
	Outcome  LookupResult `json:"outcome"`
}

// Options configures a Resolver.
type Options struct {
	Repository *Repository
	// Rules gives the numbering plan (default_region) and, without
	// CurrentRules, the segment rules.
	Rules *Rules
	// CurrentRules, if set, returns the segment rules in force at each
	// look-up: the router passes its current Plan's, so a reload swaps one
	// pointer for both.
	CurrentRules func() *Rules
	// Budget bounds each look-up (default 150 ms).
	Budget time.Duration
	// Cache in front of Redis; Size or TTL zero disables it.
	CacheSize   int
	CacheTTL    time.Duration
	NegativeTTL time.Duration
	// Breaker: BreakerFailures consecutive failures open it for
	// BreakerCooldown (defaults 5 and 5 s).
	BreakerFailures int
	BreakerCooldown time.Duration
	// PollInterval is how often Run re-reads the dataset pointer besides
	// listening for switch events (default 5 s).
	PollInterval time.Duration
	Observer     Observer
	Logger       zerolog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// OptionsFromConfig fills Options from the typed config.
func OptionsFromConfig(c configs.Segmentation, repo *Repository, rules *Rules, log zerolog.Logger) Options {
	return Options{
		Repository:      repo,
		Rules:           rules,
		Budget:          c.LookupBudget,
		CacheSize:       c.Cache.Size,
		CacheTTL:        c.Cache.TTL,
		NegativeTTL:     c.Cache.NegativeTTL,
		BreakerFailures: c.Breaker.Failures,
		BreakerCooldown: c.Breaker.Cooldown,
		Logger:          log,
	}
}

// Resolver answers look-ups by caller number (ANI), service ID, ticket and
// incident: cache first, then one Redis round trip within the budget, with a
// breaker in front of a failing Redis. Safe for concurrent use.
type Resolver struct {
	repo    *Repository
	rules   func() *Rules
	num     *Numbering
	budget  time.Duration
	ani     *cache
	sid     *cache
	br      *breaker
	poll    time.Duration
	obs     Observer
	log     zerolog.Logger
	now     func() time.Time
	version atomic.Int64 // newest customers dataset version seen
}

// NewResolver builds a Resolver.
func NewResolver(o Options) (*Resolver, error) {
	if o.Repository == nil || o.Rules == nil {
		return nil, errors.New("segmentation: Resolver needs a Repository and Rules")
	}
	r := &Resolver{
		repo:   o.Repository,
		num:    o.Rules.Numbering(),
		budget: o.Budget,
		ani:    newCache(o.CacheSize, o.CacheTTL, o.NegativeTTL),
		sid:    newCache(o.CacheSize, o.CacheTTL, o.NegativeTTL),
		br:     newBreaker(o.BreakerFailures, o.BreakerCooldown),
		poll:   o.PollInterval,
		obs:    o.Observer,
		log:    o.Logger,
		now:    o.Now,
	}
	r.rules = o.CurrentRules
	if r.rules == nil {
		fixed := o.Rules
		r.rules = func() *Rules { return fixed }
	}
	if r.budget <= 0 {
		r.budget = DefaultLookupBudget
	}
	if r.poll <= 0 {
		r.poll = 5 * time.Second
	}
	if r.obs == nil {
		r.obs = NopObserver{}
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// Version is the newest customers dataset version this resolver has seen.
func (r *Resolver) Version() int64 { return r.version.Load() }

// BreakerOpen reports whether look-ups currently bypass Redis.
func (r *Resolver) BreakerOpen() bool { return r.br.isOpen() }

// ByANI identifies a caller by caller ID, in any form Normalize accepts.
// A number with two valid readings (the country code without "+", see
// Numbering.Readings) is looked up under both in the one round trip, and
// the first that has a customer wins.
// The error is non-nil only for a malformed number (a *NumberError) or when
// ctx itself ends; Redis trouble gives a Degraded result and a nil error.
func (r *Resolver) ByANI(ctx context.Context, raw string) (Result, error) {
	start := r.now()
	var buf [maxDigits + 4]byte
	key, ambiguous, ok := r.num.lookupKey(buf[:0], raw)
	if ok && r.ani != nil {
		if e, hit := r.ani.get(key, start.UnixNano(), r.version.Load()); hit {
			return r.cached(KindANI, e, start), nil
		}
	}
	readings, err := r.num.Readings(raw)
	if err != nil {
		r.obs.LookupDone(KindANI, ResultInvalid, r.now().Sub(start))
		return Result{Kind: KindANI, Outcome: ResultInvalid}, err
	}
	if ambiguous && len(readings) > 1 {
		// Cached under the digits as dialled: each reading alone is a
		// different, unambiguous number.
		return r.customer(ctx, KindANI, readings, string(key), r.ani, start)
	}
	e164 := readings[0]
	if r.ani != nil && string(key) != e164 { // "62…" with one valid reading
		if e, hit := r.ani.get([]byte(e164), start.UnixNano(), r.version.Load()); hit {
			return r.cached(KindANI, e, start), nil
		}
	}
	return r.customer(ctx, KindANI, readings[:1], e164, r.ani, start)
}

// BySID identifies a caller by the service ID they keyed in.
func (r *Resolver) BySID(ctx context.Context, id string) (Result, error) {
	start := r.now()
	if err := checkServiceID(id); err != nil {
		r.obs.LookupDone(KindSID, ResultInvalid, r.now().Sub(start))
		return Result{Kind: KindSID, Outcome: ResultInvalid}, err
	}
	if r.sid != nil {
		if e, hit := r.sid.get([]byte(id), start.UnixNano(), r.version.Load()); hit {
			return r.cached(KindSID, e, start), nil
		}
	}
	return r.customer(ctx, KindSID, []string{id}, id, r.sid, start)
}

// checkServiceID accepts 1 to 32 letters, digits, '-' and '_'.
func checkServiceID(id string) error {
	if id == "" || len(id) > 32 {
		return fmt.Errorf("%w: length %d, need 1 to 32", ErrInvalidServiceID, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return fmt.Errorf("%w: contains %s", ErrInvalidServiceID, charName(c))
		}
	}
	return nil
}

// CheckServiceID validates a service ID as BySID does.
func CheckServiceID(id string) error { return checkServiceID(id) }

func (r *Resolver) cached(kind LookupKind, e cacheEntry, start time.Time) Result {
	res := Result{Kind: kind, Key: e.key, Customer: e.cust, Source: SourceCache, Version: e.version}
	if e.found != "" {
		res.Key = e.found
	}
	r.decide(&res)
	if res.Outcome == ResultHitRedis {
		res.Outcome = ResultHitCache
	}
	r.obs.LookupDone(kind, res.Outcome, r.now().Sub(start))
	return res
}

// decide applies the rules to a result carrying Customer (or not).
func (r *Resolver) decide(res *Result) {
	if res.Customer == nil {
		res.Outcome = ResultUnknown
		return
	}
	r.rules().Apply(res) // cached answers are decided with the rules in force
	if !res.Found {
		res.Outcome = ResultUnknownSegment
		return
	}
	res.Outcome = ResultHitRedis
}

// customer looks keys up in one round trip (the first with a customer
// wins) and caches the answer under cacheKey, and a customer found under
// another key under that key too.
func (r *Resolver) customer(ctx context.Context, kind LookupKind, keys []string, cacheKey string, c *cache, start time.Time) (Result, error) {
	res := Result{Kind: kind, Key: keys[0]}
	var rec CustomerRecord
	err := r.call(ctx, kind, start, &res, func(ctx context.Context) (err error) {
		if kind == KindANI {
			rec, err = r.repo.CustomerByANIs(ctx, keys...)
		} else {
			rec, err = r.repo.CustomerBySID(ctx, keys[0])
		}
		return err
	})
	if res.Degraded || err != nil {
		return res, err
	}
	r.noteVersion(rec.Version)
	if rec.Key != "" {
		res.Key = rec.Key
	}
	if c != nil && rec.Version > 0 {
		c.put(cacheKey, res.Key, rec.Customer, rec.Version, start.UnixNano(), r.version.Load)
		if rec.Key != "" && rec.Key != cacheKey {
			c.put(rec.Key, rec.Key, rec.Customer, rec.Version, start.UnixNano(), r.version.Load)
		}
	}
	res.Customer, res.Version, res.Source = rec.Customer, rec.Version, SourceRedis
	r.decide(&res)
	r.obs.LookupDone(kind, res.Outcome, r.now().Sub(start))
	return res, nil
}

// call runs one Redis request under the budget and the breaker. On Redis
// trouble it marks res degraded, observes it, and returns nil; it returns an
// error only when ctx itself ended (the caller hung up): that look-up is
// observed as ResultCancelled, not degraded.
func (r *Resolver) call(ctx context.Context, kind LookupKind, start time.Time, res *Result, fn func(context.Context) error) error {
	if !r.br.allow(start) {
		res.Degraded, res.Outcome = true, ResultBreakerOpen
		r.obs.LookupDone(kind, ResultBreakerOpen, r.now().Sub(start))
		return nil
	}
	bctx, cancel := context.WithTimeout(ctx, r.budget)
	err := fn(bctx)
	cancel()
	if err == nil {
		if r.br.success() {
			r.log.Info().Str("kind", string(kind)).Msg("redis answers again, segmentation breaker closed")
		}
		return nil
	}
	if ctx.Err() != nil {
		// The caller's own context ended (a hang-up), whatever Redis did:
		// not Redis degradation, and not a breaker failure.
		r.br.release()
		res.Outcome = ResultCancelled
		r.obs.LookupDone(kind, ResultCancelled, r.now().Sub(start))
		return context.Cause(ctx)
	}
	res.Degraded, res.Outcome = true, ResultDegraded
	r.obs.LookupDone(kind, ResultDegraded, r.now().Sub(start))
	if r.br.failure(r.now()) {
		r.log.Warn().Err(err).Str("kind", string(kind)).Msg("redis failing, segmentation breaker open: callers are unidentified until it recovers")
	} else {
		r.log.Debug().Err(err).Str("kind", string(kind)).Msg("segmentation look-up degraded")
	}
	return nil
}

// TicketResult is the answer to a ticket look-up.
type TicketResult struct {
	Ticket   *Ticket      `json:"ticket,omitempty"`
	Found    bool         `json:"found"`
	Degraded bool         `json:"degraded"`
	Version  int64        `json:"dataset_version"`
	Outcome  LookupResult `json:"outcome"`
}

// Ticket reads the open ticket of a service ID (one round trip, not cached:
// ticket status changes between imports are what callers ask about).
func (r *Resolver) Ticket(ctx context.Context, sid string) (TicketResult, error) {
	start := r.now()
	if err := checkServiceID(sid); err != nil {
		r.obs.LookupDone(KindTicket, ResultInvalid, r.now().Sub(start))
		return TicketResult{Outcome: ResultInvalid}, err
	}
	var res Result
	var rec TicketRecord
	err := r.call(ctx, KindTicket, start, &res, func(ctx context.Context) (err error) {
		rec, err = r.repo.Ticket(ctx, sid)
		return err
	})
	if res.Degraded || err != nil {
		return TicketResult{Degraded: res.Degraded, Outcome: res.Outcome}, err
	}
	out := TicketResult{Ticket: rec.Ticket, Found: rec.Ticket != nil, Version: rec.Version, Outcome: ResultHitRedis}
	if !out.Found {
		out.Outcome = ResultUnknown
	}
	r.obs.LookupDone(KindTicket, out.Outcome, r.now().Sub(start))
	return out, nil
}

// IncidentResult is the answer to an incident look-up.
type IncidentResult struct {
	Incident *Incident    `json:"incident,omitempty"`
	Found    bool         `json:"found"`
	Degraded bool         `json:"degraded"`
	Version  int64        `json:"dataset_version"`
	Outcome  LookupResult `json:"outcome"`
}

// Incident reads the known outage for a product in a region (or in all
// regions), one round trip.
func (r *Resolver) Incident(ctx context.Context, product, region string) (IncidentResult, error) {
	start := r.now()
	var res Result
	var rec IncidentRecord
	err := r.call(ctx, KindIncident, start, &res, func(ctx context.Context) (err error) {
		rec, err = r.repo.Incident(ctx, product, region)
		return err
	})
	if res.Degraded || err != nil {
		return IncidentResult{Degraded: res.Degraded, Outcome: res.Outcome}, err
	}
	out := IncidentResult{Incident: rec.Incident, Found: rec.Incident != nil, Version: rec.Version, Outcome: ResultHitRedis}
	if !out.Found {
		out.Outcome = ResultUnknown
	}
	r.obs.LookupDone(KindIncident, out.Outcome, r.now().Sub(start))
	return out, nil
}

// noteVersion records a customers dataset version seen in Redis; a newer
// one than known drops the caches.
func (r *Resolver) noteVersion(v int64) {
	for {
		cur := r.version.Load()
		if v <= cur {
			return
		}
		if r.version.CompareAndSwap(cur, v) {
			if r.ani != nil {
				r.ani.purge()
				r.sid.purge()
			}
			if cur != 0 {
				r.log.Info().Int64("from", cur).Int64("to", v).Msg("customer dataset switched, cache dropped")
			}
			return
		}
	}
}

// Refresh re-reads the customers dataset pointer once (within the budget)
// and drops the caches if it moved.
func (r *Resolver) Refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.budget)
	defer cancel()
	v, err := r.repo.CurrentVersion(ctx, DatasetCustomers)
	if err != nil {
		return fmt.Errorf("read customers dataset version: %w", err)
	}
	r.noteVersion(v)
	return nil
}

// Run keeps the caches in step with dataset switches until ctx ends: it
// listens for switch events on the events channel and, in case one is
// missed (Redis restarted, connection lost), re-reads the pointer every
// PollInterval. Run it in one goroutine per Resolver.
func (r *Resolver) Run(ctx context.Context) error {
	ps := r.repo.rdb.Subscribe(ctx, r.repo.keys.Events())
	defer ps.Close()
	ch := ps.Channel(redis.WithChannelHealthCheckInterval(r.poll))
	tick := time.NewTicker(r.poll)
	defer tick.Stop()
	if err := r.Refresh(ctx); err != nil {
		r.log.Debug().Err(err).Msg("dataset pointer not read")
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return errors.New("segmentation: events subscription closed")
			}
			if d, v, ok := ParseSwitchEvent(m.Payload); ok && d == DatasetCustomers {
				r.noteVersion(v)
			}
		case <-tick.C:
			if err := r.Refresh(ctx); err != nil {
				r.log.Debug().Err(err).Msg("dataset pointer not read")
			}
		}
	}
}

// CacheLen is the number of cached answers (ANI and service ID).
func (r *Resolver) CacheLen() int {
	if r.ani == nil {
		return 0
	}
	return r.ani.len() + r.sid.len()
}
