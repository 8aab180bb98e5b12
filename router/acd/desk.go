package acd

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The desk: what the agent desktop and the leaders' board need beyond the
// queueing itself. An agent's escalation with its reason text becomes a case
// in the escalation inbox (open → taken by a leader → resolved with a note);
// each agent's answered calls of the day are listed with their outcome.
//
// Keys (under the pool's base):
//
//	esc:<call>        hash: call, agent, queue, reason, status, leader, note, at, taken_at, resolved_at
//	esc:open          zset of call ids not yet resolved, by escalation time (ms)
//	day:<agent>:<d>   list of "<ms>|<call>" answered by the agent on day d (UTC, 2006-01-02), newest first, capped
const (
	// DayCallsCap bounds an agent's list of the day's calls.
	DayCallsCap = 200
	// caseTTL keeps a resolved case readable for a day.
	caseTTL = 24 * time.Hour
	dayTTL  = 48 * time.Hour
)

// EventCase is a leaders' (and the escalating agent's) event: an escalation
// case was opened, taken or resolved. Reason is the case's status, Note the
// agent's reason text (opened) or the leader's note (resolved).
const EventCase EventType = "escalation_case"

// Case statuses.
const (
	CaseOpen     = "open"
	CaseTaken    = "taken"
	CaseResolved = "resolved"
)

// Case is one escalation in the leaders' inbox.
type Case struct {
	CallID     string    `json:"call_id"`
	AgentID    string    `json:"agent_id"` // who escalated
	Queue      string    `json:"queue"`    // the queue it was escalated from
	Reason     string    `json:"reason"`   // the agent's words
	Status     string    `json:"status"`
	Leader     string    `json:"leader,omitempty"` // who took it
	Note       string    `json:"note,omitempty"`   // the leader's resolution note
	At         time.Time `json:"at"`
	TakenAt    time.Time `json:"taken_at,omitzero"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// DayCall is one of an agent's calls of the day with its outcome.
type DayCall struct {
	CallID     string    `json:"call_id"`
	AnsweredAt time.Time `json:"answered_at"`
	Queue      string    `json:"queue,omitempty"`
	// Outcome: the disposition category, "escalated" (this agent escalated
	// it), "not_recorded" (wrap-up ended with no disposition), "in_progress"
	// (talking or wrapping up), "ended" (ended, wrap-up not over and nothing
	// recorded yet) or "expired" (the handling record is gone).
	Outcome  string        `json:"outcome"`
	TicketID string        `json:"ticket_id,omitempty"`
	Talk     time.Duration `json:"talk"`
}

func (k keys) escCase(call string) string { return k.base + "esc:" + call }
func (k keys) escOpen() string            { return k.base + "esc:open" }
func (k keys) day(agent string, d time.Time) string {
	return k.base + "day:" + agent + ":" + d.UTC().Format("2006-01-02")
}

// EscalateWithReason is Escalate by an agent (EscalationAgent) that also
// opens a case in the leaders' inbox with the agent's reason text (1-500
// characters).
func (s *Service) EscalateWithReason(ctx context.Context, callID, by, reason string) error {
	if reason == "" || len(reason) > 500 {
		return &ValidationError{Field: "reason", Message: "1 to 500 characters"}
	}
	from, _ := s.rdb.HGet(ctx, s.k.call(callID), "queue").Result()
	if err := s.Escalate(ctx, callID, by, EscalationAgent); err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, s.k.escCase(callID))
	pipe.HSet(ctx, s.k.escCase(callID), "call", callID, "agent", by, "queue", from, "reason", reason,
		"status", CaseOpen, "at", ms(now))
	pipe.ZAdd(ctx, s.k.escOpen(), redis.Z{Score: float64(ms(now)), Member: callID})
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	s.emit(Event{Type: EventCase, AgentID: by, CallID: callID, Queue: from, Reason: CaseOpen, Note: reason})
	return nil
}

// Cases lists the open and taken escalations, oldest first.
func (s *Service) Cases(ctx context.Context) ([]Case, error) {
	ids, err := s.rdb.ZRange(ctx, s.k.escOpen(), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	out := make([]Case, 0, len(ids))
	for _, id := range ids {
		c, err := s.Case(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Case reads one escalation case.
func (s *Service) Case(ctx context.Context, callID string) (Case, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.escCase(callID)).Result()
	if err != nil {
		return Case{}, err
	}
	if len(h) == 0 {
		return Case{}, &NotFoundError{Kind: "escalation", ID: callID}
	}
	n := func(k string) int64 { v, _ := strconv.ParseInt(h[k], 10, 64); return v }
	return Case{CallID: callID, AgentID: h["agent"], Queue: h["queue"], Reason: h["reason"], Status: h["status"],
		Leader: h["leader"], Note: h["note"], At: fromMS(n("at")), TakenAt: fromMS(n("taken_at")),
		ResolvedAt: fromMS(n("resolved_at"))}, nil
}

// caseStep moves a case atomically: take (open → taken; taking again by the
// same leader is allowed) or resolve (open or taken → resolved, by the
// leader who took it or any leader when nobody did).
var caseStep = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'nocase'} end
local leader = redis.call('HGET', KEYS[1], 'leader') or ''
if ARGV[1] == 'take' then
  if st == 'resolved' then return {'state', st, leader} end
  if st == 'taken' and leader ~= ARGV[2] then return {'state', st, leader} end
  redis.call('HSET', KEYS[1], 'status', 'taken', 'leader', ARGV[2], 'taken_at', ARGV[3])
  return {'ok'}
end
if st == 'resolved' then return {'state', st, leader} end
if st == 'taken' and leader ~= ARGV[2] then return {'state', st, leader} end
redis.call('HSET', KEYS[1], 'status', 'resolved', 'leader', ARGV[2], 'note', ARGV[4], 'resolved_at', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return {'ok'}
`)

