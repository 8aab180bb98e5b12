package flow_test

import (
	"context"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/flow"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// reloadDuringLookup is the look-up port of a controller whose config is
// reloaded while a caller's number is being looked up: the new plan no
// longer serves DES, and the resolver (which reads the current plan's
// rules) decides with it.
type reloadDuringLookup struct {
	flow.Customers
	plans *plan.Holder
	next  *plan.Plan
}

func (r reloadDuringLookup) ByANI(ctx context.Context, raw string) (segmentation.Result, error) {
	r.plans.Swap(r.next)
	res, err := r.Customers.ByANI(ctx, raw)
	r.next.Segments.Apply(&res)
	return res, err
}

// A call keeps the segment rules of the plan it started with: a reload
// that stops serving DES while the caller is being identified does not
// redirect that caller.
func TestCallKeepsItsPlansSegmentRulesAcrossAReload(t *testing.T) {
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Segmentation.Segments["DES"] = configs.SegmentRule{Served: false, RedirectPrompt: "redirect-consumer", RedirectTarget: "147"}
	prompts, err := manifest.PromptIDs()
	if err != nil {
		t.Fatal(err)
	}
	next, err := plan.Compile(cfg, prompts)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, worldOpts{customers: func(inner flow.Customers, plans *plan.Holder) flow.Customers {
		return reloadDuringLookup{Customers: inner, plans: plans, next: next}
	}})
	r, tr := w.call(t, arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "0"), talk)})
	if r.Outcome != router.OutcomeAgentAnswered || r.SegmentServed == nil || !*r.SegmentServed {
		t.Fatalf("outcome %q served %v; want the call served by the plan it started with; heard %v",
			r.Outcome, r.SegmentServed, heard(tr))
	}
	if heardPromptSub(tr, "redirect-consumer") {
		t.Errorf("caller heard the redirect of the reloaded plan; heard %v", heard(tr))
	}
}
