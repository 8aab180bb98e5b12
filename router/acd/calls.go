package acd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// Enqueue puts a call in its queue and returns the Waiter through which the
// owning goroutine hears offers and moves; the call is offered at once when
// an agent can take it. By the repeat-caller rule, a service calling about
// an open complaint for the Nth time in the window goes to the Team Leader
// queue with the escalation priority instead. A call already known (adopted
// by this controller after a restart or from a dead one) keeps its queue and
// place, and is owned by this controller from now on; a call already talking
// to an agent is a *CallStateError.
func (s *Service) Enqueue(ctx context.Context, e CallEntry) (*Waiter, error) {
	st := s.settings.Load()
	if !validCallID(e.CallID) {
		return nil, &ValidationError{Field: "call_id", Message: fmt.Sprintf("%q is not a call id", e.CallID)}
	}
	q, ok := st.Queues[e.Queue]
	if !ok {
		return nil, &NotFoundError{Kind: "queue", ID: e.Queue}
	}
	for _, sk := range e.Skills {
		if sk == "" || strings.ContainsAny(sk, ", \t") {
			return nil, &ValidationError{Field: "skills", Message: fmt.Sprintf("%q is not a skill name", sk)}
		}
	}
	if e.ScreenPop != nil && !json.Valid(e.ScreenPop) {
		return nil, &ValidationError{Field: "screen_pop", Message: "not valid JSON"}
	}
	now := s.clock.Now()
	enq := e.EnqueuedAt
	if enq.IsZero() {
		enq = now
	}
	queue, prio, skills := e.Queue, e.Priority, callSkills(e.Skills, q)
	var esc *Escalation
	if tl := st.TeamLeaderQueue; tl != "" && tl != e.Queue && st.RepeatCalls > 0 && e.OpenComplaint && e.ServiceID != "" {
		n, err := s.run(ctx, repeatCount, s.k.repeat(e.ServiceID), e.CallID, st.RepeatWindow.Milliseconds())
		if err != nil { // the call still queues; the rule is skipped
			s.log.Warn().Err(err).Str("call_id", e.CallID).Msg("acd: repeat-caller count failed")
		}
		if err == nil && RepeatCaller(int(num(n, 0)), e.OpenComplaint, st.RepeatCalls) {
			esc = &Escalation{From: e.Queue, To: tl, Reason: EscalationRepeatCaller, At: now.UTC()}
			queue, prio = tl, st.EscalationPriority
			q = st.Queues[tl]
			skills = escalatedSkills(skills, q)
		}
	}
	var maxWaitAt int64
	if q.MaxWait > 0 && q.Overflow != "" {
		maxWaitAt = ms(enq.Add(q.MaxWait))
	}
	escJSON := ""
	if esc != nil {
		b, _ := json.Marshal(esc)
		escJSON = string(b)
	}
	// Registered before the script: the waiter holds what arrives for the
	// call until the reply says where its notice numbering stands.
	w := s.register(e.CallID)
	args := []any{e.CallID, queue, prio, score(prio, enq), strings.Join(skills, ","), s.instance,
		ms(enq), q.RingTimeout.Milliseconds(), q.WrapUp.Milliseconds(), maxWaitAt, string(e.ScreenPop),
		e.ServiceID, escJSON, e.Queue, e.Box}
	r, err := s.run(ctx, enqueue, args...)
	if err == nil && (str(r, 0) == "new" || str(r, 0) == "adopted") {
		w.entry.Store(&args) // the call is in Redis: requeueLost may look for it from now on
		seq := num(r, 3)
		if str(r, 0) == "new" && esc != nil { // a repeat caller's move comes before its first offer
			w.start(seq - 1)
			w.accept(Notice{Kind: NoticeMoved, CallID: e.CallID, Move: esc, Seq: seq})
		} else {
			w.start(seq)
		}
	}
	if err != nil {
		w.Close()
		return nil, err
	}
	switch str(r, 0) {
	case "connected":
		w.Close()
		return nil, &CallStateError{CallID: e.CallID, Op: "enqueue", Why: "already talking to agent " + str(r, 2)}
	case "adopted":
		s.log.Info().Str("call_id", e.CallID).Str("queue", str(r, 1)).Msg("acd: call adopted, keeps its place")
		s.released(ctx, e.CallID, strs(r, 2))
	case "new":
		s.metrics.QueueEntered(str(r, 1))
		if esc != nil {
			s.metrics.Escalation(metrics.EscalationReason(esc.Reason))
			s.log.Info().Str("call_id", e.CallID).Str("queue", queue).Str("from", e.Queue).
				Str("reason", string(esc.Reason)).Msg("acd: repeat caller to the team leader queue")
			s.emit(Event{Type: EventEscalation, CallID: e.CallID, Queue: queue, Escalation: esc, ScreenPop: e.ScreenPop})
		}
	}
	s.poke() // the max-wait timer
	s.dispatchCall(ctx, e.CallID)
	return w, nil
}

