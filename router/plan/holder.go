package plan

import "sync/atomic"

// Holder holds the current Plan: one pointer for everything a reload
// changes (menus, rules, prompts, segment rules and tiers, lines). A call
// takes the Plan once at its start with Load and keeps it to its end; a
// reload compiles and validates a whole new Plan first, then Swaps it in, so
// a bad file never replaces a good one and nothing is half-applied. Watching
// files and signals is the process's business (cmd/tenesa-ivr), not plan's.
type Holder struct {
	cur atomic.Pointer[Plan]
}

// NewHolder returns a Holder serving p (not nil).
func NewHolder(p *Plan) *Holder {
	if p == nil {
		panic("plan: NewHolder(nil)")
	}
	h := &Holder{}
	h.cur.Store(p)
	return h
}

// Load returns the current Plan.
func (h *Holder) Load() *Plan { return h.cur.Load() }

// Swap makes p (not nil) current and returns the Plan it replaces.
func (h *Holder) Swap(p *Plan) (old *Plan) {
	if p == nil {
		panic("plan: Swap(nil)")
	}
	return h.cur.Swap(p)
}
