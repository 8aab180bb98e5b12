package acd

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

var errNotYet = errors.New("acd: not implemented yet")

// Settings is the acd's compiled configuration (queues, agents from config,
// escalation rules). It is immutable; Reload swaps it whole.
type Settings struct {
	Queues map[string]QueueConfig
	// TeamLeaderQueue is where escalations go (and the default overflow).
	TeamLeaderQueue string
	// EscalationPriority is the priority of an escalated call in its new
	// queue (above every tier).
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
	// Pool names the shared agent pool (default "pool"); controllers
	// sharing agents use the same pool.
	Pool string
	// Instance identifies this controller: offers for calls it owns are
	// addressed to it.
	Instance string
	Clock    Clock // nil: the wall clock
	Log      zerolog.Logger
}

// Service is one controller's view of the shared agent pool. Every method
// is safe for concurrent use; state lives in Redis, so several Services
// (controllers) on one Redis share agents and calls, and a restarted one
// resumes where the pool is.
type Service struct {
	opts Options
}

// New builds a Service; Start brings it to life.
func New(opts Options, s *Settings) (*Service, error) {
	return nil, errNotYet
}

// Start syncs configured agents into Redis, logs in the login_at_start
// ones, subscribes to the pool's channels and runs the dispatcher and the
// timers until ctx ends. It returns when it is ready (the loops keep
// running in the background until ctx ends; Wait waits for them).
func (s *Service) Start(ctx context.Context) error { return errNotYet }

// Wait waits for the background loops started by Start to end.
func (s *Service) Wait() {}

// Reload swaps the settings (queues, agents from config) as a whole.
func (s *Service) Reload(ctx context.Context, st *Settings) error { return errNotYet }

// ---- the hand-off side: one goroutine owns one call ----

// Enqueue puts a call in its queue (or, by the repeat-caller rule, in the
// Team Leader queue with priority) and returns the Waiter through which
// the owning goroutine hears offers and moves. A call already known (adopted
// after a restart) keeps its place and is owned by this controller from
// now on.
func (s *Service) Enqueue(ctx context.Context, e CallEntry) (*Waiter, error) { return nil, errNotYet }

// Answered: agentID answered the offer for callID; the agent is on the call
// (other ring_all agents are released).
func (s *Service) Answered(ctx context.Context, callID, agentID string) error { return errNotYet }

// NoAnswer: agentID let the offer ring out (or its leg failed): the agent
// is paused no_answer, and the call, keeping its place, is offered again at
// once.
func (s *Service) NoAnswer(ctx context.Context, callID, agentID string) error { return errNotYet }

// Ended: the call with its agent ended (who hung up); the agent wraps up,
// then becomes available.
func (s *Service) Ended(ctx context.Context, callID string, who Party) error { return errNotYet }

// Abandoned: the caller left before talking to an agent (waiting or while
// an agent rang); agents reserved for it are released.
func (s *Service) Abandoned(ctx context.Context, callID string) error { return errNotYet }

// Position is the call's place in its queue and the estimated wait.
func (s *Service) Position(ctx context.Context, callID string) (Position, error) {
	return Position{}, errNotYet
}

// Escalate moves a call to the Team Leader queue with priority, keeping
// its screen-pop. Called by the agent talking to the caller (by = that
// agent; the agent goes to wrap-up) or a leader.
func (s *Service) Escalate(ctx context.Context, callID, by string, reason EscalationReason) error {
	return errNotYet
}

// Handling is the acd's part of the call's handling record.
func (s *Service) Handling(ctx context.Context, callID string) (Handling, error) {
	return Handling{}, errNotYet
}

// ---- the agent API side ----

// UpsertAgent creates or updates an agent (not its state).
func (s *Service) UpsertAgent(ctx context.Context, a Agent) error { return errNotYet }

// Login makes a logged-out agent available.
func (s *Service) Login(ctx context.Context, agentID string) error { return errNotYet }

// Logout logs an agent out (not while reserved or on a call).
func (s *Service) Logout(ctx context.Context, agentID string) error { return errNotYet }

// Ready makes a paused or wrapping-up agent available.
func (s *Service) Ready(ctx context.Context, agentID string) error { return errNotYet }

// Pause pauses an available or wrapping-up agent with a reason.
func (s *Service) Pause(ctx context.Context, agentID, reason string) error { return errNotYet }

// SetState is a supervisor's (or team leader's) change of another agent's
// state: available, paused (with reason) or logged_out.
func (s *Service) SetState(ctx context.Context, by, agentID string, st State, reason string) error {
	return errNotYet
}

// Agent is one agent's status.
func (s *Service) Agent(ctx context.Context, agentID string) (AgentStatus, error) {
	return AgentStatus{}, errNotYet
}

// Agents lists every agent of the pool with its status.
func (s *Service) Agents(ctx context.Context) ([]AgentStatus, error) { return nil, errNotYet }

// Queues lists every queue's live figures.
func (s *Service) Queues(ctx context.Context) ([]QueueStatus, error) { return nil, errNotYet }

// Disposition records what the agent says about the call, during the call
// or its wrap-up (validated: category, ticket id).
func (s *Service) Disposition(ctx context.Context, callID, agentID string, d Disposition) error {
	return errNotYet
}

// RequestHelp tells the leaders an agent asks for help on a call.
func (s *Service) RequestHelp(ctx context.Context, agentID, callID, note string) error {
	return errNotYet
}

// Subscribe returns the agent's event feed until cancel is called.
func (s *Service) Subscribe(agentID string) (<-chan Event, func()) { return nil, func() {} }

// SubscribeLeaders returns the leaders' feed (escalations, help requests,
// queue figures) until cancel is called.
func (s *Service) SubscribeLeaders() (<-chan Event, func()) { return nil, func() {} }

// ---- presence ----

// EndpointState tells the acd an agent endpoint went offline or came back:
// an offline agent is never offered a call.
func (s *Service) EndpointState(ctx context.Context, endpoint string, online bool) error {
	return errNotYet
}

// Waiter is the owning goroutine's handle on a queued call.
type Waiter struct {
	callID  string
	notices chan Notice
}

// CallID is the call this waiter waits for.
func (w *Waiter) CallID() string { return w.callID }

// Notices yields offers and moves for the call.
func (w *Waiter) Notices() <-chan Notice { return w.notices }

// Close stops delivering notices (the call goroutine is done with it).
func (w *Waiter) Close() {}

// Clock is the time source (injectable for tests).
type Clock interface {
	Now() time.Time
	// NewTimer returns a channel that receives once d has passed and a
	// stop function.
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}
