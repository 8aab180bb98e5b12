package acd

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// answer is one recent answered call of a queue.
type answer struct {
	at   time.Time
	wait time.Duration
}

func answers(raw []string) []answer {
	out := make([]answer, 0, len(raw))
	for _, a := range raw {
		at, wait, ok := strings.Cut(a, ":")
		if !ok {
			continue
		}
		t, err1 := strconv.ParseInt(at, 10, 64)
		w, err2 := strconv.ParseInt(wait, 10, 64)
		if err1 == nil && err2 == nil {
			out = append(out, answer{at: fromMS(t), wait: time.Duration(w) * time.Millisecond})
		}
	}
	return out
}

// estimateWindow is how far back answered calls count for the estimate.
const estimateWindow = time.Hour

// EstimateWait estimates the wait of a caller at position pos (1 = next)
// from the queue's recent answered calls (newest first): with two or more
// in the last hour, pos × the mean time between answers (the queue's
// throughput, whatever the number of agents); with one, its wait minus what
// the caller has waited; with none, unknown.
func estimateWait(pos int, waited time.Duration, recent []answer, now time.Time) (time.Duration, bool) {
	var win []answer
	for _, a := range recent {
		if now.Sub(a.at) <= estimateWindow {
			win = append(win, a)
		}
	}
	switch {
	case len(win) >= 2:
		span := win[0].at.Sub(win[len(win)-1].at)
		if span > 0 {
			return time.Duration(int64(pos) * int64(span) / int64(len(win)-1)), true
		}
		fallthrough
	case len(win) == 1:
		var sum time.Duration
		for _, a := range win {
			sum += a.wait
		}
		return max(sum/time.Duration(len(win))-waited, 0), true
	}
	return 0, false
}

// Position is the call's place in its queue (1 = next) and the estimated
// wait, for the position announcement. A call not waiting (ringing an
// agent, connected, gone) is a *CallStateError.
func (s *Service) Position(ctx context.Context, callID string) (Position, error) {
	r, err := s.run(ctx, position, callID)
	if err != nil {
		return Position{}, err
	}
	q := str(r, 0)
	if q == "" {
		if str(r, 1) == "nocall" {
			return Position{}, &NotFoundError{Kind: "call", ID: callID}
		}
		return Position{}, &CallStateError{CallID: callID, Op: "tell the position", Why: "call is " + str(r, 1)}
	}
	now := s.clock.Now()
	p := Position{Queue: q, Position: int(num(r, 1)) + 1, Waiting: int(num(r, 2))}
	waited := now.Sub(fromMS(num(r, 3)))
	p.EstimatedWait, p.EstimateKnown = estimateWait(p.Position, waited, answers(strs(r, 4)), now)
	return p, nil
}

// Queues lists every queue's live figures, by name.
func (s *Service) Queues(ctx context.Context) ([]QueueStatus, error) {
	st := s.settings.Load()
	names := make([]string, 0, len(st.Queues))
	for n := range st.Queues {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]QueueStatus, 0, len(names))
	for _, n := range names {
		q, err := s.queue(ctx, st.Queues[n])
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// Queue is one queue's live figures.
func (s *Service) Queue(ctx context.Context, name string) (QueueStatus, error) {
	q, ok := s.settings.Load().Queues[name]
	if !ok {
		return QueueStatus{}, &NotFoundError{Kind: "queue", ID: name}
	}
	return s.queue(ctx, q)
}

func (s *Service) queue(ctx context.Context, qc QueueConfig) (QueueStatus, error) {
	r, err := s.run(ctx, queueFigures, qc.Name)
	if err != nil {
		return QueueStatus{}, err
	}
	now := s.clock.Now()
	q := QueueStatus{Name: qc.Name, Waiting: int(num(r, 0)), Agents: map[State]int{},
		ServiceLevelSec: qc.ServiceLevel.Seconds(), ServiceLevel: 1}
	if oldest := num(r, 1); oldest > 0 && q.Waiting > 0 {
		q.OldestWait = max(now.Sub(fromMS(oldest)), 0)
	}
	members := strs(r, 2)
	for i := 0; i+1 < len(members); i += 2 {
		q.Agents[State(members[i])]++
		if members[i+1] == "1" {
			q.Offline++
		}
	}
	recent := answers(strs(r, 3))
	q.Answered = len(recent)
	for _, a := range recent {
		if a.wait <= qc.ServiceLevel {
			q.AnsweredWithin++
		}
	}
	if q.Answered > 0 {
		q.ServiceLevel = float64(q.AnsweredWithin) / float64(q.Answered)
	}
	q.EstimatedWait, q.EstimateKnown = estimateWait(q.Waiting+1, 0, recent, now)
	return q, nil
}

// Handling is the acd's part of the call's handling record: queue (where
// it was answered or left), first queue, wait, agent, talk, wrap-up,
// escalations, disposition and whether it is missing. Kept for 24 h after
// the call (or its wrap-up) ends.
func (s *Service) Handling(ctx context.Context, callID string) (Handling, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.call(callID)).Result()
	if err != nil {
		return Handling{}, err
	}
	if len(h) == 0 {
		return Handling{}, &NotFoundError{Kind: "call", ID: callID}
	}
	n := func(k string) int64 { v, _ := strconv.ParseInt(h[k], 10, 64); return v }
	out := Handling{
		CallID: callID, Queue: h["queue"], FirstQueue: h["first"], Priority: int(n("prio")),
		EnqueuedAt: fromMS(n("enq")), AgentID: h["agent"], AnsweredAt: fromMS(n("answered")),
		EndedAt: fromMS(n("ended")), EndedBy: Party(h["ended_by"]), WrapUpDone: h["wrap_done"] != "",
		NotRecorded: h["norec"] == "1", Abandoned: h["state"] == "abandoned",
		OfferedTo: splitSkills(h["offered_to"]),
	}
	if p := h["pop"]; p != "" {
		out.ScreenPop = json.RawMessage(p)
	}
	switch {
	case !out.AnsweredAt.IsZero():
		out.Wait = out.AnsweredAt.Sub(out.EnqueuedAt)
	case !out.EndedAt.IsZero():
		out.Wait = out.EndedAt.Sub(out.EnqueuedAt)
	}
	if !out.AnsweredAt.IsZero() && !out.EndedAt.IsZero() {
		out.Talk = out.EndedAt.Sub(out.AnsweredAt)
	}
	if out.WrapUpDone {
		out.WrapUp = fromMS(n("wrap_done")).Sub(out.EndedAt)
	}
	for _, line := range strings.Split(h["escal"], "\n") {
		var e Escalation
		if line != "" && json.Unmarshal([]byte(line), &e) == nil {
			out.Escalations = append(out.Escalations, e)
		}
	}
	if d := h["dispo"]; d != "" {
		var disp Disposition
		if json.Unmarshal([]byte(d), &disp) == nil {
			out.Disposition = &disp
		}
	}
	return out, nil
}
