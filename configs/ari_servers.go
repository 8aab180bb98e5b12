package configs

import (
	"fmt"
	"slices"
	"strings"
)

// ARIServer is one Asterisk of ari.servers. Every call stays on the box it
// came from: the agent leg is originated there, so an agent must be
// reachable from it (agents[].box, agent_trunk).
type ARIServer struct {
	// Name identifies the box in logs, handling records, agents[].box and
	// TENESA_ARI_SERVER_<NAME>_PASSWORD (letters, digits, '.', '_' or '-').
	Name string `mapstructure:"name"`
	// URL is the box's ARI base address (http://host:8088/ari).
	URL string `mapstructure:"url"`
	// WebsocketURL is its events WebSocket; empty: derived from URL.
	WebsocketURL string `mapstructure:"websocket_url"`
	// Username is its ARI user; empty: ari.username.
	Username string `mapstructure:"username"`
	// Password: set it with TENESA_ARI_SERVER_<NAME>_PASSWORD; empty:
	// ari.password. Never logged.
	Password string `mapstructure:"password"`
	// AgentTrunk is how this box dials an agent registered on another box
	// (agents[].box): a dial string with {resource} (agent1001 of
	// PJSIP/agent1001) or {endpoint}, e.g. PJSIP/{resource}@trunk-to-b.
	// Empty: this box's calls are offered only to agents registered on it
	// or on every box.
	AgentTrunk string `mapstructure:"agent_trunk"`

	// passwordFromEnv: Password came from the environment (for messages).
	passwordFromEnv bool
}

// ServerPasswordEnv is the environment variable that sets the password of
// the ari.servers entry name: TENESA_ARI_SERVER_<NAME>_PASSWORD, the name
// upper-cased with every character other than a letter or digit as '_'.
func ServerPasswordEnv(name string) string {
	return EnvPrefix + "_ARI_SERVER_" + envWord(name) + "_PASSWORD"
}

func envWord(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// serverPasswordsFromEnv lets TENESA_ARI_SERVER_<NAME>_PASSWORD set each
// server's password (a list entry has no TENESA_<KEY> of its own).
func (c *Config) serverPasswordsFromEnv(lookupEnv func(string) (string, bool)) {
	for i := range c.ARI.Servers {
		if pw, ok := lookupEnv(ServerPasswordEnv(c.ARI.Servers[i].Name)); ok {
			c.ARI.Servers[i].Password = pw
			c.ARI.Servers[i].passwordFromEnv = true
		}
	}
}

// ARIServers is the list of Asterisks this controller serves, credentials
// and WebSocket address filled in: ari.servers, or the one box of ari.url
// (named "" so that single-box records and calls look as before).
func (c *Config) ARIServers() []ARIServer {
	if len(c.ARI.Servers) == 0 {
		return []ARIServer{{URL: c.ARI.URL, WebsocketURL: c.ARI.WebsocketURL,
			Username: c.ARI.Username, Password: c.ARI.Password}}
	}
	out := make([]ARIServer, len(c.ARI.Servers))
	for i, s := range c.ARI.Servers {
		if s.Username == "" {
			s.Username = c.ARI.Username
		}
		if s.Password == "" {
			s.Password = c.ARI.Password
		}
		out[i] = s
	}
	return out
}

// AgentTrunks maps each server with an agent_trunk to it.
func (c *Config) AgentTrunks() map[string]string {
	out := map[string]string{}
	for _, s := range c.ARI.Servers {
		if s.AgentTrunk != "" {
			out[s.Name] = s.AgentTrunk
		}
	}
	return out
}

// validateServers checks ari.servers and agents[].box. A password is never
// shown.
func (c *Config) validateServers(v *validator) {
	names := map[string]int{}
	envs := map[string]int{}
	for i, s := range c.ARI.Servers {
		key := fmt.Sprintf("ari.servers[%d]", i)
		switch {
		case !IsAgentID(s.Name):
			v.add(key+".name", "%q is not a server name (1-64 letters, digits, '.', '_' or '-')", s.Name)
		default:
			if j, dup := names[s.Name]; dup {
				v.add(key+".name", "%q is already ari.servers[%d]", s.Name, j)
			} else if j, dup := envs[ServerPasswordEnv(s.Name)]; dup {
				v.add(key+".name", "%q and ari.servers[%d] share the variable %s (names differing only in case or punctuation)",
					s.Name, j, ServerPasswordEnv(s.Name))
			}
			names[s.Name], envs[ServerPasswordEnv(s.Name)] = i, i
		}
		v.url(key+".url", s.URL, "http", "https")
		if s.WebsocketURL != "" {
			v.url(key+".websocket_url", s.WebsocketURL, "ws", "wss")
		}
		v.check(s.Username != "" || c.ARI.Username != "", key+".username", "must not be empty (nor ari.username)")
		if s.AgentTrunk != "" {
			if err := CheckAgentTrunk(s.AgentTrunk); err != nil {
				v.add(key+".agent_trunk", "%s", err.Error())
			}
		}
	}
	for i, ag := range c.Agents {
		if ag.Box == "" {
			continue
		}
		key := fmt.Sprintf("agents[%d].box", i)
		if len(c.ARI.Servers) == 0 {
			v.add(key, "%q: there is one Asterisk (ari.url); a box names an ari.servers entry", ag.Box)
		} else if _, ok := names[ag.Box]; !ok {
			v.add(key, "undefined server %q (ari.servers names: %s)", ag.Box, strings.Join(serverNames(c.ARI.Servers), ", "))
		}
	}
}

// serverNames lists the servers' names, sorted, each once.
func serverNames(ss []ARIServer) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CheckAgentTrunk validates an agent_trunk template: a channel endpoint
// that names the agent with {resource} or {endpoint}.
func CheckAgentTrunk(t string) error {
	if !strings.Contains(t, "{resource}") && !strings.Contains(t, "{endpoint}") {
		return fmt.Errorf("%q names no agent: put {resource} (agent1001 of PJSIP/agent1001) or {endpoint} in it, e.g. PJSIP/{resource}@trunk-to-b", t)
	}
	if !isEndpoint(strings.NewReplacer("{resource}", "x", "{endpoint}", "x").Replace(t)) {
		return fmt.Errorf("%q is not a channel endpoint like PJSIP/{resource}@trunk-to-b", t)
	}
	return nil
}
