package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// demoTeam is the team the demo adds to the default configuration's
// agents 1001-1003 and Team Leader 1004, so the default queues are staffed
// like a small shift.
func demoTeam() []configs.Agent {
	products := []string{"product:data_internet", "product:indihome", "product:telephony", "product:wifi_id"}
	skills := func(extra ...string) []string {
		return append(append([]string{"segment:DES", "segment:DGS", "segment:DBS"}, products...), extra...)
	}
	return []configs.Agent{
		{ID: "1005", Name: "Dewi Anggraini", Endpoint: "PJSIP/agent1005", Team: "jakarta-1", Role: "agent",
			Skills: skills("lang:id"),
			Queues: []string{"general", "enterprise-data", "enterprise-care", "indihome-enterprise", "government", "business", "ticket-desk"}},
		{ID: "1006", Name: "Bayu Pratama", Endpoint: "PJSIP/agent1006", Team: "jakarta-1", Role: "agent",
			Skills: skills("lang:id"),
			Queues: []string{"general", "enterprise-data", "government", "business", "billing", "sales", "ticket-desk"}},
		{ID: "1007", Name: "Putri Maharani", Endpoint: "PJSIP/agent1007", Team: "jakarta-1", Role: "agent",
			Skills: skills("segment:DWS", "lang:id", "lang:en"),
			Queues: []string{"english-desk", "wholesale", "general", "billing", "sales"}},
		{ID: "1008", Name: "Rizky Hidayat", Endpoint: "PJSIP/agent1008", Team: "jakarta-1", Role: "agent",
			Skills: skills("segment:DWS", "lang:id", "lang:en", "tier:platinum"),
			Queues: []string{"vip-platinum", "enterprise-care", "enterprise-data", "government"}},
		{ID: "1009", Name: "Nur Aisyah", Endpoint: "PJSIP/agent1009", Team: "jakarta-1", Role: "agent",
			Skills: skills("lang:id"),
			Queues: []string{"indihome-enterprise", "business", "billing", "sales", "ticket-desk", "general"}},
	}
}

// demoToken is a throwaway bearer token for one demo run.
func demoToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "demo-" + hex.EncodeToString(b)
}

// agentStats counts what the simulated agents did through the agent API.
type agentStats struct {
	Dispositions, Escalations, CasesResolved, NoAnswers, Readies, Refused atomic.Int64
}

// simAgent plays one agent at their desk: the endpoint (answer delay, no
// answer, talk time) on the simulated PBX, and the desktop actions
// (disposition, escalation, ready, the leader's escalation inbox) through
// the agent API over HTTP, the code path of the agent desktop page.
type simAgent struct {
	id, token, endpoint string
	leader              bool
	base                string // agent API base URL
	http                *http.Client
	sim                 *arisim.Server
	svc                 *acd.Service
	rng                 *mrand.Rand
	scale               float64
	stats               *agentStats
	log                 zerolog.Logger
}

func (a *simAgent) wall(d time.Duration) time.Duration { return time.Duration(float64(d) * a.scale) }

func (a *simAgent) secs(lo, spread int) time.Duration {
	return time.Duration(lo+a.rng.IntN(spread+1)) * time.Second
}

// nextCall draws how the agent's phone behaves on the next offer: rings 2
// to 8 s, one offer in fifteen rings out (the agent is away), talks 30 s
// plus an exponential tail (mean 90 s; a leader's calls are longer).
func (a *simAgent) nextCall() {
	tail := 90.0
	if a.leader {
		tail = 150
	}
	ag := arisim.Agent{Endpoint: a.endpoint, AnswerAfter: a.secs(2, 6),
		HangupAfter: 30*time.Second + time.Duration(a.rng.ExpFloat64()*tail*float64(time.Second))}
	if a.rng.IntN(15) == 0 {
		ag.NeverAnswer = true
	}
	a.sim.AddAgent(ag)
}

