package plan

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/<name>, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./router/plan -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("differs from %s\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestCompileGolden loads and compiles every testdata/*.yaml (over the
// embedded defaults, as serve does) and compares the compiled summary, or
// every problem, with testdata/<name>.golden.
func TestCompileGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			var got string
			p, err := loadPlan(f)
			if err != nil {
				got = "problems:\n" + err.Error() + "\n"
			} else {
				got = p.Summary()
			}
			if strings.HasPrefix(name, "ok-") != (err == nil) {
				t.Errorf("ok- files must compile, bad- files must not; got %v", err)
			}
			golden(t, name+".golden", got)
		})
	}
}

func loadPlan(path string) (*Plan, error) {
	cfg, err := manifest.Load(path)
	if err != nil {
		return nil, err
	}
	ids, err := manifest.PromptIDs()
	if err != nil {
		return nil, err
	}
	return Compile(cfg, ids)
}

func defaultPlan(t testing.TB) *Plan {
	t.Helper()
	p, err := loadPlan("")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Compile validates on its own: a config built by hand (not by the loader)
// is checked the same way.
func TestCompileValidates(t *testing.T) {
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Routing.Rules = append(cfg.Routing.Rules, configs.RoutingRule{Name: "vip", Match: configs.RuleMatch{Topic: []string{"billing"}}, Queue: "biling"})
	cfg.Source = "site.yaml"
	ids, err := manifest.PromptIDs()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(cfg, ids)
	var ps configs.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want configs.Problems, got %T %v", err, err)
	}
	want := `site.yaml: routing.rules[11].queue: undefined queue "biling" used in rule "vip" (did you mean "billing"?)`
	if !slices.ContainsFunc(ps, func(p configs.Problem) bool { return p.String() == want }) {
		t.Errorf("problems %v\nwant one to be %s", ps, want)
	}
}

func TestDefaultTree(t *testing.T) {
	p := defaultPlan(t)
	if p.Root.Name != "main" || p.Root.Keys != "123490" {
		t.Fatalf("root %s keys %q", p.Root.Name, p.Root.Keys)
	}
	one := p.Root.Options["1"]
	if one.Action != ActionMenu || one.Next != p.Menus["complaint"] || one.Intent != "complaint" {
		t.Errorf("key 1 = %+v", one)
	}
	if o := p.Menus["complaint"].Options["2"]; o.Action != ActionRoute || o.Product != "indihome" {
		t.Errorf("complaint 2 = %+v", o)
	}
	if o := p.Root.Options["9"]; o.Action != ActionLanguage || o.Language != "en" {
		t.Errorf("key 9 = %+v", o)
	}
	if got := p.Media("en", p.Root.Prompt); got != "sound:tenesa/en/menu-main" {
		t.Errorf("Media = %q", got)
	}
	if q := p.Queues(); len(q) != 13 || !slices.Contains(q, p.DefaultQueue()) || !slices.IsSorted(q) {
		t.Errorf("Queues() = %v, default %q", q, p.DefaultQueue())
	}
	if p.Version == "" || p.Version != defaultPlan(t).Version {
		t.Errorf("version %q must be stable for the same config", p.Version)
	}
}

