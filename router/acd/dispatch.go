package acd

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redisha"
)

// run runs one script of the pool at the clock's now.
func (s *Service) run(ctx context.Context, sc *redis.Script, args ...any) ([]any, error) {
	argv := make([]any, 0, 2+len(args))
	argv = append(argv, s.k.base, ms(s.clock.Now()))
	argv = append(argv, args...)
	var r []any
	err := redisha.Retry(ctx, s.failover, func() error {
		var err error
		r, err = sc.Run(ctx, s.rdb, []string{s.k.agents(), s.k.lease(s.instance)}, argv...).Slice()
		return err
	})
	return r, err
}

// reply helpers: script replies are arrays of strings, integers and arrays.
func str(r []any, i int) string {
	if i >= len(r) {
		return ""
	}
	switch v := r[i].(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

func num(r []any, i int) int64 {
	n, _ := strconv.ParseInt(str(r, i), 10, 64)
	return n
}

func list(r []any, i int) []any {
	if i >= len(r) {
		return nil
	}
	l, _ := r[i].([]any)
	return l
}

func strs(r []any, i int) []string {
	l := list(r, i)
	out := make([]string, 0, len(l))
	for j := range l {
		out = append(out, str(l, j))
	}
	return out
}

// offerFrom decodes a script's offer ({cid, owner, queue, ring ms, pop,
// published, seq, id, name, endpoint, box, ...}); ok is false for {}.
// published: the script already sent the notice to the owner (another
// controller); seq: the notice's number.
func offerFrom(r []any) (o Offer, owner string, pop json.RawMessage, published bool, seq int64, ok bool) {
	if len(r) < 7 {
		return Offer{}, "", nil, false, 0, false
	}
	o = Offer{CallID: str(r, 0), Queue: str(r, 2), RingTimeout: time.Duration(num(r, 3)) * time.Millisecond}
	for i := 7; i+3 < len(r); i += 4 {
		o.Agents = append(o.Agents, OfferedAgent{ID: str(r, i), Name: str(r, i+1), Endpoint: str(r, i+2), Box: str(r, i+3)})
	}
	if p := str(r, 4); p != "" {
		pop = json.RawMessage(p)
	}
	return o, str(r, 1), pop, str(r, 5) == "1", num(r, 6), true
}

// deliver hands a reserved offer to the call's owner (unless the script
// published it already) and tells the agents.
func (s *Service) deliver(ctx context.Context, reply []any, start time.Time) {
	o, owner, pop, published, seq, ok := offerFrom(reply)
	if !ok {
		return
	}
	if !published {
		if err := s.send(ctx, owner, Notice{Kind: NoticeOffer, CallID: o.CallID, Offer: &o, Seq: seq}); err != nil {
			// The offer timer takes the reservation back if it never arrives.
			s.log.Warn().Err(err).Str("call_id", o.CallID).Msg("acd: offer not delivered")
		}
	}
	s.metrics.Dispatched(time.Since(start))
	s.poke() // the offer timer
	for _, a := range o.Agents {
		s.emit(Event{Type: EventState, AgentID: a.ID, CallID: o.CallID, Queue: o.Queue, State: Reserved})
		s.emit(Event{Type: EventOffer, AgentID: a.ID, CallID: o.CallID, Queue: o.Queue, ScreenPop: pop})
	}
}

// dispatchCall offers a waiting call to the best available agents of its
// queue, as its strategy orders them. The reservation (offerCall) checks
// again that each agent is still free: the first that is gets it (ring_all:
// all that are), so a race with another controller costs nothing but the
// next candidate.
func (s *Service) dispatchCall(ctx context.Context, callID string) {
	start := time.Now()
	for range 3 {
		r, err := s.run(ctx, candidates, callID)
		if err != nil {
			s.log.Warn().Err(err).Str("call_id", callID).Msg("acd: dispatch failed")
			return
		}
		if str(r, 0) != "waiting" || len(r) < 6 {
			return
		}
		queue, last := str(r, 1), str(r, 2)
		cands := make([]Candidate, 0, (len(r)-3)/3)
		for i := 3; i+2 < len(r); i += 3 {
			cands = append(cands, Candidate{ID: str(r, i), IdleSince: fromMS(num(r, i+1)), CallsTaken: int(num(r, i+2))})
		}
		sel := s.selector(queue)
		ordered := sel.Select(QueueView{Name: queue, LastOffered: last}, cands)
		mode := "first"
		if ra, ok := sel.(RingsAll); ok && ra.RingsAll() {
			mode = "all"
		}
		args := make([]any, 0, 2+len(ordered))
		args = append(args, callID, mode)
		for _, c := range ordered {
			args = append(args, c.ID)
		}
		offer, err := s.run(ctx, offerCall, args...)
		if err != nil {
			s.log.Warn().Err(err).Str("call_id", callID).Msg("acd: reservation failed")
			return
		}
		if len(offer) > 0 {
			s.deliver(ctx, offer, start)
			return
		}
	}
}

func (s *Service) selector(queue string) Selector {
	if q, ok := s.settings.Load().Queues[queue]; ok {
		if sel, ok := LookupSelector(q.Strategy); ok {
			return sel
		}
	}
	return LongestIdle{}
}

// dispatchAgent gives an available agent the best waiting call it can take.
func (s *Service) dispatchAgent(ctx context.Context, agentID string) {
	start := time.Now()
	r, err := s.run(ctx, takeAgent, agentID)
	if err != nil {
		s.log.Warn().Err(err).Str("agent_id", agentID).Msg("acd: dispatch failed")
		return
	}
	s.deliver(ctx, r, start)
}

// released tells agents whose reservation ended without a call, and lets
// them take another.
func (s *Service) released(ctx context.Context, callID string, agents []string) {
	for _, id := range agents {
		s.emit(Event{Type: EventOfferEnd, AgentID: id, CallID: callID})
		s.emit(Event{Type: EventState, AgentID: id, State: Available})
	}
	for _, id := range agents {
		s.dispatchAgent(ctx, id)
	}
}

// ---- timers ----

// runTimers fires the pool's timers (wrap-up ends, max waits, offers that
// were never answered for) when they are due on the clock, whichever
// controller set them: the firing script removes the timer first, so one
// controller fires each. Deadlines live in Redis: after a restart they are
// found and fired (at once when past).
func (s *Service) runTimers(ctx context.Context) {
	nextSweep := s.clock.Now().Add(s.sweep)
	for ctx.Err() == nil {
		next, err := s.fireDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("acd: timers")
		}
		now := s.clock.Now()
		if !now.Before(nextSweep) {
			s.sweepOnce(ctx)
			nextSweep = now.Add(s.sweep)
		}
		at := nextSweep
		if !next.IsZero() && next.Before(at) {
			at = next
		}
		c, stop := s.clock.At(at)
		select {
		case <-ctx.Done():
		case <-c:
		case <-s.wake:
		}
		stop()
	}
}

// fireDue fires every due timer and returns the next deadline (zero: none).
func (s *Service) fireDue(ctx context.Context) (time.Time, error) {
	for {
		now := ms(s.clock.Now())
		due, err := s.rdb.ZRangeByScore(ctx, s.k.timers(), &redis.ZRangeBy{
			Min: "-inf", Max: strconv.FormatInt(now, 10), Count: 100}).Result()
		if err != nil {
			return time.Time{}, err
		}
		for _, m := range due {
			kind, id, _ := strings.Cut(m, "|")
			switch kind {
			case "wrap":
				s.wrapDue(ctx, id)
			case "maxwait":
				s.overflow(ctx, id, m)
			case "offer":
				s.offerDue(ctx, id)
			default:
				s.rdb.ZRem(ctx, s.k.timers(), m)
			}
		}
		if len(due) < 100 {
			break
		}
	}
	next, err := s.rdb.ZRangeWithScores(ctx, s.k.timers(), 0, 0).Result()
	if err != nil || len(next) == 0 {
		return time.Time{}, err
	}
	return fromMS(int64(next[0].Score)), nil
}

func (s *Service) wrapDue(ctx context.Context, agentID string) {
	start := time.Now()
	r, err := s.run(ctx, wrapDue, agentID)
	if err != nil {
		s.log.Warn().Err(err).Str("agent_id", agentID).Msg("acd: wrap-up end failed")
		return
	}
	if str(r, 0) != "ok" {
		return
	}
	s.wrapEnded(agentID, str(r, 1), str(r, 2), list(r, 4))
	s.emit(Event{Type: EventState, AgentID: agentID, State: Available})
	s.deliver(ctx, list(r, 3), start)
}

// wrapEnded reports the end of an agent's wrap-up; missing names the queue
// of a call left with no disposition; figures is end_wrap's (scripts.go).
func (s *Service) wrapEnded(agentID, callID, missing string, figures []any) {
	s.countWrapUp(figures)
	s.emit(Event{Type: EventWrapUpEnd, AgentID: agentID, CallID: callID})
	if missing != "" {
		s.log.Info().Str("call_id", callID).Str("agent_id", agentID).Str("queue", missing).
			Msg("acd: wrap-up ended with no disposition (needs not recorded)")
	}
}

func (s *Service) offerDue(ctx context.Context, callID string) {
	// The withdrawal notice is numbered by the script, before anyone can
	// offer the call again: the waiter delivers it before that offer.
	r, err := s.run(ctx, offerDue, callID)
	if err != nil || str(r, 0) != "ok" {
		if err != nil {
			s.log.Warn().Err(err).Str("call_id", callID).Msg("acd: offer expiry failed")
		}
		return
	}
	agents := strs(r, 3)
	if str(r, 2) == s.instance {
		s.local(Notice{Kind: NoticeWithdrawn, CallID: callID, Agents: agents, Seq: num(r, 5)})
	}
	s.log.Warn().Str("call_id", callID).Strs("agents", agents).
		Msg("acd: offer never answered for by the call's owner: agents released, call waits again")
	s.released(ctx, callID, agents)
	if str(r, 4) == "1" {
		s.overflow(ctx, callID, "maxwait|"+callID)
		return
	}
	s.dispatchCall(ctx, callID)
}

// overflow moves a waiting call past its queue's maximum wait to the
// queue's overflow target; guard is the max-wait timer to claim (whoever
// claims it moves the call).
// It reports whether the call moved.
func (s *Service) overflow(ctx context.Context, callID, guard string) bool {
	st := s.settings.Load()
	cur, err := s.rdb.HMGet(ctx, s.k.call(callID), "queue", "skills").Result()
	if err != nil {
		s.log.Warn().Err(err).Str("call_id", callID).Msg("acd: overflow failed")
		return false
	}
	from, _ := cur[0].(string)
	skills, _ := cur[1].(string)
	q, ok := st.Queues[from]
	if !ok || q.Overflow == "" {
		// No overflow (any more): the call stays, back in its queue if a
		// no-answer took it out for the overflow.
		if n, err := s.rdb.ZRem(ctx, s.k.timers(), guard).Result(); err == nil && n == 1 {
			if _, err := s.run(ctx, requeue, callID); err != nil {
				s.log.Warn().Err(err).Str("call_id", callID).Msg("acd: requeue failed")
			}
			s.dispatchCall(ctx, callID)
		}
		return false
	}
	if err := s.moveCall(ctx, callID, guard, from, q.Overflow, splitSkills(skills), EscalationMaxWait, ""); err != nil {
		s.log.Debug().Err(err).Str("call_id", callID).Msg("acd: no overflow")
		return false
	}
	return true
}

// moveCall moves a call from one queue to another with the escalation
// priority, keeping its place in time; by is the agent who escalates a
// call it talks to ("" for a waiting call).
func (s *Service) moveCall(ctx context.Context, callID, guard, from, to string, skills []string,
	reason EscalationReason, by string) error {
	st := s.settings.Load()
	target := st.Queues[to]
	enq, err := s.rdb.HGet(ctx, s.k.call(callID), "enq").Int64()
	if err != nil {
		if err == redis.Nil {
			return &NotFoundError{Kind: "call", ID: callID}
		}
		return err
	}
	now := s.clock.Now()
	var maxWaitAt int64
	if target.MaxWait > 0 && target.Overflow != "" {
		maxWaitAt = ms(now.Add(target.MaxWait))
	}
	esc := Escalation{From: from, To: to, Reason: reason, By: by, At: now.UTC()}
	escJSON, _ := json.Marshal(esc)
	// The move notice is numbered by the script, before anyone can offer
	// the call in its new queue: the waiter delivers it before that offer.
	r, err := s.run(ctx, move, callID, guard, from, to, st.EscalationPriority,
		score(st.EscalationPriority, fromMS(enq)), target.RingTimeout.Milliseconds(), target.WrapUp.Milliseconds(),
		maxWaitAt, string(escJSON), strings.Join(escalatedSkills(skills, target), ","), by)
	if err == nil && str(r, 0) == "ok" {
		s.countMove(from, to, reason, r) // before the owner hears of the move
		if str(r, 3) == s.instance {
			s.local(Notice{Kind: NoticeMoved, CallID: callID, Move: &esc, Seq: num(r, 6)})
		}
	}
	if err != nil {
		return err
	}
	switch str(r, 0) {
	case "ok":
	case "nocall":
		return &NotFoundError{Kind: "call", ID: callID}
	case "notyours":
		return &CallStateError{CallID: callID, Op: "escalate", Why: "agent " + by + " is not on this call"}
	case "state":
		return &CallStateError{CallID: callID, Op: "escalate", Why: "call is " + str(r, 1)}
	default:
		return &CallStateError{CallID: callID, Op: "escalate", Why: "already moved"}
	}
	s.log.Info().Str("call_id", callID).Str("queue", to).Str("from", from).Str("reason", string(reason)).
		Msg("acd: call moved")
	ev := Event{Type: EventEscalation, AgentID: by, CallID: callID, Queue: to, Escalation: &esc}
	if p := str(r, 4); p != "" {
		ev.ScreenPop = json.RawMessage(p)
	}
	s.emit(ev)
	if wrapped := str(r, 2); wrapped != "" {
		s.emit(Event{Type: EventCallEnded, AgentID: wrapped, CallID: callID, Reason: "escalated"})
		s.emit(Event{Type: EventState, AgentID: wrapped, CallID: callID, State: WrapUp})
	}
	s.poke()
	s.dispatchCall(ctx, callID)
	return nil
}

func splitSkills(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// sweepOnce is the safety net of the dispatcher: every available agent of
// a queue with waiting calls tries to take one (a controller that died
// between a state change and its dispatch leaves such a pair), and one
// controller per period publishes the queue figures to the leaders.
func (s *Service) sweepOnce(ctx context.Context) {
	s.requeueLost(ctx)
	st := s.settings.Load()
	names := make([]string, 0, len(st.Queues))
	for n := range st.Queues {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, q := range names {
		n, err := s.rdb.ZCard(ctx, s.k.waiting(q)).Result()
		if err != nil || n == 0 {
			continue
		}
		ids, err := s.rdb.SMembers(ctx, s.k.base+"q:"+q+":avail").Result()
		if err != nil {
			continue
		}
		for _, id := range ids {
			s.dispatchAgent(ctx, id)
		}
	}
	ok, err := s.rdb.SetNX(ctx, s.k.base+"figures", s.instance, s.sweep).Result()
	if err != nil || !ok {
		return
	}
	if qs, err := s.Queues(ctx); err == nil {
		s.emit(Event{Type: EventQueues, Queues: qs})
	}
}
