package acd

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
)

// UpsertAgent creates an agent (logged out) or updates its name, endpoint,
// skills, team, role and queues, keeping its state. An endpoint already
// another agent's is a conflict.
func (s *Service) UpsertAgent(ctx context.Context, a Agent) error {
	if a.Role == "" {
		a.Role = RoleAgent
	}
	if err := a.check(s.settings.Load()); err != nil {
		return err
	}
	skills := slices.Clone(a.Skills)
	slices.Sort(skills)
	queues := slices.Clone(a.Queues)
	slices.Sort(queues)
	r, err := s.run(ctx, upsertAgent, a.ID, a.Name, a.Endpoint, strings.Join(slices.Compact(skills), ","),
		a.Team, string(a.Role), strings.Join(slices.Compact(queues), ","), a.Box)
	if err != nil {
		return err
	}
	if str(r, 0) == "dup" {
		return fmt.Errorf("%w: endpoint %q is already agent %q's", ErrConflict, a.Endpoint, str(r, 1))
	}
	// An available agent may now serve other queues.
	s.dispatchAgent(ctx, a.ID)
	return nil
}

// RemoveAgent deletes an agent; it must be logged out (a *StateError
// otherwise). An agent declared in config comes back at the next start or
// reload.
func (s *Service) RemoveAgent(ctx context.Context, agentID string) error {
	r, err := s.run(ctx, removeAgent, agentID)
	if err != nil {
		return err
	}
	switch str(r, 0) {
	case "noagent":
		return &NotFoundError{Kind: "agent", ID: agentID}
	case "state":
		return &StateError{AgentID: agentID, Op: "be removed", State: State(str(r, 1))}
	}
	return nil
}

// Login makes a logged-out agent available (a *StateError when it is
// logged in already).
func (s *Service) Login(ctx context.Context, agentID string) error {
	return s.agentOp(ctx, agentID, "login", "")
}

// Logout logs an agent out; not while reserved or on a call (a
// *StateError). A wrap-up in progress ends.
func (s *Service) Logout(ctx context.Context, agentID string) error {
	return s.agentOp(ctx, agentID, "logout", "")
}

// Ready makes a paused or wrapping-up agent available (ending the wrap-up
// early); a *StateError while logged out, reserved or on a call.
func (s *Service) Ready(ctx context.Context, agentID string) error {
	return s.agentOp(ctx, agentID, "ready", "")
}

// Pause pauses an available, paused or wrapping-up agent with a reason
// (short text: "break", "training"); a *StateError while logged out,
// reserved or on a call.
func (s *Service) Pause(ctx context.Context, agentID, reason string) error {
	if err := checkReason(reason); err != nil {
		return err
	}
	return s.agentOp(ctx, agentID, "pause", reason)
}

// SetState is a team leader's or supervisor's change of another agent's
// state: available (logging in a logged-out agent), paused (with reason) or
// logged_out. by must be a team leader or supervisor (*ForbiddenError).
func (s *Service) SetState(ctx context.Context, by, agentID string, st State, reason string) error {
	role, err := s.rdb.HGet(ctx, s.k.agent(by), "role").Result()
	if err == redis.Nil {
		return &NotFoundError{Kind: "agent", ID: by}
	} else if err != nil {
		return err
	}
	if Role(role) != RoleTeamLeader && Role(role) != RoleSupervisor {
		return &ForbiddenError{AgentID: by, Op: "change another agent's state"}
	}
	switch st {
	case Available:
		cur, err := s.Agent(ctx, agentID)
		if err != nil {
			return err
		}
		if cur.State == LoggedOut {
			return s.Login(ctx, agentID)
		}
		return s.Ready(ctx, agentID)
	case Paused:
		return s.Pause(ctx, agentID, reason)
	case LoggedOut:
		return s.Logout(ctx, agentID)
	}
	return &ValidationError{Field: "state", Message: fmt.Sprintf("%q is not one of available, paused, logged_out", st)}
}

func checkReason(r string) error {
	if r == "" || len(r) > 64 {
		return &ValidationError{Field: "reason", Message: "must be 1-64 characters"}
	}
	for _, c := range r {
		if unicode.IsControl(c) {
			return &ValidationError{Field: "reason", Message: "must not contain control characters"}
		}
	}
	return nil
}

// agentOp runs one state change and its consequences.
func (s *Service) agentOp(ctx context.Context, agentID, op, reason string) error {
	start := time.Now()
	r, err := s.run(ctx, agentOp, agentID, op, reason)
	if err != nil {
		return err
	}
	switch str(r, 0) {
	case "noagent":
		return &NotFoundError{Kind: "agent", ID: agentID}
	case "state":
		return &StateError{AgentID: agentID, Op: op, State: State(str(r, 1)), CallID: str(r, 2)}
	}
	old := State(str(r, 1))
	to := map[string]State{"login": Available, "logout": LoggedOut, "ready": Available, "pause": Paused}[op]
	if old == WrapUp {
		s.wrapEnded(agentID, str(r, 2), str(r, 3), list(r, 5))
	}
	if old != to || op == "pause" {
		s.emit(Event{Type: EventState, AgentID: agentID, State: to, Reason: reason})
	}
	s.deliver(ctx, list(r, 4), start)
	return nil
}

