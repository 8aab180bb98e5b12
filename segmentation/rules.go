package segmentation

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
)

// Redirect is where a caller of a segment TENESA does not serve is sent.
type Redirect struct {
	Prompt string `json:"prompt"`
	// Target is the number to transfer to (e.g. "147"); empty means continue
	// in the dialplan.
	Target string `json:"target,omitempty"`
}

// Rules is the compiled, immutable segment configuration: which segments
// exist and are served, the redirect of the others, tiers with their
// priority, and the known products and languages. It is the one compilation
// of segmentation.segments and .tiers: the router's Plan carries it (one
// reload, one pointer) and the resolver reads the current Plan's.
type Rules struct {
	segments  map[string]segmentRule
	tiers     map[string]int
	products  []string
	languages []string
	region    string
}

type segmentRule struct {
	served   bool
	redirect *Redirect
}

// Decision is what the rules say about one customer.
type Decision struct {
	// Identified is false when the segment is missing or unknown: such a
	// customer is handled as an unidentified caller, never as an error.
	Identified bool
	Served     bool
	Redirect   *Redirect // set when Identified && !Served
	Priority   int       // from the tier; 0 for an unknown tier
}

// NewRules compiles the segmentation config. Errors name the key and quote
// the value.
func NewRules(c configs.Segmentation) (*Rules, error) {
	r := &Rules{
		segments:  make(map[string]segmentRule, len(c.Segments)),
		tiers:     make(map[string]int, len(c.Tiers)),
		products:  slices.Clone(c.Products),
		languages: slices.Clone(c.Languages),
		region:    c.DefaultRegion,
	}
	if len(c.Segments) == 0 {
		return nil, fmt.Errorf("segmentation.segments: no segment defined")
	}
	for name, s := range c.Segments {
		if name == "" || strings.TrimSpace(name) != name {
			return nil, fmt.Errorf("segmentation.segments: invalid segment name %q", name)
		}
		key := strings.ToUpper(name)
		if _, dup := r.segments[key]; dup {
			return nil, fmt.Errorf("segmentation.segments: segment %q defined twice (names are case-insensitive)", name)
		}
		sr := segmentRule{served: s.Served}
		if !s.Served {
			if s.RedirectPrompt == "" {
				return nil, fmt.Errorf("segmentation.segments.%s.redirect_prompt: required for a segment not served", name)
			}
			sr.redirect = &Redirect{Prompt: s.RedirectPrompt, Target: s.RedirectTarget}
		}
		r.segments[key] = sr
	}
	for name, p := range c.Tiers {
		r.tiers[strings.ToLower(name)] = p
	}
	if _, err := NumberingFor(c.DefaultRegion); err != nil {
		return nil, fmt.Errorf("segmentation.default_region: %w", err)
	}
	return r, nil
}

// Decide applies the rules to a customer's segment and tier.
func (r *Rules) Decide(segment, tier string) Decision {
	s, ok := r.segments[segment] // the importer stores segments upper-case
	if !ok {
		s, ok = r.segments[strings.ToUpper(segment)]
	}
	if !ok || segment == "" {
		return Decision{}
	}
	return Decision{Identified: true, Served: s.served, Redirect: s.redirect, Priority: r.Priority(tier)}
}

// Priority is the queue priority of a tier (higher = sooner); 0 for an
// unknown tier. The one place tier priority is computed.
func (r *Rules) Priority(tier string) int {
	if p, ok := r.tiers[tier]; ok { // the importer stores tiers lower-case
		return p
	}
	return r.tiers[strings.ToLower(tier)]
}

// Apply decides a look-up result from its Customer: Found, Served, Redirect
// and Priority. A result without a customer is left as it is. The resolver
// applies the current rules; the flow applies those of its call's Plan again,
// so a call sees one configuration from its start to its end.
func (r *Rules) Apply(res *Result) {
	if res.Customer == nil {
		return
	}
	d := r.Decide(res.Customer.Segment, res.Customer.Tier)
	res.Found, res.Served, res.Redirect, res.Priority = d.Identified, d.Served, d.Redirect, d.Priority
}

// Served reports whether a configured segment is served and, if not, where
// its callers go; ok is false for a segment not configured.
func (r *Rules) Served(segment string) (served bool, redirect *Redirect, ok bool) {
	s, ok := r.segments[strings.ToUpper(segment)]
	return s.served, s.redirect, ok && segment != ""
}

// KnownSegment reports whether segment is configured (case-insensitive).
func (r *Rules) KnownSegment(segment string) bool {
	_, ok := r.segments[strings.ToUpper(segment)]
	return ok && segment != ""
}

// KnownTier reports whether tier is configured (case-insensitive). With no
// tiers configured every tier is accepted.
func (r *Rules) KnownTier(tier string) bool {
	if len(r.tiers) == 0 {
		return true
	}
	_, ok := r.tiers[strings.ToLower(tier)]
	return ok
}

// KnownProduct reports whether product is configured; with no product list
// every product is accepted.
func (r *Rules) KnownProduct(p string) bool {
	return len(r.products) == 0 || slices.Contains(r.products, p)
}

// KnownLanguage reports whether prompts exist for language; with no list
// every language is accepted.
func (r *Rules) KnownLanguage(l string) bool {
	return len(r.languages) == 0 || slices.Contains(r.languages, l)
}

// Segments lists the configured segments, sorted.
func (r *Rules) Segments() []string { return slices.Sorted(maps.Keys(r.segments)) }

// Tiers lists the configured tiers, sorted.
func (r *Rules) Tiers() []string { return slices.Sorted(maps.Keys(r.tiers)) }

// DefaultLanguage is the first configured language, "id" without one.
func (r *Rules) DefaultLanguage() string {
	if len(r.languages) == 0 {
		return "id"
	}
	return r.languages[0]
}

// Numbering is the phone numbering plan of the configured default region.
func (r *Rules) Numbering() *Numbering {
	n, err := NumberingFor(r.region)
	if err != nil { // checked in NewRules
		panic(err)
	}
	return n
}