// RepeatCaller is the repeat-caller rule: a caller about an open complaint
// whose service called calls times (this call included) within the window
// goes to the Team Leader queue once calls reaches threshold (threshold 0:
// the rule is off).
func RepeatCaller(calls int, openComplaint bool, threshold int) bool {
	return threshold > 0 && openComplaint && calls >= threshold
}

// Answered: agentID answered the offer for callID; the agent is on the
// call, the other agents of a ring_all offer are released.
func (s *Service) Answered(ctx context.Context, callID, agentID string) error {
	r, err := s.run(ctx, answered, callID, agentID)
	if err != nil {
		return err
	}
	if err := reportRefused(r, callID, agentID, "answer"); err != nil {
		return err
	}
	s.noteDayCall(ctx, agentID, callID) // the agent's calls of the day (desk.go)
	var pop json.RawMessage
	if p := str(r, 4); p != "" {
		pop = json.RawMessage(p)
	}
	s.metrics.QueueAnswered(str(r, 1), time.Duration(num(r, 5))*time.Millisecond)
	s.emit(Event{Type: EventState, AgentID: agentID, CallID: callID, Queue: str(r, 1), State: OnCall})
	s.emit(Event{Type: EventConnected, AgentID: agentID, CallID: callID, Queue: str(r, 1), ScreenPop: pop})
	s.released(ctx, callID, strs(r, 3))
	return nil
}

// NoAnswer: agentID let the offer ring out (or its leg failed): the agent
// is paused no_answer, and the call, keeping its place, is offered again at
// once (or overflows, when it waited past its queue's maximum meanwhile).
func (s *Service) NoAnswer(ctx context.Context, callID, agentID string) error {
	r, err := s.run(ctx, noAnswer, callID, agentID)
	if err != nil {
		return err
	}
	if err := reportRefused(r, callID, agentID, "report no answer"); err != nil {
		return err
	}
	s.log.Info().Str("call_id", callID).Str("agent_id", agentID).Msg("acd: agent did not answer: paused no_answer")
	s.emit(Event{Type: EventOfferEnd, AgentID: agentID, CallID: callID, Reason: ReasonNoAnswer})
	s.emit(Event{Type: EventState, AgentID: agentID, State: Paused, Reason: ReasonNoAnswer})
	if str(r, 0) != "requeued" {
		return nil
	}
	if str(r, 2) == "1" {
		s.overflow(ctx, callID, "maxwait|"+callID)
		return nil
	}
	s.dispatchCall(ctx, callID)
	return nil
}

// Ended: the call with its agent ended (who hung up); the agent wraps up
// for its queue's wrap-up time, then becomes available. Ending a call twice
// is not an error.
func (s *Service) Ended(ctx context.Context, callID string, who Party) error {
	switch who {
	case PartyCaller, PartyAgent, PartySystem:
	default:
		return &ValidationError{Field: "who", Message: fmt.Sprintf("%q is not caller, agent or system", who)}
	}
	r, err := s.run(ctx, ended, callID, string(who))
	if err != nil {
		return err
	}
	switch str(r, 0) {
	case "nocall":
		return &NotFoundError{Kind: "call", ID: callID}
	case "state":
		return &CallStateError{CallID: callID, Op: "end", Why: "call is " + str(r, 1) + " (use Abandoned before an agent answered)"}
	case "already":
		return nil
	}
	agent := str(r, 1)
	s.metrics.Talk(str(r, 2), time.Duration(num(r, 4))*time.Millisecond)
	s.emit(Event{Type: EventCallEnded, AgentID: agent, CallID: callID, Queue: str(r, 2), Reason: string(who)})
	s.emit(Event{Type: EventState, AgentID: agent, CallID: callID, State: WrapUp})
	s.poke() // the wrap-up timer
	return nil
}

