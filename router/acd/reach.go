package acd

import "strings"

// Reach is the rule that keeps a call on the Asterisk it came from while
// the agents are one pool across boxes (ari.servers). The agent leg is
// always originated on the caller's box; an agent can be rung for a call
// on box X when
//
//   - the agent has no Box (its endpoint is registered on every box, or
//     there is one Asterisk): its Endpoint is dialled on X;
//   - the agent's Box is X: its Endpoint is dialled on X;
//   - X has a trunk (Trunks[X], e.g. "PJSIP/{resource}@trunk-to-b"): the
//     trunk is dialled on X with {resource} the part of the agent's
//     Endpoint after the technology ("agent1001" of PJSIP/agent1001) and
//     {endpoint} the whole Endpoint.
//
// Otherwise the agent is never offered X's calls (the reservation scripts
// check it with the call's CallEntry.Box, see CallBox).
type Reach struct {
	// Trunks maps a box name to its dial-string template towards the
	// agents registered on other boxes; a box without an entry reaches
	// only its own and the everywhere-registered agents.
	Trunks map[string]string
}

// CallBox is the CallEntry.Box of a call on box: the box itself, or ""
// (any agent) when box is "" (one Asterisk) or has a trunk.
func (r Reach) CallBox(box string) string {
	if box == "" || r.Trunks[box] != "" {
		return ""
	}
	return box
}

// Dial is the endpoint to originate on box for agent a; ok is false when a
// cannot be reached from box.
func (r Reach) Dial(box string, a OfferedAgent) (endpoint string, ok bool) {
	if box == "" || a.Box == "" || a.Box == box {
		return a.Endpoint, true
	}
	t := r.Trunks[box]
	if t == "" {
		return "", false
	}
	_, res, _ := strings.Cut(a.Endpoint, "/")
	return strings.NewReplacer("{resource}", res, "{endpoint}", a.Endpoint).Replace(t), true
}

// PresenceEndpoints lists the agent endpoints whose presence the
// controller of box follows: the agents registered on box and, on the
// first box (first), those registered everywhere (one box reports each
// endpoint, so two boxes never contradict each other).
func PresenceEndpoints(agents []Agent, box string, first bool) []string {
	var out []string
	for _, a := range agents {
		if a.Box == box || a.Box == "" && first {
			out = append(out, a.Endpoint)
		}
	}
	return out
}
