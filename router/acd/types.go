package acd

import (
	"encoding/json"
	"time"
)

// State is an agent's state. The transitions are enforced atomically in
// Redis (see doc.go); a change not allowed from the current state fails with
// a *StateError.
type State string

// Agent states.
const (
	LoggedOut State = "logged_out"
	Available State = "available"
	Reserved  State = "reserved" // an offer rings the agent
	OnCall    State = "on_call"
	WrapUp    State = "wrap_up"
	Paused    State = "paused" // with a reason
)

// States lists every state (metric labels, figures).
var States = []State{LoggedOut, Available, Reserved, OnCall, WrapUp, Paused}

// Pause reasons set by the acd itself; the API may set any other short reason.
const (
	ReasonNoAnswer = "no_answer" // autopause: the agent let an offer ring out
)

// Role is what an agent may do beyond taking calls.
type Role string

// Roles.
const (
	RoleAgent      Role = "agent"
	RoleTeamLeader Role = "team_leader"
	RoleSupervisor Role = "supervisor"
)

// Agent is an agent as configured or created through the API.
type Agent struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Endpoint string   `json:"endpoint"` // an ARI endpoint: PJSIP/agent1001, Local/1001@agent-sim
	Skills   []string `json:"skills"`   // e.g. "segment:DES", "product:indihome", "lang:en"
	Team     string   `json:"team,omitempty"`
	Role     Role     `json:"role"`
	Queues   []string `json:"queues"` // queues the agent takes calls from
	// Box is the Asterisk (ari.servers[].name) Endpoint is registered on;
	// empty: it is registered on every box (see Reach).
	Box string `json:"box,omitempty"`
}

// AgentStatus is an agent with its live state.
type AgentStatus struct {
	Agent
	State  State     `json:"state"`
	Since  time.Time `json:"since"`
	Reason string    `json:"reason,omitempty"` // pause reason
	// CallID is the call the agent is reserved for, talks to or wraps up.
	CallID    string    `json:"call_id,omitempty"`
	WrapUpEnd time.Time `json:"wrap_up_end,omitzero"`
	// Offline: the agent's endpoint is unreachable (presence); an offline
	// agent is never offered a call whatever its state.
	Offline    bool      `json:"offline"`
	IdleSince  time.Time `json:"idle_since,omitzero"` // last became available
	CallsTaken int       `json:"calls_taken"`
}

// CanTakeCalls reports whether the agent may be offered a call now.
func (s AgentStatus) CanTakeCalls() bool { return s.State == Available && !s.Offline }

// QueueConfig is one queue as the acd uses it, compiled from config.
type QueueConfig struct {
	Name     string
	Strategy string // longest_idle (default) | fewest_calls | round_robin | ring_all
	// ServiceLevel is the answer-time threshold of the service-level figure.
	ServiceLevel time.Duration
	// MaxWait is how long a caller waits before overflowing to Overflow
	// (0: never). Overflow is empty for the Team Leader queue itself.
	MaxWait  time.Duration
	Overflow string
	WrapUp   time.Duration // after each call, before the agent is available again
	// RingTimeout is how long the hand-off lets an offer ring before it
	// reports NoAnswer.
	RingTimeout time.Duration
	// AnnounceEvery is the period of position announcements (0: none).
	AnnounceEvery time.Duration
	// Skills every agent of the queue needs, on top of the call's own.
	Skills []string
}

// QueueStatus is a queue's live figures.
type QueueStatus struct {
	Name       string        `json:"name"`
	Waiting    int           `json:"waiting"`
	OldestWait time.Duration `json:"oldest_wait"`
	// Agents counts the members by state; Offline counts members whose
	// endpoint is offline (whatever their state).
	Agents  map[State]int `json:"agents"`
	Offline int           `json:"offline"`
	// EstimatedWait is the estimate for a caller joining now; zero with
	// EstimateKnown false when the queue has no recent history.
	EstimatedWait time.Duration `json:"estimated_wait"`
	EstimateKnown bool          `json:"estimate_known"`
	// Recent answered calls (the last RecentAnswers): how many, how many
	// within the service-level threshold, and their ratio (1 when none).
	Answered        int     `json:"answered"`
	AnsweredWithin  int     `json:"answered_within_sl"`
	ServiceLevel    float64 `json:"service_level"`
	ServiceLevelSec float64 `json:"service_level_threshold_seconds"`
}

