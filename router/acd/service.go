package acd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// Settings is the acd's compiled configuration (queues, agents from config,
// escalation rules). It is immutable once given to a Service; Reload swaps
// it whole.
type Settings struct {
	Queues map[string]QueueConfig
	// TeamLeaderQueue is where escalations go (and the default overflow);
	// empty: no escalation, no repeat-caller rule.
	TeamLeaderQueue string
	// EscalationPriority is the priority of a moved (escalated or
	// overflowed) call in its new queue, above every tier's.
	EscalationPriority int
	// RepeatCalls is N of the repeat-caller rule (0: off), RepeatWindow its
	// window (24h).
	RepeatCalls  int
	RepeatWindow time.Duration
	// Agents declared in config; LoginAtStart lists those logged in by Start.
	Agents       []Agent
	LoginAtStart map[string]bool
}

// Options are the process-level dependencies of a Service.
type Options struct {
	Client redis.UniversalClient
	// KeyPrefix is redis.key_prefix; the acd's keys live under
	// "<prefix>acd:{<pool>}:" (see doc.go).
	KeyPrefix string
	// Pool names the shared agent pool (acd.pool); controllers sharing
	// agents use the same prefix and pool.
	Pool string
	// Instance identifies this controller: offers for calls it owns are
	// addressed to it. Two live controllers must not share one.
	Instance string
	Clock    Clock // nil: the wall clock
	Log      zerolog.Logger
	Metrics  *metrics.Metrics // nil: none (see doc.go, Metrics)
	// LeaseTTL is how long this controller counts as alive without
	// renewing its lease (default 15s; renewed every third of it). Calls of
	// a controller whose lease expired are not offered until adopted.
	LeaseTTL time.Duration
	// SweepEvery is the period (on Clock) of the safety sweep that pairs
	// available agents with waiting calls and publishes queue figures to
	// the leaders (default 5s).
	SweepEvery time.Duration
	// FailoverWait is how long a script is sent again while Redis fails
	// over (connection refused or cut, READONLY, LOADING, …: the
	// redisha.Failover errors), on the wall clock, within the caller's
	// context (default 5s; negative: no retry). See doc.go, Redis failover.
	FailoverWait time.Duration
	// Replicas is how many replicas must have an offer's reservation before
	// its agents ring (ConfirmOffer), capped by the master's connected
	// replicas (default 1; negative: offers are not confirmed), and
	// AckTimeout how long one confirmation waits for them (default 500ms).
	Replicas   int
	AckTimeout time.Duration
}

// Service is one controller's view of the shared agent pool. Every method
// is safe for concurrent use. State lives in Redis, so several Services
// (controllers) on one Redis share agents and calls, and a restarted one
// resumes where the pool is.
type Service struct {
	rdb      redis.UniversalClient
	k        keys
	instance string
	clock    Clock
	log      zerolog.Logger
	metrics  *metrics.Metrics
	leaseTTL time.Duration
	sweep    time.Duration
	failover time.Duration
	replicas int
	ackWait  time.Duration
	settings atomic.Pointer[Settings]

	mu      sync.Mutex
	waiters map[string]*Waiter
	subs    map[*subscriber]struct{}

	wake    chan struct{}
	outbox  chan Event
	runCtx  atomic.Pointer[context.Context]
	wg      sync.WaitGroup
	started atomic.Bool

	// noticeHook, when set (tests), sees each notice received on the
	// notice channel before it is handed to its waiter.
	noticeHook atomic.Pointer[func(Notice)]
}

