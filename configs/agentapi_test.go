package configs

import (
	"strings"
	"testing"
)

// TestAgentTokenFromEnv: TENESA_AGENT_<ID>_TOKEN sets a default agent's
// token; agentapi has its defaults.
func TestAgentTokenFromEnv(t *testing.T) {
	cfg, err := load("", testPrompts, envOf(map[string]string{"TENESA_AGENT_1004_TOKEN": "leader-token-0123456789"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.AgentTokens(); len(got) != 1 || got["1004"] != "leader-token-0123456789" {
		t.Errorf("tokens %v, want only 1004's", got)
	}
	if cfg.AgentAPI.Listen != "127.0.0.1:8090" || cfg.AgentAPI.KeepAlive <= 0 {
		t.Errorf("agentapi defaults %+v", cfg.AgentAPI)
	}
	if AgentTokenEnv("ops.lead-1") != "TENESA_AGENT_OPS_LEAD_1_TOKEN" {
		t.Errorf("env name %q", AgentTokenEnv("ops.lead-1"))
	}
}

// TestBadAgentTokensNameKeyAndVariableNotValue: a short token and a token
// shared by two agents fail the load naming the key and the variable, and
// the message never shows the token.
func TestBadAgentTokensNameKeyAndVariableNotValue(t *testing.T) {
	short, shared := "tiny-tok", "shared-token-0123456789"
	_, err := load("", testPrompts, envOf(map[string]string{
		"TENESA_AGENT_1001_TOKEN": short,
		"TENESA_AGENT_1002_TOKEN": shared,
		"TENESA_AGENT_1003_TOKEN": shared,
	}))
	if err == nil {
		t.Fatal("loaded")
	}
	msg := err.Error()
	for _, want := range []string{
		"<defaults>: agents[0].token: agents[0].token (from TENESA_AGENT_1001_TOKEN) must be at least 16 characters",
		"<defaults>: agents[2].token: agents[2].token (from TENESA_AGENT_1003_TOKEN) is the same as agents[1].token",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems\n%s\ndo not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, short) || strings.Contains(msg, shared) {
		t.Errorf("problems show a token:\n%s", msg)
	}
}

// TestAgentAPIListenIsChecked: a bad address names its key and value.
func TestAgentAPIListenIsChecked(t *testing.T) {
	_, err := load("", testPrompts, envOf(map[string]string{"TENESA_AGENTAPI_LISTEN": "nowhere"}))
	if err == nil || !strings.Contains(err.Error(), `env TENESA_AGENTAPI_LISTEN: agentapi.listen: "nowhere" is not host:port`) {
		t.Fatalf("got %v", err)
	}
}
