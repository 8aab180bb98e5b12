package segmentation

import (
	"context"
	"strings"
)

// Report is the JSON answer of `tenesa-ivr lookup`: the customer and the
// routing decision inputs, for operations and tests.
type Report struct {
	Query    string       `json:"query"`
	Kind     LookupKind   `json:"kind"`
	Key      string       `json:"key,omitempty"` // E.164 or service ID
	Found    bool         `json:"found"`
	Degraded bool         `json:"degraded"`
	Source   Source       `json:"source,omitempty"`
	Version  int64        `json:"dataset_version"`
	Outcome  LookupResult `json:"outcome"`
	Error    string       `json:"error,omitempty"`
	Customer *Customer    `json:"customer,omitempty"`
	Routing  *Routing     `json:"routing,omitempty"`
	Ticket   *Ticket      `json:"ticket,omitempty"`
	// Incidents known for the customer's products in its region.
	Incidents []Incident `json:"incidents,omitempty"`
}

// Routing is what the router decides from.
type Routing struct {
	Segment  string    `json:"segment"`
	Tier     string    `json:"tier"`
	Priority int       `json:"priority"`
	Served   bool      `json:"served"`
	Redirect *Redirect `json:"redirect,omitempty"`
	Language string    `json:"language"`
	Region   string    `json:"region"`
	Products []string  `json:"products"`
}

// Lookup answers one query, by caller number (ani) or service ID (sid), with
// the customer's ticket (by the queried service ID) and incidents. err is
// non-nil for malformed input; the Report says so too.
func Lookup(ctx context.Context, r *Resolver, kind LookupKind, query string) (Report, error) {
	var res Result
	var err error
	switch kind {
	case KindSID:
		res, err = r.BySID(ctx, strings.TrimSpace(query))
	default:
		kind = KindANI
		res, err = r.ByANI(ctx, query)
	}
	rep := Report{Query: query, Kind: kind, Key: res.Key, Found: res.Found, Degraded: res.Degraded,
		Source: res.Source, Version: res.Version, Outcome: res.Outcome, Customer: res.Customer}
	if err != nil {
		rep.Error = err.Error()
		return rep, err
	}
	c := res.Customer
	if c == nil {
		return rep, nil
	}
	rep.Routing = &Routing{Segment: c.Segment, Tier: c.Tier, Priority: res.Priority, Served: res.Served,
		Redirect: res.Redirect, Language: c.Language, Region: c.Region, Products: c.Products}
	if kind == KindSID {
		if t, err := r.Ticket(ctx, res.Key); err == nil && t.Found {
			rep.Ticket = t.Ticket
		}
	}
	for _, p := range c.Products {
		if in, err := r.Incident(ctx, p, c.Region); err == nil && in.Found {
			rep.Incidents = append(rep.Incidents, *in.Incident)
		}
	}
	return rep, nil
}
