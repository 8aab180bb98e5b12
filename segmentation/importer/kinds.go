package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// RowError is one rejected input row.
type RowError struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

// item is one validated row, ready to write under a version base: a hash
// and string keys pointing at it. Key suffixes double as duplicate keys.
type item struct {
	line   int
	hash   string // key suffix of the hash, e.g. "cust:C001"
	fields []any  // field, value, …
	strs   []string
}

// spec describes one dataset's input.
type spec struct {
	dataset  seg.Dataset
	columns  []string
	required []string
	validate func(rules *seg.Rules, num *seg.Numbering, r rawRow) (item, *RowError)
}

// Column lists (the CSV headers of the issue).
var (
	CustomerColumns = []string{"customer_id", "name", "segment", "tier", "language", "region", "products", "phones", "service_ids", "account_manager"}
	TicketColumns   = []string{"service_id", "ticket_id", "status", "updated_at", "eta"}
	IncidentColumns = []string{"product", "region", "prompt", "started_at", "expected_end"}
)

const (
	cID = iota
	cName
	cSegment
	cTier
	cLanguage
	cRegion
	cProducts
	cPhones
	cServiceIDs
	cAccountManager
)

var customerSpec = spec{
	dataset:  seg.DatasetCustomers,
	columns:  CustomerColumns,
	required: []string{"customer_id", "name", "segment", "tier", "region", "phones", "service_ids"},
	validate: validateCustomer,
}

func rowErr(r rawRow, col []string, i int, format string, a ...any) *RowError {
	return &RowError{Line: r.line, Field: col[i], Reason: fmt.Sprintf(format, a...)}
}

func validateCustomer(rules *seg.Rules, num *seg.Numbering, r rawRow) (item, *RowError) {
	f, col := r.f, CustomerColumns
	for _, i := range []int{cID, cName, cSegment, cTier, cRegion} {
		if f[i] == "" {
			return item{}, rowErr(r, col, i, "required")
		}
	}
	id := f[cID]
	if err := checkID(id, 64); err != "" {
		return item{}, rowErr(r, col, cID, "%s", err)
	}
	segment := strings.ToUpper(f[cSegment])
	if !rules.KnownSegment(segment) {
		return item{}, rowErr(r, col, cSegment, "unknown segment %q (known: %s)", f[cSegment], strings.Join(rules.Segments(), ", "))
	}
	tier := strings.ToLower(f[cTier])
	if !rules.KnownTier(tier) {
		return item{}, rowErr(r, col, cTier, "unknown tier %q (known: %s)", f[cTier], strings.Join(rules.Tiers(), ", "))
	}
	lang := strings.ToLower(f[cLanguage])
	if lang == "" {
		lang = rules.DefaultLanguage()
	} else if !rules.KnownLanguage(lang) {
		return item{}, rowErr(r, col, cLanguage, "unknown language %q", f[cLanguage])
	}
	products := splitList(f[cProducts])
	for i, p := range products {
		p = strings.ToLower(p)
		products[i] = p
		if !rules.KnownProduct(p) {
			return item{}, rowErr(r, col, cProducts, "unknown product %q", p)
		}
	}
	phones, sids := splitList(f[cPhones]), splitList(f[cServiceIDs])
	if len(phones) == 0 && len(sids) == 0 {
		return item{}, &RowError{Line: r.line, Field: "phones", Reason: "neither phones nor service_ids: the customer could not be found"}
	}
	it := item{line: r.line, hash: seg.CustPrefix + id, strs: make([]string, 0, 2*(len(phones)+len(sids)))}
	for i, p := range phones {
		e164, err := num.Normalize(p)
		if err != nil {
			return item{}, &RowError{Line: r.line, Field: fmt.Sprintf("phones[%d]", i+1), Reason: err.Error()}
		}
		it.strs = append(it.strs, seg.ANIPrefix+e164, id)
	}
	for i, s := range sids {
		if err := seg.CheckServiceID(s); err != nil {
			return item{}, &RowError{Line: r.line, Field: fmt.Sprintf("service_ids[%d]", i+1), Reason: err.Error()}
		}
		it.strs = append(it.strs, seg.SIDPrefix+s, id)
	}
	it.fields = []any{
		"name", f[cName], "segment", segment, "tier", tier, "language", lang,
		"region", strings.ToLower(f[cRegion]), "products", strings.Join(products, seg.ListSep),
	}
	if f[cAccountManager] != "" {
		it.fields = append(it.fields, "account_manager", f[cAccountManager])
	}
	return it, nil
}