// New builds a Service; Start brings it to life.
func New(opts Options, st *Settings) (*Service, error) {
	if opts.Client == nil {
		return nil, errors.New("acd: no Redis client")
	}
	if !validID(opts.Instance) {
		return nil, fmt.Errorf("instance: %q is not a controller name (letters, digits, '.', '_' or '-')", opts.Instance)
	}
	k, err := newKeys(opts.KeyPrefix, opts.Pool)
	if err != nil {
		return nil, err
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	s := &Service{
		rdb: opts.Client, k: k, instance: opts.Instance, clock: opts.Clock, log: opts.Log,
		metrics: opts.Metrics, leaseTTL: opts.LeaseTTL, sweep: opts.SweepEvery,
		failover: opts.FailoverWait, replicas: opts.Replicas, ackWait: opts.AckTimeout,
		waiters: map[string]*Waiter{}, subs: map[*subscriber]struct{}{},
		wake: make(chan struct{}, 1), outbox: make(chan Event, 4096),
	}
	if s.clock == nil {
		s.clock = WallClock{}
	}
	if s.leaseTTL <= 0 {
		s.leaseTTL = 15 * time.Second
	}
	if s.sweep <= 0 {
		s.sweep = 5 * time.Second
	}
	if s.failover == 0 {
		s.failover = 5 * time.Second
	}
	if s.replicas == 0 {
		s.replicas = 1
	}
	if s.ackWait <= 0 {
		s.ackWait = 500 * time.Millisecond
	}
	s.settings.Store(st)
	return s, nil
}

// Settings is the current settings.
func (s *Service) Settings() *Settings { return s.settings.Load() }

// Instance is this controller's name.
func (s *Service) Instance() string { return s.instance }

// Start takes this controller's lease, subscribes to the pool's channels,
// creates or updates the configured agents, logs in the login_at_start ones
// (those logged out), and starts the background loops (notices and events,
// timers, lease, event publisher), which run until ctx ends; Wait waits for
// them. State left in Redis by a previous run (agents, waiting calls, timers)
// is picked up as it is: timers due meanwhile fire at once.
func (s *Service) Start(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("acd: already started")
	}
	s.runCtx.Store(&ctx)
	if err := s.renewLease(ctx); err != nil {
		return fmt.Errorf("acd: lease: %w", err)
	}
	// Notices have a connection of their own: an offer for a call of this
	// controller never waits behind the pool's events.
	notices, err := s.subscribeChannel(ctx, s.k.notices(s.instance))
	if err != nil {
		return err
	}
	events, err := s.subscribeChannel(ctx, s.k.events())
	if err != nil {
		notices.Close()
		return err
	}
	if err := s.syncAgents(ctx, s.settings.Load(), true); err != nil {
		notices.Close()
		events.Close()
		return err
	}
	s.wg.Add(5)
	go func() { defer s.wg.Done(); s.receive(ctx, notices, s.onNotice) }()
	go func() { defer s.wg.Done(); s.receive(ctx, events, s.onEvent) }()
	go func() { defer s.wg.Done(); s.runTimers(ctx) }()
	go func() { defer s.wg.Done(); s.keepLease(ctx) }()
	go func() { defer s.wg.Done(); s.publish(ctx) }()
	s.sweepOnce(ctx)
	return nil
}

// Wait waits for the background loops started by Start to end.
func (s *Service) Wait() { s.wg.Wait() }

// Reload swaps the settings as a whole and creates or updates the agents
// they declare (agents are never deleted by a reload: some come from the
// API). Calls keep the queue settings they were enqueued with until they
// move.
func (s *Service) Reload(ctx context.Context, st *Settings) error {
	if err := st.check(); err != nil {
		return err
	}
	s.settings.Store(st)
	return s.syncAgents(ctx, st, false)
}

func (s *Service) syncAgents(ctx context.Context, st *Settings, login bool) error {
	for _, a := range st.Agents {
		if err := s.UpsertAgent(ctx, a); err != nil {
			return fmt.Errorf("acd: agent %q: %w", a.ID, err)
		}
		if login && st.LoginAtStart[a.ID] {
			if err := s.Login(ctx, a.ID); err != nil && !errors.Is(err, ErrConflict) {
				return fmt.Errorf("acd: log in agent %q: %w", a.ID, err)
			}
		}
	}
	return nil
}

func (s *Service) renewLease(ctx context.Context) error {
	return s.rdb.Set(ctx, s.k.lease(s.instance), s.instance, s.leaseTTL).Err()
}

// keepLease renews the lease on the wall clock (liveness is real time,
// whatever Clock the business timers use).
func (s *Service) keepLease(ctx context.Context) {
	t := time.NewTicker(s.leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// A stopping controller gives up its lease at once: its calls
			// are the adopter's from now on.
			c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_ = s.rdb.Del(c, s.k.lease(s.instance)).Err()
			cancel()
			return
		case <-t.C:
			if err := s.renewLease(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn().Err(err).Msg("acd: lease renewal failed")
			}
		}
	}
}

