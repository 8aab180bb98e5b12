package acd

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
)

// FromConfig compiles the acd's settings from a validated config: every
// queue of routing.queues with acd.queue_defaults applied, the Team Leader
// queue, the repeat-caller rule and the configured agents.
func FromConfig(cfg *configs.Config) (*Settings, error) {
	st := &Settings{
		Queues:             make(map[string]QueueConfig, len(cfg.Routing.Queues)),
		TeamLeaderQueue:    cfg.ACD.TeamLeaderQueue,
		EscalationPriority: cfg.ACD.EscalationPriority,
		RepeatCalls:        cfg.ACD.RepeatCaller.Calls,
		RepeatWindow:       cfg.ACD.RepeatCaller.Window,
		LoginAtStart:       map[string]bool{},
	}
	for name := range cfg.Routing.Queues {
		q := cfg.QueueSettings(name)
		st.Queues[name] = QueueConfig{
			Name: name, Strategy: q.Strategy, ServiceLevel: q.ServiceLevel, MaxWait: q.MaxWait,
			Overflow: q.Overflow, WrapUp: q.WrapUp, RingTimeout: q.RingTimeout,
			AnnounceEvery: q.AnnounceEvery, Skills: slices.Clone(q.Skills),
		}
	}
	for _, a := range cfg.Agents {
		st.Agents = append(st.Agents, Agent{ID: a.ID, Name: a.Name, Endpoint: a.Endpoint,
			Skills: slices.Clone(a.Skills), Team: a.Team, Role: Role(a.Role), Queues: slices.Clone(a.Queues),
			Box: a.Box})
		if a.LoginAtStart {
			st.LoginAtStart[a.ID] = true
		}
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	return st, nil
}

// check verifies what the acd relies on (the config validation reports the
// same problems with file and key; this guards Settings built in code).
func (st *Settings) check() error {
	var problems []string
	for name, q := range st.Queues {
		if q.Strategy == "" {
			q.Strategy = DefaultStrategy
			st.Queues[name] = q
		}
		if _, ok := LookupSelector(q.Strategy); !ok {
			problems = append(problems, fmt.Sprintf("queue %q: unknown strategy %q (%s)", name, q.Strategy,
				strings.Join(SelectorNames(), ", ")))
		}
		if _, ok := st.Queues[q.Overflow]; q.Overflow != "" && !ok {
			problems = append(problems, fmt.Sprintf("queue %q: undefined overflow queue %q", name, q.Overflow))
		}
		if q.RingTimeout <= 0 {
			problems = append(problems, fmt.Sprintf("queue %q: ring timeout %s must be positive", name, q.RingTimeout))
		}
	}
	if _, ok := st.Queues[st.TeamLeaderQueue]; st.TeamLeaderQueue != "" && !ok {
		problems = append(problems, fmt.Sprintf("undefined team leader queue %q", st.TeamLeaderQueue))
	}
	if st.RepeatCalls > 0 && st.RepeatWindow <= 0 {
		st.RepeatWindow = 24 * time.Hour
	}
	for _, a := range st.Agents {
		if err := a.check(st); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("acd settings: %s", strings.Join(problems, "; "))
	}
	return nil
}

// check validates an agent (from config or the API) against the settings.
func (a Agent) check(st *Settings) error {
	switch {
	case !validID(a.ID):
		return &ValidationError{Field: "id", Message: fmt.Sprintf("%q is not an agent id (1-64 letters, digits, '.', '_' or '-')", a.ID)}
	case strings.TrimSpace(a.Name) == "":
		return &ValidationError{Field: "name", Message: "must not be empty"}
	case !validEndpoint(a.Endpoint):
		return &ValidationError{Field: "endpoint", Message: fmt.Sprintf("%q is not a channel endpoint like PJSIP/agent1001", a.Endpoint)}
	case a.Box != "" && !validID(a.Box):
		return &ValidationError{Field: "box", Message: fmt.Sprintf("%q is not a server name (letters, digits, '.', '_' or '-')", a.Box)}
	}
	switch a.Role {
	case RoleAgent, RoleTeamLeader, RoleSupervisor:
	default:
		return &ValidationError{Field: "role", Message: fmt.Sprintf("%q is not one of agent, team_leader, supervisor", a.Role)}
	}
	for _, q := range a.Queues {
		if _, ok := st.Queues[q]; !ok {
			return &ValidationError{Field: "queues", Message: fmt.Sprintf("agent %q: undefined queue %q", a.ID, q)}
		}
	}
	for _, s := range a.Skills {
		if s == "" || strings.ContainsAny(s, ", \t") {
			return &ValidationError{Field: "skills", Message: fmt.Sprintf("agent %q: %q is not a skill name", a.ID, s)}
		}
	}
	return nil
}

// validID is the id rule of agents and instances, the one of the config.
func validID(s string) bool { return configs.IsAgentID(s) }

func validEndpoint(s string) bool {
	tech, res, ok := strings.Cut(s, "/")
	return ok && tech != "" && res != "" && !strings.ContainsAny(s, " \t,&")
}

// callSkills is the set a call requires: the entry's and the queue's,
// sorted, without duplicates.
func callSkills(entry []string, q QueueConfig) []string {
	out := slices.Concat(entry, q.Skills)
	slices.Sort(out)
	return slices.Compact(out)
}

// escalatedSkills is what an escalated call still requires: its language
// (a leader handles any segment and product) and the target queue's skills.
func escalatedSkills(skills []string, to QueueConfig) []string {
	var keep []string
	for _, s := range skills {
		if strings.HasPrefix(s, "lang:") {
			keep = append(keep, s)
		}
	}
	return callSkills(keep, to)
}
