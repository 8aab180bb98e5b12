package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redisha"
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
	CallID   string `json:"call_id"`
	Instance string `json:"instance"`
	// Server is the Asterisk the call was on (ari.servers[].name; empty
	// with one Asterisk).
	Server  string `json:"server,omitempty"`
	Line    string `json:"line"`
	Adopted bool   `json:"adopted,omitempty"` // picked up again after a reconnect
	// HandoverUnadopted: handed over on shutdown while with an agent, and no
	// controller adopted the call in time; ended_at and talk_seconds stop
	// at the hand-over.
	HandoverUnadopted bool       `json:"handover_unadopted,omitempty"`
	StartedAt         time.Time  `json:"started_at"`
	AnsweredAt        *time.Time `json:"answered_at,omitempty"`
	EndedAt           time.Time  `json:"ended_at"`

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
	// FurtherHelp: after self-service the caller was offered more help
	// (SOP activity 14); Choice is main_menu, agent or closing ("" when
	// the caller hung up during the offer).
	FurtherHelp struct {
		Offered bool   `json:"offered"`
		Choice  string `json:"choice,omitempty"`
	} `json:"further_help"`

	Queue           string     `json:"queue,omitempty"`
	Priority        int        `json:"priority,omitempty"`
	EnqueuedAt      *time.Time `json:"enqueued_at,omitempty"`
	AgentID         string     `json:"agent_id,omitempty"`
	AgentAnsweredAt *time.Time `json:"agent_answered_at,omitempty"`
	WaitSeconds     float64    `json:"wait_seconds,omitempty"`
	TalkSeconds     float64    `json:"talk_seconds,omitempty"`
	WrapUpSeconds   float64    `json:"wrap_up_seconds,omitempty"`
	// The queueing side's part (the acd): the queue the call first joined
	// (Queue is where it was answered or left), who ended the talk, every
	// move between queues, and what the agent recorded. DispositionMissing:
	// the agent's wrap-up ended with nothing recorded (needs not recorded).
	FirstQueue         string       `json:"first_queue,omitempty"`
	EndedBy            string       `json:"ended_by,omitempty"` // caller | agent | system
	Escalations        []Escalation `json:"escalations,omitempty"`
	Disposition        *Disposition `json:"disposition,omitempty"`
	DispositionMissing bool         `json:"needs_not_recorded,omitempty"`

	Outcome      Outcome `json:"outcome"`
	AbandonStage Stage   `json:"abandon_stage,omitempty"`
	FailReason   string  `json:"fail_reason,omitempty"`
	IVRPath      string  `json:"ivr_path,omitempty"` // keys pressed, in order
}

// Escalation is one move of a call between queues (overflow past the
// maximum wait, repeat caller, or an agent's request).
type Escalation struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	By     string    `json:"by,omitempty"` // the escalating agent
	At     time.Time `json:"at"`
}

