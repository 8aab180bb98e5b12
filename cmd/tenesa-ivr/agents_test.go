package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// TestServeStartsTheAgentPoolAndItsAPI: with the default config, serve's
// agent pool creates the configured agents (1001 logged in at start) and
// the agent API answers a leader's token on agentapi.listen; an agent's
// token sees only itself.
func TestServeStartsTheAgentPoolAndItsAPI(t *testing.T) {
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Redis.KeyPrefix = redistest.Prefix(t)
	cfg.AgentAPI.Listen = "127.0.0.1:0"
	tokens := map[string]string{"1001": "agent-1001-token-0123456789"}
	leader := ""
	for i, ag := range cfg.Agents {
		if ag.Role == "team_leader" && leader == "" {
			leader = ag.ID
			tokens[leader] = "leader-token-0123456789"
		}
		cfg.Agents[i].Token = tokens[ag.ID]
	}
	if leader == "" {
		t.Fatal("the default config has no team leader")
	}
	a := &controllerApp{cfg: cfg, log: zerolog.New(zerolog.NewTestWriter(t)), reg: metrics.NewRegistry(),
		redis: redistest.Client(t)}
	p, err := a.startAgents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()

	list := func(token string) []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+p.addr.String()+"/api/v1/agents", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/agents: %d", resp.StatusCode)
		}
		var body struct {
			Agents []struct {
				ID    string `json:"id"`
				State string `json:"state"`
			} `json:"agents"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return body.Agents
	}
	all := list(tokens[leader])
	if len(all) != len(cfg.Agents) {
		t.Fatalf("leader sees %d agents, want %d: %+v", len(all), len(cfg.Agents), all)
	}
	if all[0].ID != "1001" || all[0].State != "available" {
		t.Errorf("agent 1001 is %+v, want logged in at start", all[0])
	}
	if own := list(tokens["1001"]); len(own) != 1 || own[0].ID != "1001" {
		t.Errorf("agent 1001 sees %+v", own)
	}
}
