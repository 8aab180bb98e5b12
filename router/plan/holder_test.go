package plan

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A reload is one Swap: menus, routing, segment rules and tier priorities
// change together, and a call holding the old Plan sees none of it.
func TestOneSwapChangesSegmentRulesAndTiers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenesa.yaml")
	first := defaultPlan(t)
	h := NewHolder(first)
	inCall := h.Load() // a call in progress took this plan at its start

	writeFile(t, path, `
segmentation:
  segments:
    DBS:
      served: false
      redirect_prompt: redirect-consumer
      redirect_target: "147"
  tiers:
    gold: 9
ivr:
  retries: 4
`)
	next, err := loadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if old := h.Swap(next); old != first {
		t.Fatalf("Swap returned %p, want the first plan %p", old, first)
	}

	cur := h.Load()
	gold := Attrs{Segment: "DES", Tier: "gold", Identified: true}
	for _, c := range []struct {
		name       string
		p          *Plan
		dbsServed  bool
		goldPrio   int
		retries    int
		decidePrio int
	}{
		{"the call's plan keeps the old rules", inCall, true, 7, 3, 7},
		{"the current plan has the new rules", cur, false, 9, 4, 9},
	} {
		t.Run(c.name, func(t *testing.T) {
			served, _, ok := c.p.Segments.Served("DBS")
			if !ok || served != c.dbsServed {
				t.Errorf("DBS served = %v (known %v), want %v", served, ok, c.dbsServed)
			}
			if r := c.p.Match(gold); r.Priority != c.goldPrio {
				t.Errorf("Match priority for gold = %d, want %d", r.Priority, c.goldPrio)
			}
			if d := c.p.Segments.Decide("DES", "gold"); d.Priority != c.decidePrio {
				t.Errorf("Decide priority for gold = %d, want %d", d.Priority, c.decidePrio)
			}
			if c.p.Retries != c.retries {
				t.Errorf("retries = %d, want %d", c.p.Retries, c.retries)
			}
		})
	}
	if cur.Version == first.Version {
		t.Error("the new plan has the old version")
	}
}

func TestHolderRefusesNil(t *testing.T) {
	h := NewHolder(defaultPlan(t))
	defer func() {
		if recover() == nil {
			t.Error("Swap(nil) must panic: a call would get no plan")
		}
	}()
	h.Swap(nil)
}