// CallEntry is a call given to the acd by the hand-off.
type CallEntry struct {
	CallID   string
	Queue    string
	Priority int      // from the tier; higher is served first (0-100)
	Skills   []string // every one is required of the agent
	// ScreenPop is what the agent sees (opaque JSON, the hand-off's
	// ScreenPop); it follows the call through escalations.
	ScreenPop json.RawMessage
	// ServiceID and OpenComplaint feed the repeat-caller rule: a service
	// calling about an open complaint N times in the window goes to the
	// Team Leader queue with priority.
	ServiceID     string
	OpenComplaint bool
	// EnqueuedAt is when the caller joined the queue (zero: now). A call
	// enqueued again (adopted after a restart) keeps its first place.
	EnqueuedAt time.Time
	// Box is the Asterisk an agent must be reachable from (Reach.CallBox):
	// the caller's box, or empty when any agent is (one Asterisk, or the
	// caller's box dials the others' agents through a trunk).
	Box string
}

// OfferedAgent is one agent an offer rings.
type OfferedAgent struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	Box      string `json:"box,omitempty"` // Agent.Box
}

// Offer says: these agents are reserved for this call; ring them. With
// ring_all there may be several; the first to answer wins (report Answered
// for it; the acd releases the others), the others' legs are hung up by the
// hand-off.
type Offer struct {
	CallID      string         `json:"call_id"`
	Queue       string         `json:"queue"`
	Agents      []OfferedAgent `json:"agents"`
	RingTimeout time.Duration  `json:"ring_timeout"`
}

// NoticeKind says what a Notice to a waiter carries.
type NoticeKind string

// Notice kinds.
const (
	NoticeOffer NoticeKind = "offer" // ring Offer.Agents
	// NoticeMoved: the call now waits in another queue (overflow or
	// escalation). If an agent was talking to the caller (agent-initiated
	// escalation), the hand-off hangs up that agent's leg, puts the caller
	// back on music on hold and waits for the next offer.
	NoticeMoved NoticeKind = "moved"
	// NoticeWithdrawn: the acd took back an offer the hand-off never
	// answered for (reservation expired); hang up the legs still ringing.
	NoticeWithdrawn NoticeKind = "withdrawn"
)

// Notice is what the acd tells the goroutine that owns a call.
type Notice struct {
	Kind   NoticeKind  `json:"kind"`
	CallID string      `json:"call_id"`
	Offer  *Offer      `json:"offer,omitempty"`
	Move   *Escalation `json:"move,omitempty"`
	Agents []string    `json:"agents,omitempty"` // withdrawn: the agents no longer reserved
	// Seq numbers the call's notices in the order the scripts produced
	// them (the waiter delivers them in that order).
	Seq int64 `json:"seq,omitempty"`
}

// EscalationReason is why a call moved to another queue: a closed set
// (metric label).
type EscalationReason string

// Escalation reasons.
const (
	EscalationMaxWait      EscalationReason = "max_wait"
	EscalationRepeatCaller EscalationReason = "repeat_caller"
	EscalationAgent        EscalationReason = "agent_request"
)

// EscalationReasons lists every reason.
var EscalationReasons = []EscalationReason{EscalationMaxWait, EscalationRepeatCaller, EscalationAgent}

// Escalation is one move of a call between queues.
type Escalation struct {
	From   string           `json:"from"`
	To     string           `json:"to"`
	Reason EscalationReason `json:"reason"`
	By     string           `json:"by,omitempty"` // agent id when an agent escalated
	At     time.Time        `json:"at"`
}

// Party says who ended a call.
type Party string

