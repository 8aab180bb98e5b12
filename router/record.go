package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Outcome is the one terminal outcome of a call (DESIGN §3).
type Outcome string

// Outcomes: a closed set, also used as a metric label.
const (
	OutcomeAgentAnswered  Outcome = "agent_answered"
	OutcomeSelfServed     Outcome = "self_served"
	OutcomeWrongSegment   Outcome = "wrong_segment"
	OutcomeAbandonedIVR   Outcome = "abandoned_ivr"
	OutcomeAbandonedQueue Outcome = "abandoned_queue"
	OutcomeFailed         Outcome = "failed"
)

// Outcomes lists every outcome (for metric pre-registration and tests).
var Outcomes = []Outcome{OutcomeAgentAnswered, OutcomeSelfServed, OutcomeWrongSegment,
	OutcomeAbandonedIVR, OutcomeAbandonedQueue, OutcomeFailed}

// Stage is where in the SOP a call was when it ended early.
type Stage string

// Stages of the flow.
const (
	StageAnswer   Stage = "answer"
	StageGreeting Stage = "greeting"
	StageIdentify Stage = "identification"
	StageSegment  Stage = "segmentation"
	StageIncident Stage = "incident"
	StageMenu     Stage = "menu"
	StageSelfSvc  Stage = "self_service"
	StageRoute    Stage = "route" // the transfer announcement, before the queue
	StageQueue    Stage = "queue"
	StageAgent    Stage = "agent"
	StageClosing  Stage = "closing"
)

// Record is the handling record: one per call, whatever its end (DESIGN §3).
// Fields not reached by a call stay empty.
type Record struct {
	CallID     string     `json:"call_id"`
	Instance   string     `json:"instance"`
	Line       string     `json:"line"`
	Adopted    bool       `json:"adopted,omitempty"` // picked up again after a reconnect
	StartedAt  time.Time  `json:"started_at"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	EndedAt    time.Time  `json:"ended_at"`

	Greeting struct {
		Prompt    string `json:"prompt,omitempty"`
		Band      Band   `json:"band,omitempty"`
		TimeZone  string `json:"timezone,omitempty"`
		Played    bool   `json:"played"`
		Completed bool   `json:"completed"`
	} `json:"greeting"`

	Identification struct {
		Method   string `json:"method,omitempty"` // ani | sid | none
		Attempts int    `json:"attempts,omitempty"`
	} `json:"identification"`
	CustomerID    string `json:"customer_id,omitempty"`
	Segment       string `json:"segment,omitempty"`
	Tier          string `json:"tier,omitempty"`
	SegmentServed *bool  `json:"segment_served,omitempty"`
	Degraded      bool   `json:"degraded,omitempty"`

	Intent            string `json:"intent,omitempty"`
	Product           string `json:"product,omitempty"`
	Language          string `json:"language,omitempty"`
	SelfServiceResult string `json:"self_service_result,omitempty"`

	Queue           string     `json:"queue,omitempty"`
	Priority        int        `json:"priority,omitempty"`
	EnqueuedAt      *time.Time `json:"enqueued_at,omitempty"`
	AgentID         string     `json:"agent_id,omitempty"`
	AgentAnsweredAt *time.Time `json:"agent_answered_at,omitempty"`
	WaitSeconds     float64    `json:"wait_seconds,omitempty"`
	TalkSeconds     float64    `json:"talk_seconds,omitempty"`
	WrapUpSeconds   float64    `json:"wrap_up_seconds,omitempty"`

	Outcome      Outcome `json:"outcome"`
	AbandonStage Stage   `json:"abandon_stage,omitempty"`
	FailReason   string  `json:"fail_reason,omitempty"`
	IVRPath      string  `json:"ivr_path,omitempty"` // keys pressed, in order
}

// Recorder stores handling records.
type Recorder interface {
	Write(ctx context.Context, r *Record) error
}

// LogRecorder writes each record as one structured log line.
type LogRecorder struct{ Log zerolog.Logger }

// Write implements Recorder.
func (l LogRecorder) Write(_ context.Context, r *Record) error {
	l.Log.Info().Str("call_id", r.CallID).Str("outcome", string(r.Outcome)).
		Str("abandon_stage", string(r.AbandonStage)).Interface("record", r).Msg("handling record")
	return nil
}

// StreamRecorder appends each record to a Redis stream (XADD … MAXLEN ~ n),
// where reporting jobs read them.
type StreamRecorder struct {
	Client redis.UniversalClient
	Key    string // e.g. "tenesa:records"
	MaxLen int64  // approximate cap; 0 = 1,000,000
}

// Write implements Recorder.
func (s StreamRecorder) Write(ctx context.Context, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	maxLen := s.MaxLen
	if maxLen == 0 {
		maxLen = 1_000_000
	}
	err = s.Client.XAdd(ctx, &redis.XAddArgs{
		Stream: s.Key, MaxLen: maxLen, Approx: true,
		Values: []any{"call_id", r.CallID, "outcome", string(r.Outcome), "record", b},
	}).Err()
	if err != nil {
		return fmt.Errorf("xadd %s: %w", s.Key, err)
	}
	return nil
}

// Recorders writes to every recorder; the first error is returned after all ran.
type Recorders []Recorder

// Write implements Recorder.
func (rs Recorders) Write(ctx context.Context, r *Record) error {
	var first error
	for _, rec := range rs {
		if err := rec.Write(ctx, r); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(ctx context.Context, r *Record) error

// Write implements Recorder.
func (f RecorderFunc) Write(ctx context.Context, r *Record) error { return f(ctx, r) }

// Handover keeps the record of a call that outlives its controller: on
// shutdown a caller bridged with an agent stays bridged, and the controller
// that adopts the call finishes the record, so the call still ends with one.
type Handover interface {
	Save(ctx context.Context, r *Record) error
	// Take returns and deletes the saved record of a call (nil if none).
	Take(ctx context.Context, callID string) (*Record, error)
}

// RedisHandover stores handed-over records as JSON strings with a TTL.
type RedisHandover struct {
	Client redis.UniversalClient
	Prefix string        // e.g. "tenesa:handover:"
	TTL    time.Duration // 0 = 12h
}

// Save implements Handover.
func (h RedisHandover) Save(ctx context.Context, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ttl := h.TTL
	if ttl == 0 {
		ttl = 12 * time.Hour
	}
	return h.Client.Set(ctx, h.Prefix+r.CallID, b, ttl).Err()
}

// Take implements Handover.
func (h RedisHandover) Take(ctx context.Context, callID string) (*Record, error) {
	b, err := h.Client.GetDel(ctx, h.Prefix+callID).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("handover record of %s: %w", callID, err)
	}
	return &r, nil
}