// Abandoned: the caller left before talking to an agent, waiting or while
// agents rang; they are released. Reporting it twice is not an error.
func (s *Service) Abandoned(ctx context.Context, callID string) error {
	r, err := s.run(ctx, abandoned, callID)
	if err != nil {
		return err
	}
	switch str(r, 0) {
	case "nocall":
		return &NotFoundError{Kind: "call", ID: callID}
	case "state":
		return &CallStateError{CallID: callID, Op: "abandon", Why: "call is connected (use Ended)"}
	case "already":
		return nil
	}
	s.metrics.QueueAbandoned(str(r, 1), time.Duration(num(r, 4))*time.Millisecond)
	s.log.Info().Str("call_id", callID).Str("queue", str(r, 1)).
		Dur("wait", time.Duration(num(r, 3))*time.Millisecond).Msg("acd: caller abandoned in queue")
	s.released(ctx, callID, strs(r, 2))
	return nil
}

// Escalate moves a call to the Team Leader queue with the escalation
// priority, keeping its screen-pop and its place in time. by is the agent
// talking to the caller: it goes to wrap-up, and the call's owner gets a
// NoticeMoved (hang up that agent's leg, music on hold, wait for the next
// offer). reason is EscalationAgent for the API.
func (s *Service) Escalate(ctx context.Context, callID, by string, reason EscalationReason) error {
	st := s.settings.Load()
	if st.TeamLeaderQueue == "" {
		return &CallStateError{CallID: callID, Op: "escalate", Why: "no team leader queue is configured"}
	}
	if !knownReason(reason) {
		return &ValidationError{Field: "reason", Message: fmt.Sprintf("%q is not an escalation reason", reason)}
	}
	if by == "" {
		return &ValidationError{Field: "agent_id", Message: "the escalating agent is required"}
	}
	cur, err := s.rdb.HMGet(ctx, s.k.call(callID), "queue", "skills").Result()
	if err != nil {
		return err
	}
	from, ok := cur[0].(string)
	if !ok {
		return &NotFoundError{Kind: "call", ID: callID}
	}
	if from == st.TeamLeaderQueue {
		return &CallStateError{CallID: callID, Op: "escalate", Why: "the call is already in the team leader queue"}
	}
	skills, _ := cur[1].(string)
	return s.moveCall(ctx, callID, "", from, st.TeamLeaderQueue, splitSkills(skills), reason, by)
}

func knownReason(r EscalationReason) bool {
	for _, x := range EscalationReasons {
		if x == r {
			return true
		}
	}
	return false
}

func orGone(s string) string {
	if s == "" {
		return "gone"
	}
	return s
}

// validCallID accepts ARI channel ids and other plain tokens: no blank,
// no separator the acd's Redis layout uses.
func validCallID(s string) bool {
	return s != "" && len(s) <= 128 && !strings.ContainsAny(s, " \t\r\n,|{}")
}

// reportRefused is the error of an agent's report (answered, no answer)
// the script refused: the call is gone, or the call or the agent is not in
// the state the report needs; nil when the script accepted it.
func reportRefused(r []any, callID, agentID, op string) error {
	switch str(r, 0) {
	case "nocall":
		return &NotFoundError{Kind: "call", ID: callID}
	case "state":
		return &CallStateError{CallID: callID, Op: op,
			Why: fmt.Sprintf("call is %s, agent %s is %s", orGone(str(r, 1)), agentID, orGone(str(r, 2)))}
	}
	return nil
}
