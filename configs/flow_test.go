package configs

import (
	"slices"
	"testing"
	"time"
)

func TestDefaultFlow(t *testing.T) {
	cfg, err := load("", testPrompts, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IVR.Root != "main" || len(cfg.IVR.Menus["main"].Options) != 6 || cfg.IVR.Retries != 3 {
		t.Errorf("default ivr = root %q, %d main options, %d retries", cfg.IVR.Root, len(cfg.IVR.Menus["main"].Options), cfg.IVR.Retries)
	}
	if cfg.Regions["makassar"] != "WITA" || cfg.Handoff.RingTimeout != 20*time.Second {
		t.Errorf("regions/handoff defaults not loaded: %v %+v", cfg.Regions["makassar"], cfg.Handoff)
	}
	if cfg.Source != DefaultsName {
		t.Errorf("Source = %q, want %q", cfg.Source, DefaultsName)
	}
}

// A site file that sets ivr.menus or routing.queues replaces them as a
// whole; other maps (regions) still merge.
func TestSiteFileReplacesMenusAndQueues(t *testing.T) {
	cfg, err := load("testdata/ok-flow-site.yaml", testPrompts, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var menus, mainKeys, queues []string
	for m := range cfg.IVR.Menus {
		menus = append(menus, m)
	}
	for k := range cfg.IVR.Menus["main"].Options {
		mainKeys = append(mainKeys, k)
	}
	for q := range cfg.Routing.Queues {
		queues = append(queues, q)
	}
	slices.Sort(menus)
	slices.Sort(mainKeys)
	slices.Sort(queues)
	if !slices.Equal(menus, []string{"complaint", "main"}) || !slices.Equal(mainKeys, []string{"*", "0", "1"}) ||
		!slices.Equal(queues, []string{"general", "noc"}) {
		t.Errorf("menus %v, main keys %v, queues %v: defaults were merged in", menus, mainKeys, queues)
	}
	if cfg.Regions["kupang"] != "WITA" || cfg.Regions["jakarta"] != "WIB" {
		t.Errorf("regions must merge with the defaults: %v", cfg.Regions)
	}
	if r := cfg.Routing.Rules[0]; r.Queue != "noc" || !slices.Equal(r.Match.Segment, []string{"DES"}) {
		t.Errorf("rule not normalised: %+v", r)
	}
	if cfg.IVR.Menus["main"].Options["1"].Menu != "complaint" || cfg.Routing.DefaultQueue != "general" {
		t.Error("menu and queue references must be lower-cased like the map keys")
	}
}

func TestFlowEnvOverrides(t *testing.T) {
	cfg, err := load("", testPrompts, envOf(map[string]string{
		"TENESA_IVR_RETRIES":           "2",
		"TENESA_HANDOFF_ENDPOINT":      "PJSIP/agent2002",
		"TENESA_IVR_MENUS_MAIN_PROMPT": "menu-request",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IVR.Retries != 2 || cfg.Handoff.Endpoint != "PJSIP/agent2002" || cfg.IVR.Menus["main"].Prompt != "menu-request" {
		t.Errorf("overrides not applied: retries %d, endpoint %q, main prompt %q",
			cfg.IVR.Retries, cfg.Handoff.Endpoint, cfg.IVR.Menus["main"].Prompt)
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		name string
		a, b RuleMatch
		want bool
	}{
		{"empty covers anything", RuleMatch{}, RuleMatch{Segment: []string{"DES"}}, true},
		{"superset covers subset", RuleMatch{Segment: []string{"DES", "DGS"}}, RuleMatch{Segment: []string{"DES"}, Intent: []string{"complaint"}}, true},
		{"subset does not cover superset", RuleMatch{Segment: []string{"DES"}}, RuleMatch{Segment: []string{"DES", "DGS"}}, false},
		{"listed dimension does not cover an open one", RuleMatch{Tier: []string{"gold"}}, RuleMatch{}, false},
		{"disjoint dimensions", RuleMatch{Tier: []string{"gold"}}, RuleMatch{Segment: []string{"DES"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := covers(tt.a, tt.b); got != tt.want {
				t.Errorf("covers = %v, want %v", got, tt.want)
			}
		})
	}
}