// Disposition is what the agent recorded about the call (policies 5.4,
// 5.6, 5.7).
type Disposition struct {
	Category           string    `json:"category"`
	TicketID           string    `json:"ticket_id,omitempty"`
	FurtherHelpOffered bool      `json:"further_help_offered"`
	StandardClosing    bool      `json:"standard_closing"`
	AgentID            string    `json:"agent_id"`
	At                 time.Time `json:"at"`
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
//
// A record survives a Redis failover and is in the stream once:
//
//   - idempotent: one script adds the record and marks its call id
//     (SeenKey, kept 24 h);
//     a call id already marked is not added again, so the writer's retry of
//     a write whose reply was lost (timeout, connection cut) never adds a
//     second entry;
//   - acknowledged by a replica: after the script, WAIT until a replica has
//     it (redisha.Durable; a master without replicas needs none). Redis
//     replicates asynchronously: an XADD the master acknowledged and lost
//     when it died before its replica got it would be a lost record. Not
//     acknowledged in time is an error, and the RecordWriter writes the
//     record again: on the same master the mark makes it a no-op; on a new
//     master that never got it (mark lost with it) it is added then;
//   - written again after a failover: a replica promoted by SENTINEL
//     FAILOVER leaves a window in which the old master still takes writes
//     and its other replicas still acknowledge them, and loses them when
//     it is demoted. The script returns the master's replication id (a
//     promoted replica gets a new one); when it changes, the RecordWriter
//     writes the records of the last RewriteWindow again (EpochRecorder),
//     no-ops for those the new master has.
type StreamRecorder struct {
	Client redis.UniversalClient
	Key    string // e.g. "tenesa:records"
	MaxLen int64  // approximate cap; 0 = 1,000,000
	// Replicas is how many replicas must acknowledge a record (capped by
	// the master's connected replicas); 0 = 1. Negative: do not wait.
	Replicas int
	// AckTimeout bounds the wait for the replicas; 0 = 500ms.
	AckTimeout time.Duration
}

// seenTTL keeps a call id marked as written (idempotent retries).
const seenTTL = 24 * time.Hour

// addRecord: KEYS[1] stream, KEYS[2] the call's seen mark; ARGV[1] max
// length, ARGV[2] call id, ARGV[3] outcome, ARGV[4] record, ARGV[5] mark
// TTL ms. Reply {replicas, "added"|"dup", entry id, the master's
// replication id}. A record without a call id is added unmarked.
var addRecord = redis.NewScript(redisha.ReplicasLua + `
local replid = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)') or ''
local marked = ARGV[2] ~= ''
local id = marked and redis.call('GET', KEYS[2])
if id then return {replicas(), 'dup', id, replid} end
id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'call_id', ARGV[2], 'outcome', ARGV[3], 'record', ARGV[4])
if marked then redis.call('SET', KEYS[2], id, 'PX', ARGV[5]) end
return {replicas(), 'added', id, replid}
`)

// SeenKey is the key marking call's record as written,
// "<stream>:seen:<call id>". In Redis Cluster it shares the stream's slot
// through the key prefix's hash tag (key_prefix "{tenesa}:", which Cluster
// needs anyway: segmentation.NewRepository).
func (s StreamRecorder) SeenKey(callID string) string { return s.Key + ":seen:" + callID }

// Write implements Recorder.
func (s StreamRecorder) Write(ctx context.Context, r *Record) error {
	_, err := s.WriteEpoch(ctx, r)
	return err
}

// WriteEpoch implements EpochRecorder: the epoch is the replication id of
// the master that took the record (a promoted replica gets a new one).
func (s StreamRecorder) WriteEpoch(ctx context.Context, r *Record) (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode record: %w", err)
	}
	maxLen := s.MaxLen
	if maxLen == 0 {
		maxLen = 1_000_000
	}
	want, timeout := s.Replicas, s.AckTimeout
	if want == 0 {
		want = 1
	}
	if timeout <= 0 {
		timeout = 500 * time.Millisecond
	}
	var epoch string
	err = redisha.Durable(ctx, s.Client, s.Key, want, timeout, func(c redis.Scripter) (int, error) {
		res, err := addRecord.Run(ctx, c, []string{s.Key, s.SeenKey(r.CallID)},
			maxLen, r.CallID, string(r.Outcome), b, seenTTL.Milliseconds()).Slice()
		if err != nil {
			return 0, err
		}
		n, _ := res[0].(int64)
		if len(res) > 3 {
			epoch, _ = res[3].(string)
		}
		return int(n), nil
	})
	if err != nil {
		return "", fmt.Errorf("xadd %s: %w", s.Key, err)
	}
	return epoch, nil
}

// EpochRecorder is a Recorder that says which epoch of its store took a
// record: a different epoch from the previous write means the store failed
// over, and records acknowledged shortly before may be lost with the old
// one (RecordWriter writes them again; the writes must be idempotent).
type EpochRecorder interface {
	Recorder
	WriteEpoch(ctx context.Context, r *Record) (epoch string, err error)
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
	// Take returns and deletes the saved record of a call (nil if none); it
	// returns ErrHandoverSwept when the sweeper finalised the record because
	// no controller adopted the call in time (the adopter then writes no
	// second record).
	Take(ctx context.Context, callID string) (*Record, error)
}

// ErrHandoverSwept: the handed-over record was already written by the
// sweeper (see SweepHandovers).
var ErrHandoverSwept = errors.New("handed-over record already finalised by the sweeper")

// RedisHandover stores handed-over records in Redis (keys in the package
// doc). A record saved at time EndedAt is due at EndedAt+Grace: a
// controller that adopts the call takes it before; after that the sweeper
// finalises it into the records stream.
type RedisHandover struct {
	Client redis.UniversalClient
	Prefix string        // e.g. "tenesa:handover:"
	Grace  time.Duration // time for a controller to adopt the call; 0 = 5m
	TTL    time.Duration // life of a record and its tombstone in Redis; 0 = 7 days
}

