package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// sampleCustomer is one row of the sample customers.csv, as the demo's
// callers need it.
type sampleCustomer struct {
	ID, Segment, Tier, Language, Region string
	Products, Phones, SIDs              []string
	// Incident: an ongoing sample incident hits one of its products in its
	// region (the caller hears the outage before the menu).
	Incident bool
	// TicketSID is one of its services with a ticket ("" when none).
	TicketSID string
}

// sampleBook is the sample CRM export the callers are drawn from.
type sampleBook struct {
	bySegment map[string][]*sampleCustomer
	served    []*sampleCustomer // every customer of a served segment
}

// readSampleBook reads customers.csv, tickets.csv and incidents.csv of fsys
// (the folder the importer loaded).
func readSampleBook(fsys fs.FS) (*sampleBook, error) {
	read := func(name string) ([]map[string]string, error) {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("sample data: %w", err)
		}
		defer f.Close()
		return csvRows(f, name)
	}
	customers, err := read("customers.csv")
	if err != nil {
		return nil, err
	}
	tickets, err := read("tickets.csv")
	if err != nil {
		return nil, err
	}
	incidents, err := read("incidents.csv")
	if err != nil {
		return nil, err
	}
	withTicket := map[string]bool{}
	for _, t := range tickets {
		withTicket[t["service_id"]] = true
	}
	hit := func(product, region string) bool {
		for _, in := range incidents {
			if in["product"] == product && (in["region"] == "*" || strings.EqualFold(in["region"], region)) {
				return true
			}
		}
		return false
	}
	b := &sampleBook{bySegment: map[string][]*sampleCustomer{}}
	for _, r := range customers {
		c := &sampleCustomer{ID: r["customer_id"], Segment: r["segment"], Tier: r["tier"], Language: r["language"],
			Region: r["region"], Products: splitList(r["products"]), Phones: splitList(r["phones"]), SIDs: splitList(r["service_ids"])}
		for _, p := range c.Products {
			c.Incident = c.Incident || hit(p, c.Region)
		}
		for _, s := range c.SIDs {
			if withTicket[s] && c.TicketSID == "" {
				c.TicketSID = s
			}
		}
		if len(c.Phones) == 0 || len(c.SIDs) == 0 {
			continue
		}
		b.bySegment[c.Segment] = append(b.bySegment[c.Segment], c)
		if c.Segment != "CONSUMER" {
			b.served = append(b.served, c)
		}
	}
	for _, seg := range []string{"DES", "DGS", "DBS", "DWS", "CONSUMER"} {
		if len(b.bySegment[seg]) == 0 {
			return nil, fmt.Errorf("sample data customers.csv: no %s customer with a phone and a service ID", seg)
		}
	}
	return b, nil
}

