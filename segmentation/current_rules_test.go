package segmentation_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// The resolver decides with whatever CurrentRules returns at each look-up,
// cached answers included: the router's Holder is the one pointer a reload
// swaps.
func TestResolverDecidesWithCurrentRules(t *testing.T) {
	var current atomic.Pointer[seg.Rules]
	f := newFixture(t, "", func(o *seg.Options) {
		o.CurrentRules = current.Load
	})
	current.Store(f.rules)
	loadSample(t, f)
	ctx := context.Background()

	r, err := f.res.ByANI(ctx, "0812-3456-7890") // DES, platinum
	if err != nil || !r.Found || !r.Served {
		t.Fatalf("before the swap: %+v, %v; want DES found and served", r, err)
	}

	sc := redistest.SegmentationConfig()
	sc.Segments["DES"] = configs.SegmentRule{Served: false, RedirectPrompt: "redirect-consumer", RedirectTarget: "147"}
	sc.Tiers["platinum"] = 42
	swapped, err := seg.NewRules(sc)
	if err != nil {
		t.Fatal(err)
	}
	current.Store(swapped)
	r, err = f.res.ByANI(ctx, "0812-3456-7890")
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != seg.SourceCache || r.Served || r.Redirect == nil || r.Redirect.Target != "147" || r.Priority != 42 {
		t.Errorf("after the swap (from cache): %+v; want not served, redirect 147, priority 42", r)
	}
}

func TestRulesApplyAndPriority(t *testing.T) {
	r, err := seg.NewRules(redistest.SegmentationConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		res      seg.Result
		found    bool
		served   bool
		priority int
	}{
		{"served customer", seg.Result{Customer: &seg.Customer{Segment: "DES", Tier: "platinum"}}, true, true, 4},
		{"tier in another case", seg.Result{Customer: &seg.Customer{Segment: "DGS", Tier: "GOLD"}}, true, true, 3},
		{"unknown segment", seg.Result{Customer: &seg.Customer{Segment: "RETAIL", Tier: "gold"}, Found: true}, false, false, 0},
		{"no customer is left alone", seg.Result{Degraded: true}, false, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := c.res
			r.Apply(&res)
			if res.Found != c.found || res.Served != c.served || res.Priority != c.priority {
				t.Errorf("Apply: found %v served %v priority %d; want %v %v %d", res.Found, res.Served, res.Priority, c.found, c.served, c.priority)
			}
			if c.res.Customer != nil {
				if p := r.Priority(c.res.Customer.Tier); p != c.priority && c.found {
					t.Errorf("Priority(%q) = %d, want %d", c.res.Customer.Tier, p, c.priority)
				}
			}
		})
	}
	if served, rd, ok := r.Served("consumer"); !ok || served || rd == nil || rd.Target != "147" {
		t.Errorf("Served(consumer) = %v %+v %v; want not served, redirect to 147", served, rd, ok)
	}
	if _, _, ok := r.Served("RETAIL"); ok {
		t.Error("Served(RETAIL): an unknown segment must not be ok")
	}
}