func (h RedisHandover) grace() time.Duration {
	if h.Grace > 0 {
		return h.Grace
	}
	return 5 * time.Minute
}

func (h RedisHandover) ttl() time.Duration {
	if h.TTL > 0 {
		return h.TTL
	}
	return 7 * 24 * time.Hour
}

func (h RedisHandover) dueKey() string             { return h.Prefix + "~due" }
func (h RedisHandover) recordKey(id string) string { return h.Prefix + id }
func (h RedisHandover) sweptKey(id string) string  { return h.Prefix + "~swept:" + id }

// Save implements Handover: the record (with a TTL) and its due time in the
// due index, in one transaction.
func (h RedisHandover) Save(ctx context.Context, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	due := r.EndedAt
	if due.IsZero() {
		due = time.Now()
	}
	due = due.Add(h.grace())
	_, err = h.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, h.recordKey(r.CallID), b, h.ttl())
		p.ZAdd(ctx, h.dueKey(), redis.Z{Score: float64(due.UnixMilli()), Member: r.CallID})
		return nil
	})
	return err
}

// takeScript removes a handed-over record and its due entry atomically and
// returns it; with ARGV[2] = "sweep" it leaves a tombstone (so a late
// adopter knows), else it reports an existing tombstone as "swept".
var takeScript = redis.NewScript(`
local v = redis.call('GETDEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == 'sweep' then
  if v then redis.call('SET', KEYS[3], '1', 'PX', ARGV[3]) end
  return v
end
if not v and redis.call('EXISTS', KEYS[3]) == 1 then return 'swept' end
return v
`)

func (h RedisHandover) take(ctx context.Context, callID string, sweep bool) ([]byte, error) {
	mode := "adopt"
	if sweep {
		mode = "sweep"
	}
	b, err := takeScript.Run(ctx, h.Client, []string{h.recordKey(callID), h.dueKey(), h.sweptKey(callID)},
		callID, mode, h.ttl().Milliseconds()).Text()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if b == "swept" {
		return nil, ErrHandoverSwept
	}
	return []byte(b), nil
}

// Take implements Handover.
func (h RedisHandover) Take(ctx context.Context, callID string) (*Record, error) {
	b, err := h.take(ctx, callID, false)
	if err != nil || b == nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("handover record of %s: %w", callID, err)
	}
	return &r, nil
}

// Expired takes up to max hand-overs due before now (no controller adopted
// the call in time) and returns their records, marked HandoverUnadopted;
// each is left as a tombstone so a late adopter does not record the call
// again.
func (h RedisHandover) Expired(ctx context.Context, now time.Time, max int64) ([]*Record, error) {
	ids, err := h.Client.ZRangeByScore(ctx, h.dueKey(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: max,
	}).Result()
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, id := range ids {
		b, err := h.take(ctx, id, true)
		if err != nil {
			return out, err
		}
		if b == nil {
			continue // adopted meanwhile, or its record expired
		}
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			return out, fmt.Errorf("handover record of %s: %w", id, err)
		}
		r.HandoverUnadopted = true
		out = append(out, &r)
	}
	return out, nil
}

// SweepHandovers finalises, now and then every interval until ctx ends,
// the hand-overs no controller adopted (the caller hung up while no
// controller ran, or none came back): their records go to sink, so every
// call still ends in the records stream exactly once.
func SweepHandovers(ctx context.Context, h RedisHandover, sink RecordSink, interval time.Duration, now func() time.Time, log zerolog.Logger) {
	if interval <= 0 {
		interval = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := SweepHandoversOnce(ctx, h, sink, now())
		if err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("handover sweep failed")
		}
		if n > 0 {
			log.Info().Int("records", n).Msg("handed-over calls never adopted: records finalised")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepHandoversOnce finalises every hand-over due before now; it returns
// how many records it submitted.
func SweepHandoversOnce(ctx context.Context, h RedisHandover, sink RecordSink, now time.Time) (int, error) {
	n := 0
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		recs, err := h.Expired(sctx, now, 100)
		cancel()
		for _, r := range recs {
			sink.Submit(r)
			n++
		}
		if err != nil || len(recs) < 100 {
			return n, err
		}
	}
}