func csvRows(r io.Reader, name string) ([]map[string]string, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("sample data %s: %w", name, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("sample data %s: empty", name)
	}
	var out []map[string]string
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(row) {
				m[h] = strings.TrimSpace(row[i])
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// demoCall is one caller of the mix: who calls, what they press, and how
// long they wait in a queue before hanging up (sim time).
type demoCall struct {
	kind     string // what the caller came for (the progress lines count them)
	segment  string // the caller's segment in the CRM ("" unknown number)
	caller   arisim.Caller
	patience time.Duration
}

// Kinds of callers in the mix.
const (
	kindComplaint     = "complaint"
	kindTicketSelf    = "ticket-self-service"
	kindTicketAgent   = "ticket-then-agent"
	kindInformation   = "information"
	kindRequest       = "request"
	kindAgent         = "agent"
	kindEnglish       = "english"
	kindInvalidKeys   = "invalid-keys"
	kindWrongSegment  = "wrong-segment"
	kindUnknownSID    = "unknown-number-sid"
	kindUnknownFailed = "unknown-number-failed"
	kindIVRAbandon    = "ivr-abandon"
	kindIncidentHangs = "incident-hang-up"
)

// demoMix draws callers: a seeded, weighted mix of the sample's segments
// and of what they call for.
type demoMix struct {
	book *sampleBook
	rng  *rand.Rand
}

type weighted[T any] struct {
	w int
	v T
}

func pick[T any](rng *rand.Rand, ws []weighted[T]) T {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	n := rng.IntN(total)
	for _, w := range ws {
		if n < w.w {
			return w.v
		}
		n -= w.w
	}
	return ws[len(ws)-1].v
}

func one[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// productKeys are the complaint menu's keys (configs/tenesa.yaml).
var productKeys = map[string]string{"data_internet": "1", "indihome": "2", "telephony": "3", "wifi_id": "4"}

// next draws the next caller.
func (m *demoMix) next() demoCall {
	r := m.rng
	// patience in the queue: 20 s plus an exponential tail (mean 2.5 min)
	patience := 20*time.Second + time.Duration(r.ExpFloat64()*150)*time.Second
	what := pick(r, []weighted[string]{
		{8, kindWrongSegment}, {7, kindUnknownSID}, {3, kindUnknownFailed}, {5, kindIVRAbandon}, {77, ""},
	})
	switch what {
	case kindWrongSegment:
		cu := one(r, m.book.bySegment["CONSUMER"])
		return demoCall{kind: what, segment: cu.Segment, caller: arisim.Caller{Number: one(r, cu.Phones)}}
	case kindUnknownFailed:
		s := script(m.press("ask-service-id", "99887766#"), m.press("ask-service-id", "1234#"), m.press("ask-service-id", "5550001#"))
		return demoCall{kind: what, caller: arisim.Caller{Number: m.unknownNumber(), Script: s}, patience: patience}
	case kindUnknownSID:
		cu := one(r, m.book.served)
		kind, steps := m.intent(cu, true)
		s := script(m.press("ask-service-id", one(r, cu.SIDs)+"#"), m.incident(cu), steps)
		return demoCall{kind: what + "/" + kind, segment: cu.Segment,
			caller: arisim.Caller{Number: m.unknownNumber(), Script: s}, patience: patience}
	}
	seg := pick(r, []weighted[string]{{30, "DES"}, {20, "DGS"}, {35, "DBS"}, {15, "DWS"}})
	cu := one(r, m.book.bySegment[seg])
	c := demoCall{segment: seg, patience: patience, caller: arisim.Caller{Number: one(r, cu.Phones)}}
	switch {
	case what == kindIVRAbandon:
		c.kind = what
		c.caller.Script = script(m.incident(cu), []arisim.Step{arisim.WaitForPrompt("menu-main"),
			arisim.Wait(time.Duration(1+r.IntN(5)) * time.Second), arisim.HangUp()})
	case cu.Incident && r.IntN(4) == 0: // heard about the outage: nothing more to ask
		c.kind = kindIncidentHangs
		c.caller.Script = []arisim.Step{arisim.WaitForPrompt("incident-continue"), arisim.Wait(time.Second), arisim.HangUp()}
	default:
		var steps []arisim.Step
		c.kind, steps = m.intent(cu, false)
		c.caller.Script = script(m.incident(cu), steps)
	}
	return c
}

// intent draws what an identified caller does in the menus. bySID: the
// caller gave a service ID already (ticket status does not ask again).
func (m *demoMix) intent(cu *sampleCustomer, bySID bool) (string, []arisim.Step) {
	r := m.rng
	kind := pick(r, []weighted[string]{
		{35, kindComplaint}, {20, kindTicketSelf}, {8, kindTicketAgent}, {10, kindInformation},
		{10, kindRequest}, {10, kindAgent}, {4, kindEnglish}, {3, kindInvalidKeys},
	})
	if kind == kindEnglish && cu.Language == "en" {
		kind = kindAgent // already served in English
	}
	switch kind {
	case kindComplaint:
		return kind, script(m.press("menu-main", "1"), m.press("menu-complaint-product", productKeys[one(r, cu.Products)]))
	case kindTicketSelf, kindTicketAgent:
		var steps []arisim.Step
		steps = append(steps, m.press("menu-main", "2")...)
		if !bySID {
			sid := cu.TicketSID
			if sid == "" {
				sid = one(r, cu.SIDs)
			}
			steps = append(steps, m.press("ask-service-id", sid+"#")...)
		}
		if kind == kindTicketSelf {
			return kind, script(steps, m.press("offer-agent", "1"), m.press("further-help", "2"))
		}
		return kind, script(steps, m.press("offer-agent", "0"))
	case kindInformation:
		return kind, script(m.press("menu-main", "3"), m.press("menu-information", one(r, []string{"1", "2"})))
	case kindRequest:
		return kind, script(m.press("menu-main", "4"), m.press("menu-request", one(r, []string{"1", "2"})))
	case kindEnglish:
		return kind, script(m.press("menu-main", "9"), m.press("menu-main", "0"))
	case kindInvalidKeys:
		return kind, script(m.press("menu-main", "7"), m.press("menu-main", "0"))
	}
	return kindAgent, m.press("menu-main", "0")
}

// incident: an affected caller presses 1 to go on after the announcement.
func (m *demoMix) incident(cu *sampleCustomer) []arisim.Step {
	if !cu.Incident {
		return nil
	}
	return m.press("incident-continue", "1")
}

// press waits for a prompt, thinks a moment (the keys often cut the
// prompt short) and presses keys.
func (m *demoMix) press(prompt, keys string) []arisim.Step {
	think := time.Duration(300+m.rng.IntN(2200)) * time.Millisecond
	return []arisim.Step{arisim.WaitForPrompt(prompt), arisim.Wait(think), arisim.Press(keys)}
}

// unknownNumber is a Jakarta number that is not in the sample CRM.
func (m *demoMix) unknownNumber() string {
	return fmt.Sprintf("+62 21 8800 %04d", m.rng.IntN(10000))
}

func script(parts ...[]arisim.Step) []arisim.Step {
	var out []arisim.Step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