func TestMatch(t *testing.T) {
	p := defaultPlan(t)
	tests := []struct {
		name   string
		attrs  Attrs
		queue  string
		rule   string
		prio   int
		skills []string
	}{
		{"platinum wins over everything", Attrs{Identified: true, Segment: "DWS", Tier: "platinum", Intent: "complaint", Product: "data_internet", Language: "en"},
			"vip-platinum", "platinum-any", 10, []string{"segment:DWS", "product:data_internet", "lang:en", "tier:platinum"}},
		{"english before segment rules", Attrs{Identified: true, Segment: "DES", Tier: "gold", Intent: "complaint", Product: "data_internet", Language: "en"},
			"english-desk", "english", 7, []string{"segment:DES", "product:data_internet", "lang:en"}},
		{"wholesale any intent", Attrs{Identified: true, Segment: "DWS", Tier: "gold", Intent: "request", Topic: "upgrade", Language: "id"},
			"wholesale", "wholesale-any", 7, []string{"segment:DWS", "lang:id"}},
		{"DES data complaint", Attrs{Identified: true, Segment: "DES", Tier: "silver", Intent: "complaint", Product: "data_internet", Language: "id"},
			"enterprise-data", "des-data-complaint", 4, []string{"segment:DES", "product:data_internet", "lang:id"}},
		{"DGS data complaint goes to government", Attrs{Identified: true, Segment: "DGS", Tier: "silver", Intent: "complaint", Product: "data_internet", Language: "id"},
			"government", "government", 4, []string{"segment:DGS", "product:data_internet", "lang:id"}},
		{"DBS indihome complaint", Attrs{Identified: true, Segment: "DBS", Tier: "regular", Intent: "complaint", Product: "indihome", Language: "id"},
			"indihome-enterprise", "indihome-complaint", 1, []string{"segment:DBS", "product:indihome", "lang:id"}},
		{"billing information", Attrs{Identified: true, Segment: "DGS", Tier: "gold", Intent: "information", Topic: "billing", Language: "id"},
			"billing", "billing-information", 7, []string{"segment:DGS", "lang:id"}},
		{"product information falls to the segment", Attrs{Identified: true, Segment: "DGS", Tier: "gold", Intent: "information", Topic: "products", Language: "id"},
			"government", "government", 7, []string{"segment:DGS", "lang:id"}},
		{"new installation request", Attrs{Identified: true, Segment: "DES", Tier: "regular", Intent: "request", Topic: "new_installation", Language: "id"},
			"sales", "sales-request", 1, []string{"segment:DES", "lang:id"}},
		{"ticket follow-up", Attrs{Identified: true, Segment: "DBS", Tier: "silver", Intent: "ticket_status", Language: "id"},
			"ticket-desk", "ticket-follow-up", 4, []string{"segment:DBS", "lang:id"}},
		{"agent key by DES", Attrs{Identified: true, Segment: "DES", Tier: "gold", Intent: "agent", Language: "id"},
			"enterprise-care", "enterprise", 7, []string{"segment:DES", "lang:id"}},
		{"unknown tier has priority 0", Attrs{Identified: true, Segment: "DBS", Tier: "bronze", Intent: "agent", Language: "id"},
			"business", "business", 0, []string{"segment:DBS", "lang:id"}},
		{"served segment no rule names", Attrs{Identified: true, Segment: "CONSUMER", Intent: "agent", Language: "id"},
			"general", "default", 0, []string{"segment:CONSUMER", "lang:id"}},
		{"unidentified goes to default whatever it pressed", Attrs{Segment: "DES", Tier: "platinum", Intent: "complaint", Product: "data_internet", Language: "en"},
			"general", "default", 0, []string{"product:data_internet", "lang:en"}},
		{"nothing known", Attrs{}, "general", "default", 0, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Match(tt.attrs)
			want := Route{Queue: tt.queue, Rule: tt.rule, Priority: tt.prio, Skills: tt.skills}
			if got.Queue != want.Queue || got.Rule != want.Rule || got.Priority != want.Priority || !slices.Equal(got.Skills, want.Skills) {
				t.Errorf("Match(%+v)\n got %+v\nwant %+v", tt.attrs, got, want)
			}
			if again := p.Match(tt.attrs); !slices.Equal(again.Skills, got.Skills) || again.Queue != got.Queue {
				t.Error("Match is not pure")
			}
		})
	}
}

// A customer stored with a CRM region code (JAP, data imported before the
// alias existed) is greeted in the zone of the region the code stands for.
func TestRegionCodesHaveTheirRegionsZone(t *testing.T) {
	p := defaultPlan(t)
	for code, zone := range map[string]string{"jap": "WIT", "jayapura": "WIT", "bdg": "WIB", "jkt": "WIB"} {
		if got := p.Regions[code]; got != zone {
			t.Errorf("Regions[%q] = %q, want %q", code, got, zone)
		}
	}
}