// run follows the agent's events until ctx ends.
func (a *simAgent) run(ctx context.Context) {
	events, unsubscribe := a.svc.Subscribe(a.id)
	defer unsubscribe()
	a.nextCall()
	var timer *time.Timer
	var fire <-chan time.Time
	var action func()
	schedule := func(d time.Duration, f func()) {
		if timer != nil {
			timer.Stop()
		}
		timer = time.NewTimer(a.wall(d))
		fire, action = timer.C, f
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	intents := map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-fire:
			fire = nil
			action()
		case ev, ok := <-events:
			if !ok {
				return
			}
			switch {
			case ev.Type == acd.EventConnected:
				var pop struct {
					Intent string `json:"intent"`
				}
				_ = json.Unmarshal(ev.ScreenPop, &pop)
				intents[ev.CallID] = pop.Intent
				if !a.leader && a.rng.IntN(14) == 0 { // needs the Team Leader
					call := ev.CallID
					schedule(a.secs(20, 40), func() { a.escalate(ctx, call) })
				}
			case ev.Type == acd.EventCallEnded:
				call, intent := ev.CallID, intents[ev.CallID]
				delete(intents, call)
				a.nextCall()
				schedule(a.secs(6, 20), func() { a.wrapUp(ctx, call, intent) })
			case ev.Type == acd.EventState && ev.State == acd.Paused && ev.Reason == acd.ReasonNoAnswer:
				a.stats.NoAnswers.Add(1)
				a.nextCall()
				schedule(a.secs(5, 15), func() { a.post(ctx, "/api/v1/agents/"+a.id+"/ready", nil, &a.stats.Readies) })
			}
		}
	}
}

// escalate asks for the Team Leader during the call.
func (a *simAgent) escalate(ctx context.Context, call string) {
	a.post(ctx, "/api/v1/calls/"+call+"/escalate",
		map[string]string{"reason": "customer asks for a supervisor about a recurring fault"}, &a.stats.Escalations)
}

// wrapUp records the disposition (one call in eight is left without: the
// needs-recorded KPI shows it), then gets ready; a leader also takes and
// resolves the escalation case of the call, if it was one.
func (a *simAgent) wrapUp(ctx context.Context, call, intent string) {
	if a.rng.IntN(8) != 0 {
		cat := "information"
		switch intent {
		case "complaint":
			cat = "complaint"
		case "request":
			cat = "request"
		}
		d := map[string]any{"category": cat, "further_help_offered": a.rng.IntN(20) != 0,
			"standard_closing": a.rng.IntN(15) != 0}
		if cat == "complaint" {
			d["ticket_id"] = fmt.Sprintf("IN2026%06d", a.rng.IntN(1000000))
		}
		a.post(ctx, "/api/v1/calls/"+call+"/disposition", d, &a.stats.Dispositions)
	}
	if a.leader {
		if a.post(ctx, "/api/v1/escalations/"+call+"/take", nil, nil) {
			a.post(ctx, "/api/v1/escalations/"+call+"/resolve",
				map[string]string{"note": "called the customer's account manager; fault ticket raised"}, &a.stats.CasesResolved)
		}
	}
	a.post(ctx, "/api/v1/agents/"+a.id+"/ready", nil, &a.stats.Readies)
}

// post sends one agent API request with the agent's token; true on 2xx. A
// refusal (the wrap-up ended by its timer, a call that has no case) is
// counted, not an error of the demo.
func (a *simAgent) post(ctx context.Context, path string, body any, ok *atomic.Int64) bool {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, a.base+path, rd)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn().Err(err).Str("agent_id", a.id).Str("path", path).Msg("demo agent: agent API request failed")
		}
		return false
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode/100 != 2 {
		a.stats.Refused.Add(1)
		a.log.Debug().Str("agent_id", a.id).Str("path", path).Int("status", resp.StatusCode).
			Str("reason", string(msg)).Msg("demo agent: request refused")
		return false
	}
	if ok != nil {
		ok.Add(1)
	}
	return true
}