// TakeCase: the leader takes the escalation (a *CallStateError when another
// leader took it or it is resolved).
func (s *Service) TakeCase(ctx context.Context, callID, leader string) (Case, error) {
	return s.caseStep(ctx, "take", callID, leader, "")
}

// ResolveCase: the leader resolves the escalation with a note (1-500
// characters).
func (s *Service) ResolveCase(ctx context.Context, callID, leader, note string) (Case, error) {
	if note == "" || len(note) > 500 {
		return Case{}, &ValidationError{Field: "note", Message: "1 to 500 characters"}
	}
	return s.caseStep(ctx, "resolve", callID, leader, note)
}

func (s *Service) caseStep(ctx context.Context, op, callID, leader, note string) (Case, error) {
	if leader == "" {
		return Case{}, &ValidationError{Field: "leader", Message: "required"}
	}
	r, err := caseStep.Run(ctx, s.rdb, []string{s.k.escCase(callID), s.k.escOpen()}, op, leader,
		ms(s.clock.Now()), note, callID, caseTTL.Milliseconds()).Slice()
	if err != nil {
		return Case{}, err
	}
	switch str(r, 0) {
	case "nocase":
		return Case{}, &NotFoundError{Kind: "escalation", ID: callID}
	case "state":
		why := "it is " + str(r, 1)
		if l := str(r, 2); l != "" {
			why += " by " + l
		}
		return Case{}, &CallStateError{CallID: callID, Op: op + " the escalation", Why: why}
	}
	c, err := s.Case(ctx, callID)
	if err != nil {
		return Case{}, err
	}
	ev := Event{Type: EventCase, AgentID: c.AgentID, CallID: callID, Queue: c.Queue, Reason: c.Status}
	if op == "resolve" {
		ev.Note = note
	}
	s.emit(ev)
	s.log.Info().Str("call_id", callID).Str("leader", leader).Str("status", c.Status).Msg("acd: escalation case " + op)
	return c, nil
}

// noteDayCall adds an answered call to the agent's list of the day.
// Failing to note it costs the desktop a line, not the call: logged only.
func (s *Service) noteDayCall(ctx context.Context, agentID, callID string) {
	now := s.clock.Now()
	k := s.k.day(agentID, now)
	pipe := s.rdb.TxPipeline()
	pipe.LPush(ctx, k, strconv.FormatInt(ms(now), 10)+"|"+callID)
	pipe.LTrim(ctx, k, 0, DayCallsCap-1)
	pipe.PExpire(ctx, k, dayTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		s.log.Warn().Err(err).Str("agent_id", agentID).Str("call_id", callID).Msg("acd: noting the day's call failed")
	}
}

// DayCalls lists the calls the agent answered today (UTC), newest first,
// with their outcomes read from the handling records.
func (s *Service) DayCalls(ctx context.Context, agentID string) ([]DayCall, error) {
	if _, err := s.Agent(ctx, agentID); err != nil {
		return nil, err
	}
	raw, err := s.rdb.LRange(ctx, s.k.day(agentID, s.clock.Now()), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	out := make([]DayCall, 0, len(raw))
	for _, line := range raw {
		at, callID, ok := cutPipe(line)
		if !ok {
			continue
		}
		d := DayCall{CallID: callID, AnsweredAt: fromMS(at)}
		h, err := s.Handling(ctx, callID)
		switch {
		case errors.Is(err, ErrNotFound):
			d.Outcome = "expired"
		case err != nil:
			return nil, err
		default:
			d.Queue, d.Outcome, d.TicketID, d.Talk = outcomeFor(agentID, h)
		}
		out = append(out, d)
	}
	return out, nil
}

func outcomeFor(agentID string, h Handling) (queue, outcome, ticket string, talk time.Duration) {
	queue = h.Queue
	for _, e := range h.Escalations {
		if e.By == agentID {
			return e.From, "escalated", "", 0
		}
	}
	if h.AgentID != agentID {
		return queue, "ended", "", 0
	}
	talk = h.Talk
	switch {
	case h.Disposition != nil:
		return queue, string(h.Disposition.Category), h.Disposition.TicketID, talk
	case h.NotRecorded:
		return queue, "not_recorded", "", talk
	case h.EndedAt.IsZero():
		return queue, "in_progress", "", talk
	}
	return queue, "ended", "", talk
}

func cutPipe(line string) (int64, string, bool) {
	for i := 0; i < len(line); i++ {
		if line[i] == '|' {
			v, err := strconv.ParseInt(line[:i], 10, 64)
			return v, line[i+1:], err == nil && i+1 < len(line)
		}
	}
	return 0, "", false
}
