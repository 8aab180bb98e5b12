package configs

import (
	"fmt"
	"strings"
)

// MinAgentTokenLen is the shortest agent API token accepted.
const MinAgentTokenLen = 16

// AgentTokenEnv is the environment variable that sets an agent's token:
// TENESA_AGENT_<ID>_TOKEN, the id upper-cased with every character other
// than a letter or digit as '_'.
func AgentTokenEnv(id string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(id) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return EnvPrefix + "_AGENT_" + b.String() + "_TOKEN"
}

// agentTokensFromEnv lets TENESA_AGENT_<ID>_TOKEN set or override each
// configured agent's token (a list entry has no TENESA_<KEY> of its own).
func (c *Config) agentTokensFromEnv(lookupEnv func(string) (string, bool)) {
	for i := range c.Agents {
		if tok, ok := lookupEnv(AgentTokenEnv(c.Agents[i].ID)); ok {
			c.Agents[i].Token = tok
			c.Agents[i].tokenFromEnv = true
		}
	}
}

// AgentTokens maps every agent with a token to it, for the agent API.
func (c *Config) AgentTokens() map[string]string {
	out := map[string]string{}
	for _, a := range c.Agents {
		if a.Token != "" {
			out[a.ID] = a.Token
		}
	}
	return out
}

// validateAgentAPI checks agentapi and the agents' tokens. A token's value
// is never shown: problems name the key and the environment variable.
func (c *Config) validateAgentAPI(v *validator) {
	if c.AgentAPI.Listen != "" {
		v.hostPort("agentapi.listen", c.AgentAPI.Listen)
		v.check(c.AgentAPI.Listen != c.Metrics.Listen, "agentapi.listen",
			fmt.Sprintf("%q is also metrics.listen", c.AgentAPI.Listen))
	}
	v.positive("agentapi.keepalive", c.AgentAPI.KeepAlive)
	envs := map[string]int{}
	tokens := map[string]int{}
	for i, ag := range c.Agents {
		key := fmt.Sprintf("agents[%d].token", i)
		env := AgentTokenEnv(ag.ID)
		if j, dup := envs[env]; dup && c.Agents[j].ID != ag.ID { // the same id is reported as such
			v.add(key, "agents[%d] and this agent share the variable %s (ids differing only in case or punctuation)", j, env)
		}
		envs[env] = i
		if ag.Token == "" {
			continue
		}
		where := key
		if ag.tokenFromEnv {
			where = key + " (from " + env + ")"
		}
		if len(ag.Token) < MinAgentTokenLen || strings.ContainsAny(ag.Token, " \t\r\n") {
			v.add(key, "%s must be at least %d characters without blanks (value not shown)", where, MinAgentTokenLen)
			continue
		}
		if j, dup := tokens[ag.Token]; dup {
			v.add(key, "%s is the same as agents[%d].token (value not shown)", where, j)
		}
		tokens[ag.Token] = i
	}
}