var ticketSpec = spec{
	dataset:  seg.DatasetTickets,
	columns:  TicketColumns,
	required: []string{"service_id", "ticket_id", "status", "updated_at"},
	validate: validateTicket,
}

func validateTicket(_ *seg.Rules, _ *seg.Numbering, r rawRow) (item, *RowError) {
	f, col := r.f, TicketColumns
	for i := range 4 {
		if f[i] == "" {
			return item{}, rowErr(r, col, i, "required")
		}
	}
	if err := seg.CheckServiceID(f[0]); err != nil {
		return item{}, rowErr(r, col, 0, "%v", err)
	}
	if err := checkID(f[1], 64); err != "" {
		return item{}, rowErr(r, col, 1, "%s", err)
	}
	status := strings.ToLower(f[2])
	if !slices.Contains(seg.TicketStatuses, status) {
		return item{}, rowErr(r, col, 2, "unknown status %q (known: %s)", f[2], strings.Join(seg.TicketStatuses, ", "))
	}
	updated, err := parseTime(f[3])
	if err != nil {
		return item{}, rowErr(r, col, 3, "%v", err)
	}
	it := item{line: r.line, hash: seg.TicketPrefix + f[0], fields: []any{"ticket_id", f[1], "status", status, "updated_at", updated}}
	if f[4] != "" {
		eta, err := parseTime(f[4])
		if err != nil {
			return item{}, rowErr(r, col, 4, "%v", err)
		}
		it.fields = append(it.fields, "eta", eta)
	}
	return it, nil
}

var incidentSpec = spec{
	dataset:  seg.DatasetIncidents,
	columns:  IncidentColumns,
	required: []string{"product", "region", "prompt", "started_at"},
	validate: validateIncident,
}

func validateIncident(rules *seg.Rules, _ *seg.Numbering, r rawRow) (item, *RowError) {
	f, col := r.f, IncidentColumns
	for i := range 4 {
		if f[i] == "" {
			return item{}, rowErr(r, col, i, "required")
		}
	}
	product, region := strings.ToLower(f[0]), strings.ToLower(f[1])
	if !rules.KnownProduct(product) {
		return item{}, rowErr(r, col, 0, "unknown product %q", f[0])
	}
	if region != seg.AllRegions {
		if err := checkID(region, 64); err != "" {
			return item{}, rowErr(r, col, 1, "%s", err)
		}
	}
	started, err := parseTime(f[3])
	if err != nil {
		return item{}, rowErr(r, col, 3, "%v", err)
	}
	it := item{line: r.line, hash: seg.IncidentPrefix + product + ":" + region,
		fields: []any{"region", region, "prompt", f[2], "started_at", started}}
	if f[4] != "" {
		end, err := parseTime(f[4])
		if err != nil {
			return item{}, rowErr(r, col, 4, "%v", err)
		}
		if end < started {
			return item{}, rowErr(r, col, 4, "before started_at")
		}
		it.fields = append(it.fields, "expected_end", end)
	}
	return it, nil
}

// parseTime accepts RFC 3339 and returns it normalised to UTC RFC 3339 (so
// that text comparison orders times).
func parseTime(s string) (string, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "", fmt.Errorf("%q is not an RFC 3339 time (e.g. 2026-11-27T08:00:00+07:00)", s)
	}
	return t.UTC().Format(time.RFC3339), nil
}

func checkID(s string, maxLen int) string {
	if len(s) > maxLen {
		return fmt.Sprintf("longer than %d characters", maxLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_' || c == '.') {
			return fmt.Sprintf("%q: only letters, digits, '-', '_' and '.' are allowed", s)
		}
	}
	return ""
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, seg.ListSep)
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