// Parties.
const (
	PartyCaller Party = "caller"
	PartyAgent  Party = "agent"
	PartySystem Party = "system" // the controller or the PBX
)

// Position is what a position announcement says.
type Position struct {
	Queue    string `json:"queue"`
	Position int    `json:"position"` // 1 = next
	Waiting  int    `json:"waiting"`
	// EstimatedWait from now; EstimateKnown is false when the queue has
	// no recent answered calls to estimate from (announce the position only).
	EstimatedWait time.Duration `json:"estimated_wait"`
	EstimateKnown bool          `json:"estimate_known"`
}

// Category is the disposition category (policy 5.4).
type Category string

// Categories.
const (
	CategoryInformation Category = "information"
	CategoryRequest     Category = "request"
	CategoryComplaint   Category = "complaint"
)

// Disposition is what the agent records about a call (policies 5.4, 5.6, 5.7).
type Disposition struct {
	Category           Category  `json:"category"`
	TicketID           string    `json:"ticket_id,omitempty"`
	FurtherHelpOffered bool      `json:"further_help_offered"`
	StandardClosing    bool      `json:"standard_closing"`
	AgentID            string    `json:"agent_id"`
	At                 time.Time `json:"at"`
}

// Handling is the part of the handling record the acd owns.
type Handling struct {
	CallID     string        `json:"call_id"`
	Queue      string        `json:"queue"` // the queue the call was answered in (or left)
	FirstQueue string        `json:"first_queue"`
	Priority   int           `json:"priority"`
	EnqueuedAt time.Time     `json:"enqueued_at"`
	AgentID    string        `json:"agent_id,omitempty"`
	AnsweredAt time.Time     `json:"answered_at,omitzero"`
	EndedAt    time.Time     `json:"ended_at,omitzero"`
	EndedBy    Party         `json:"ended_by,omitempty"`
	Wait       time.Duration `json:"wait"`
	Talk       time.Duration `json:"talk"`
	WrapUp     time.Duration `json:"wrap_up"`
	// WrapUpDone: the agent's wrap-up after this call has ended.
	WrapUpDone  bool            `json:"wrap_up_done"`
	Escalations []Escalation    `json:"escalations,omitempty"`
	Disposition *Disposition    `json:"disposition,omitempty"`
	NotRecorded bool            `json:"needs_not_recorded"` // wrap-up ended with no disposition
	Abandoned   bool            `json:"abandoned,omitempty"`
	OfferedTo   []string        `json:"offered_to,omitempty"` // agents that let it ring out
	ScreenPop   json.RawMessage `json:"screen_pop,omitempty"`
}

// EventType is the kind of an agent or leader feed event.
type EventType string

// Event types.
const (
	EventState      EventType = "state"      // the agent's state changed
	EventOffer      EventType = "offer"      // a call rings the agent
	EventOfferEnd   EventType = "offer_end"  // the offer was taken back (answered elsewhere, abandoned, rang out)
	EventConnected  EventType = "connected"  // the agent talks to the caller (with the screen-pop)
	EventCallEnded  EventType = "call_ended" // the call ended; wrap-up starts
	EventWrapUpEnd  EventType = "wrap_up_end"
	EventEscalation EventType = "escalation"   // leaders
	EventHelp       EventType = "help_request" // leaders
	EventQueues     EventType = "queues"       // leaders: queue figures
)

// Event is one message of an agent's or the leaders' feed. Events travel
// through Redis pub/sub, so every controller's subscribers see them.
type Event struct {
	Type       EventType       `json:"type"`
	AgentID    string          `json:"agent_id,omitempty"`
	CallID     string          `json:"call_id,omitempty"`
	Queue      string          `json:"queue,omitempty"`
	State      State           `json:"state,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	ScreenPop  json.RawMessage `json:"screen_pop,omitempty"`
	Escalation *Escalation     `json:"escalation,omitempty"`
	Queues     []QueueStatus   `json:"queues,omitempty"`
	Note       string          `json:"note,omitempty"`
	At         time.Time       `json:"at"`
}