// subscribeChannel subscribes to one channel and waits for Redis to
// confirm, so that nothing published after Start returns is missed.
func (s *Service) subscribeChannel(ctx context.Context, channel string) (*redis.PubSub, error) {
	ps := s.rdb.Subscribe(ctx, channel)
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, fmt.Errorf("acd: subscribe %s: %w", channel, err)
	}
	return ps, nil
}

// receive hands each message of a subscription to handle until ctx ends.
func (s *Service) receive(ctx context.Context, ps *redis.PubSub, handle func(payload string)) {
	defer ps.Close()
	ch := ps.Channel(redis.WithChannelSize(1024))
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			handle(m.Payload)
		}
	}
}

// onNotice takes a notice addressed to this controller.
func (s *Service) onNotice(payload string) {
	var n Notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		s.log.Warn().Err(err).Msg("acd: undecodable notice")
		return
	}
	if h := s.noticeHook.Load(); h != nil {
		(*h)(n)
	}
	s.notify(n)
}

// onEvent fans an event of the pool out to the local subscribers.
func (s *Service) onEvent(payload string) {
	var ev Event
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		s.log.Warn().Err(err).Msg("acd: undecodable event")
		return
	}
	s.fanOut(ev)
}

// publish sends queued events in pipelined batches, in order.
func (s *Service) publish(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-s.outbox:
			pipe := s.rdb.Pipeline()
			s.queuePublish(ctx, pipe, ev)
			for more := true; more && pipe.Len() < 256; {
				select {
				case ev := <-s.outbox:
					s.queuePublish(ctx, pipe, ev)
				default:
					more = false
				}
			}
			if _, err := pipe.Exec(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn().Err(err).Msg("acd: publishing events failed")
			}
		}
	}
}

func (s *Service) queuePublish(ctx context.Context, pipe redis.Pipeliner, ev Event) {
	b, err := json.Marshal(ev)
	if err != nil { // plain data: cannot happen
		s.log.Error().Err(err).Msg("acd: event not encodable")
		return
	}
	pipe.Publish(ctx, s.k.events(), b)
}

// emit queues an event for every controller's subscribers.
func (s *Service) emit(ev Event) {
	if ev.At.IsZero() {
		ev.At = s.clock.Now()
	}
	select {
	case s.outbox <- ev:
	default:
		s.log.Warn().Str("type", string(ev.Type)).Str("agent_id", ev.AgentID).Msg("acd: event outbox full, event dropped")
	}
}

// poke wakes the timer loop to look at the next deadline again.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// ---- waiters ----

// Waiter is the owning goroutine's handle on a queued call: it yields the
// offers and moves of the call, in the order the scripts numbered them
// (order.go). Notices are never blocked on: a waiter that does not read
// them loses them (an offer is then taken back by its timer).
type Waiter struct {
	s       *Service
	callID  string
	notices chan Notice
	seq     seqOrder
	// entry is the enqueue script's arguments, to queue the call again
	// if a Redis failover loses it (requeueLost).
	entry atomic.Pointer[[]any]
}

// push queues a notice without blocking (seq.mu held).
func (w *Waiter) push(n Notice) {
	select {
	case w.notices <- n:
	default:
		w.s.log.Warn().Str("call_id", n.CallID).Str("kind", string(n.Kind)).Msg("acd: waiter not reading, notice dropped")
	}
}

// CallID is the call this waiter waits for.
func (w *Waiter) CallID() string { return w.callID }

// Notices yields offers and moves for the call.
func (w *Waiter) Notices() <-chan Notice { return w.notices }

// Close stops delivering notices (the call goroutine is done with it). It
// does not take the call out of its queue: report Abandoned or Ended.
func (w *Waiter) Close() {
	w.s.mu.Lock()
	if w.s.waiters[w.callID] == w {
		delete(w.s.waiters, w.callID)
	}
	w.s.mu.Unlock()
	w.stopGap()
}