// Agent is one agent's status.
func (s *Service) Agent(ctx context.Context, agentID string) (AgentStatus, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.agent(agentID)).Result()
	if err != nil {
		return AgentStatus{}, err
	}
	if len(h) == 0 {
		return AgentStatus{}, &NotFoundError{Kind: "agent", ID: agentID}
	}
	return agentStatus(agentID, h), nil
}

// Agents lists every agent of the pool with its status, by id.
func (s *Service) Agents(ctx context.Context) ([]AgentStatus, error) {
	ids, err := s.rdb.SMembers(ctx, s.k.agents()).Result()
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.k.agent(id))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]AgentStatus, 0, len(ids))
	for i, id := range ids {
		if h := cmds[i].Val(); len(h) > 0 {
			out = append(out, agentStatus(id, h))
		}
	}
	return out, nil
}

func agentStatus(id string, h map[string]string) AgentStatus {
	n := func(k string) int64 { v, _ := strconv.ParseInt(h[k], 10, 64); return v }
	st := AgentStatus{
		Agent: Agent{ID: id, Name: h["name"], Endpoint: h["endpoint"], Skills: splitSkills(h["skills"]),
			Team: h["team"], Role: Role(h["role"]), Queues: splitSkills(h["queues"]), Box: h["box"]},
		State: State(h["state"]), Since: fromMS(n("since")), Reason: h["reason"], CallID: h["call"],
		WrapUpEnd: fromMS(n("wrap_end")), Offline: h["offline"] == "1", IdleSince: fromMS(n("idle")),
		CallsTaken: int(n("calls")),
	}
	if st.State != WrapUp {
		st.WrapUpEnd = time.Time{}
	}
	return st
}

// Disposition records what the agent says about the call: during the call
// or its wrap-up, by the agent on it (a *CallStateError otherwise).
// Recording again replaces the previous disposition.
func (s *Service) Disposition(ctx context.Context, callID, agentID string, d Disposition) error {
	switch d.Category {
	case CategoryInformation, CategoryRequest, CategoryComplaint:
	default:
		return &ValidationError{Field: "category", Message: fmt.Sprintf("%q is not one of information, request, complaint", d.Category)}
	}
	if d.TicketID != "" && !validTicket(d.TicketID) {
		return &ValidationError{Field: "ticket_id", Message: fmt.Sprintf("%q is not a ticket id (1-64 letters, digits, '.', '_', '-', '/')", d.TicketID)}
	}
	d.AgentID, d.At = agentID, s.clock.Now().UTC()
	b, _ := json.Marshal(d)
	r, err := s.run(ctx, dispose, callID, agentID, string(b))
	if err != nil {
		return err
	}
	switch str(r, 0) {
	case "nocall":
		return &NotFoundError{Kind: "call", ID: callID}
	case "noagent":
		return &NotFoundError{Kind: "agent", ID: agentID}
	case "state":
		why := fmt.Sprintf("agent %s is %s", agentID, str(r, 1))
		if c := str(r, 2); c != "" && c != callID {
			why += " with call " + c
		}
		return &CallStateError{CallID: callID, Op: "record a disposition", Why: why + " (only during the call or its wrap-up)"}
	}
	return nil
}

func validTicket(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/", r)) {
			return false
		}
	}
	return true
}

// RequestHelp tells the leaders an agent asks for help on a call.
func (s *Service) RequestHelp(ctx context.Context, agentID, callID, note string) error {
	if len(note) > 500 {
		return &ValidationError{Field: "note", Message: "at most 500 characters"}
	}
	st, err := s.Agent(ctx, agentID)
	if err != nil {
		return err
	}
	if callID != "" && st.CallID != callID {
		return &CallStateError{CallID: callID, Op: "request help", Why: "agent " + agentID + " is not on this call"}
	}
	s.emit(Event{Type: EventHelp, AgentID: agentID, CallID: callID, State: st.State, Note: note})
	return nil
}

// EndpointState tells the acd an agent endpoint went offline or came back
// (presence): an offline agent is never offered a call, whatever its state;
// back online, an available agent takes the best waiting call.
func (s *Service) EndpointState(ctx context.Context, endpoint string, online bool) error {
	start := time.Now()
	flag := "0"
	if online {
		flag = "1"
	}
	r, err := s.run(ctx, presence, endpoint, flag)
	if err != nil {
		return err
	}
	if str(r, 0) == "noagent" {
		return &NotFoundError{Kind: "endpoint", ID: endpoint}
	}
	reason := "offline"
	if online {
		reason = "online"
	}
	s.emit(Event{Type: EventState, AgentID: str(r, 1), State: State(str(r, 2)), Reason: reason})
	s.deliver(ctx, list(r, 3), start)
	return nil
}
