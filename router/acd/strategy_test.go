package acd

import (
	"slices"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
)

func TestSelectorsOnTinyPools(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	pool := []Candidate{
		{ID: "c", IdleSince: at(10), CallsTaken: 1},
		{ID: "a", IdleSince: at(30), CallsTaken: 0},
		{ID: "d", IdleSince: at(10), CallsTaken: 5},
		{ID: "b", IdleSince: at(20), CallsTaken: 0},
	}
	tests := []struct {
		name     string
		strategy string
		last     string
		want     []string
	}{
		{"longest idle first, ties by id", "longest_idle", "", []string{"c", "d", "b", "a"}},
		{"fewest calls, then longest idle", "fewest_calls", "", []string{"b", "a", "c", "d"}},
		{"round robin from the start", "round_robin", "", []string{"a", "b", "c", "d"}},
		{"round robin after the last offered", "round_robin", "b", []string{"c", "d", "a", "b"}},
		{"round robin after the last id", "round_robin", "d", []string{"a", "b", "c", "d"}},
		{"round robin after an agent gone", "round_robin", "bb", []string{"c", "d", "a", "b"}},
		{"ring all: everyone, longest idle first", "ring_all", "", []string{"c", "d", "b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, ok := LookupSelector(tt.strategy)
			if !ok {
				t.Fatalf("strategy %q not registered", tt.strategy)
			}
			in := slices.Clone(pool)
			var got []string
			for _, c := range sel.Select(QueueView{Name: "q", LastOffered: tt.last}, in) {
				got = append(got, c.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if !slices.Equal(in, pool) {
				t.Error("Select modified its input")
			}
		})
	}
	t.Run("empty pool", func(t *testing.T) {
		for _, name := range SelectorNames() {
			sel, _ := LookupSelector(name)
			if got := sel.Select(QueueView{}, nil); len(got) != 0 {
				t.Errorf("%s on no candidates: %v", name, got)
			}
		}
	})
	t.Run("only ring_all rings all", func(t *testing.T) {
		for _, name := range SelectorNames() {
			sel, _ := LookupSelector(name)
			ra, ok := sel.(RingsAll)
			if got := ok && ra.RingsAll(); got != (name == "ring_all") {
				t.Errorf("%s rings all = %v", name, got)
			}
		}
	})
}

// The config validates strategy names against configs.Strategies; the acd
// must register exactly those.
func TestRegisteredStrategiesMatchConfig(t *testing.T) {
	want := slices.Sorted(slices.Values(configs.Strategies))
	if got := SelectorNames(); !slices.Equal(got, want) {
		t.Errorf("registered %v, configs.Strategies %v", got, want)
	}
}

// The default configuration compiles into settings the acd accepts: every
// queue with its defaults applied, the Team Leader queue without overflow.
func TestSettingsFromDefaultConfig(t *testing.T) {
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	st, err := FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g := st.Queues["general"]
	if g.Strategy != "longest_idle" || g.Overflow != "team-leader" || g.MaxWait != 5*time.Minute ||
		g.WrapUp != 30*time.Second || g.RingTimeout != 20*time.Second || g.ServiceLevel != 20*time.Second {
		t.Errorf("general = %+v", g)
	}
	if v := st.Queues["vip-platinum"]; v.MaxWait != 2*time.Minute || v.ServiceLevel != 10*time.Second ||
		!slices.Equal(v.Skills, []string{"tier:platinum"}) {
		t.Errorf("vip-platinum = %+v", v)
	}
	if tl := st.Queues["team-leader"]; tl.Overflow != "" || tl.Strategy != "ring_all" || st.TeamLeaderQueue != "team-leader" {
		t.Errorf("team-leader = %+v (team leader queue %q)", tl, st.TeamLeaderQueue)
	}
	if len(st.Agents) == 0 || !st.LoginAtStart["1001"] || st.RepeatCalls != 3 || st.RepeatWindow != 24*time.Hour {
		t.Errorf("agents %d, login at start %v, repeat %d/%s", len(st.Agents), st.LoginAtStart, st.RepeatCalls, st.RepeatWindow)
	}
}

func TestSettingsCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Settings)
		want   string
	}{
		{"unknown strategy", func(s *Settings) {
			q := s.Queues["general"]
			q.Strategy = "random"
			s.Queues["general"] = q
		}, `acd settings: queue "general": unknown strategy "random" (fewest_calls, longest_idle, ring_all, round_robin)`},
		{"undefined overflow", func(s *Settings) {
			q := s.Queues["general"]
			q.Overflow = "nowhere"
			s.Queues["general"] = q
		}, `acd settings: queue "general": undefined overflow queue "nowhere"`},
		{"agent in an unknown queue", func(s *Settings) {
			s.Agents = []Agent{{ID: "a", Name: "A", Endpoint: "PJSIP/a", Role: RoleAgent, Queues: []string{"x"}}}
		}, `acd settings: queues: agent "a": undefined queue "x"`},
		{"undefined team leader queue", func(s *Settings) { s.TeamLeaderQueue = "leaders" },
			`acd settings: undefined team leader queue "leaders"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := testSettings()
			tt.change(st)
			err := st.check()
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestScoreOrdersPriorityThenTime(t *testing.T) {
	early, late := t0, t0.Add(time.Millisecond)
	cases := []struct {
		name        string
		first, then float64
	}{
		{"higher priority first", score(7, late), score(1, early)},
		{"same priority: earlier first", score(4, early), score(4, late)},
		{"escalation above every tier", score(200, late.Add(time.Hour)), score(100, early)},
		{"priority clamped", score(5000, early), score(maxPriority, late)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !(c.first < c.then) {
				t.Errorf("score %v not before %v", c.first, c.then)
			}
		})
	}
	if s := score(0, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)); s >= 1<<53 {
		t.Errorf("score %v not exact in float64", s)
	}
}

func TestEstimateWait(t *testing.T) {
	now := t0.Add(time.Hour)
	ans := func(agoSec, waitSec int) answer {
		return answer{at: now.Add(-time.Duration(agoSec) * time.Second), wait: time.Duration(waitSec) * time.Second}
	}
	tests := []struct {
		name   string
		pos    int
		waited time.Duration
		recent []answer
		want   time.Duration
		wantOK bool
	}{
		{"no history: unknown", 3, 0, nil, 0, false},
		{"throughput: one call a minute, 3rd in line", 3, 0, []answer{ans(0, 10), ans(60, 10), ans(120, 10)}, 3 * time.Minute, true},
		{"old answers do not count", 1, 0, []answer{ans(10, 40), ans(2*3600, 5), ans(3*3600, 5)}, 40 * time.Second, true},
		{"one answer: its wait minus the time waited", 1, 15 * time.Second, []answer{ans(5, 40)}, 25 * time.Second, true},
		{"never negative", 1, time.Minute, []answer{ans(5, 40)}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := estimateWait(tt.pos, tt.waited, tt.recent, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("estimateWait = %s, %v; want %s, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