// noticeBuffer is how many notices a waiter holds for a call goroutine
// that is not reading at the moment (an ARI request or a Redis read
// between two selects). A call has at most one offer at a time: a new one
// comes only after the previous was withdrawn, answered or ended, and an
// offer is withdrawn only after its ring timeout; so in such a gap the
// notices that can pile up are an offer, a move and a withdrawal (plus,
// after a reordering gap, the held ones released together). 4 covers
// that; each slot is a whole Notice (80 bytes) kept for every waiting
// call, so 16 slots cost ~1 KiB more per call (10,000 waiting: ~10 MB)
// for nothing. A notice past the buffer is dropped and logged (push).
const noticeBuffer = 4

func (s *Service) register(callID string) *Waiter {
	w := &Waiter{s: s, callID: callID, notices: make(chan Notice, noticeBuffer), seq: seqOrder{last: -1}}
	s.mu.Lock()
	s.waiters[callID] = w
	s.mu.Unlock()
	return w
}

// notify hands a notice to the local waiter of its call, if there is one.
func (s *Service) notify(n Notice) {
	s.mu.Lock()
	w := s.waiters[n.CallID]
	s.mu.Unlock()
	if w == nil {
		s.log.Info().Str("call_id", n.CallID).Str("kind", string(n.Kind)).Msg("acd: notice for a call with no waiter here")
		if n.Kind == NoticeOffer {
			s.setAside(n.CallID)
		}
		return
	}
	w.accept(n)
}

// local hands a notice of a script run here to the call's waiter, if this
// controller has one.
func (s *Service) local(n Notice) {
	s.mu.Lock()
	w := s.waiters[n.CallID]
	s.mu.Unlock()
	if w != nil {
		w.accept(n)
	}
}

// setAside releases the agents of an offer this controller cannot ring
// (no waiter for the call) and keeps the call out of its queue until a
// controller adopts it (Enqueue).
func (s *Service) setAside(callID string) {
	ctx := s.bgCtx()
	r, err := s.run(ctx, unclaimed, callID, s.instance)
	if err != nil {
		s.log.Warn().Err(err).Str("call_id", callID).Msg("acd: releasing an unclaimed offer failed")
		return
	}
	agents := make([]string, 0, len(r))
	for i := range r {
		agents = append(agents, str(r, i))
	}
	s.released(ctx, callID, agents)
}

func (s *Service) bgCtx() context.Context {
	if c := s.runCtx.Load(); c != nil {
		return *c
	}
	return context.Background()
}

// send delivers a notice to the controller that owns the call: in process
// when it is this one, else through its pub/sub channel.
func (s *Service) send(ctx context.Context, owner string, n Notice) error {
	if owner == s.instance {
		s.notify(n)
		return nil
	}
	if owner == "" {
		return nil
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return s.rdb.Publish(ctx, s.k.notices(owner), b).Err()
}

// ---- subscribers ----

type subscriber struct {
	agent   string // "" for the leaders' feed
	ch      chan Event
	dropped atomic.Int64
}

// Subscribe returns the agent's event feed (its offers, connections with the
// screen-pop, call ends, wrap-up ends, state changes) until cancel is
// called. Events of every controller of the pool arrive here. A subscriber
// that does not read loses events (never blocks the pool).
func (s *Service) Subscribe(agentID string) (<-chan Event, func()) { return s.subscribe(agentID) }

// SubscribeLeaders returns the leaders' feed: every event of the pool
// (agents' states, escalations, help requests) and the queue figures
// every sweep period, until cancel is called.
func (s *Service) SubscribeLeaders() (<-chan Event, func()) { return s.subscribe("") }

func (s *Service) subscribe(agent string) (<-chan Event, func()) {
	sub := &subscriber{agent: agent, ch: make(chan Event, 256)}
	s.mu.Lock()
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.subs, sub)
			s.mu.Unlock()
			close(sub.ch)
		})
	}
}

func (s *Service) fanOut(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		if sub.agent != "" && sub.agent != ev.AgentID {
			continue
		}
		if sub.agent != "" && ev.Type == EventQueues {
			continue
		}
		select {
		case sub.ch <- ev:
		default:
			sub.dropped.Add(1)
		}
	}
}
