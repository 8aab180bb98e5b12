package plan

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCompile checks what configs' FuzzLoad cannot: every configuration
// the loader accepts compiles, draws in both formats, and routes every
// caller to a queue that exists, with menus that all link to menus.
func FuzzCompile(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "DES", "gold", "complaint", "data_internet", "id")
	}
	f.Add([]byte("ivr:\n  menus:\n    main:\n      prompt: menu-main\n      options:\n        \"#\": {action: agent}\nrouting:\n  rules: []\n"),
		"DGS", "platinum", "agent", "", "en")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, segment, tier, intent, product, lang string) {
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := loadPlan(path)
		if err != nil {
			return // the loader refused it: configs' FuzzLoad checks how
		}
		if p.Root == nil || p.Menus[p.Root.Name] != p.Root {
			t.Fatalf("root menu not linked: %+v", p.Root)
		}
		for name, m := range p.Menus {
			if len(m.Keys) != len(m.Options) {
				t.Fatalf("menu %s: keys %q for %d options", name, m.Keys, len(m.Options))
			}
			for _, o := range m.Options {
				if (o.Action == ActionMenu) != (o.Next != nil) {
					t.Fatalf("menu %s key %s: action %s, next %v", name, o.Key, o.Action, o.Next)
				}
			}
		}
		for _, id := range []bool{true, false} {
			r := p.Match(Attrs{Segment: segment, Tier: tier, Intent: intent, Product: product, Language: lang, Identified: id})
			if _, ok := p.queues[r.Queue]; !ok {
				t.Fatalf("routed to undefined queue %q by rule %q", r.Queue, r.Rule)
			}
		}
		for _, format := range []string{FormatMermaid, FormatDOT} {
			if _, err := p.Graph(format); err != nil {
				t.Fatal(err)
			}
		}
	})
}
