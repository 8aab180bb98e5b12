package importer

import (
	"fmt"
	"hash/maphash"
	"regexp"
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

// item is one validated row, ready to write under a version base.
// Tickets and incidents: one hash (key suffix, fields). Customers: a
// record in a cb bucket and its numbers and service IDs in ab and sb
// buckets. keys are the row's unique keys (customer ID, numbers, service
// IDs; the hash suffix for the others), with the hash the committer dedupes
// on and the bucket they are written to.
type item struct {
	line   int
	hash   string // key suffix of the hash, e.g. "ticket:470301000101"
	fields []any  // field, value, …
	id     string // customer ID
	rec    string // customer record (segmentation.EncodeCustomer)
	keys   []ukey
}

// ukey is one unique key of a row.
type ukey struct {
	s      string
	h      uint64 // dedupe hash (kind mixed in)
	kind   keyKind
	bucket int32
}

type keyKind uint8

const (
	kindHash keyKind = iota // tickets, incidents: the hash key suffix
	kindID                  // customer_id → cb
	kindANI                 // phones → ab
	kindSID                 // service_ids → sb
)

var kindPrefix = [...]string{kindID: seg.CustBucketPrefix, kindANI: seg.ANIBucketPrefix, kindSID: seg.SIDBucketPrefix}

func (k keyKind) field() string {
	switch k {
	case kindID:
		return "customer_id"
	case kindANI:
		return "phones"
	case kindSID:
		return "service_ids"
	}
	return "key"
}

// validator is one validating worker's state.
type validator struct {
	rules   *seg.Rules
	num     *seg.Numbering
	seed    maphash.Seed
	buckets int
	buf     []byte
	prompts map[string]bool // known prompt ids; nil: only their form is checked
	// regions: lower-case region or alias → region name; nil: as given.
	regions  map[string]string
	unmapped *unmappedRegions
}

// region returns the name a (lower-case) region is stored under, and
// records a value the table lacks; called once a row is otherwise valid
// (a row the committer then rejects as a duplicate still counts).
func (v *validator) region(r string) string {
	if v.regions == nil || r == seg.AllRegions {
		return r
	}
	if name, ok := v.regions[r]; ok {
		return name
	}
	if v.unmapped != nil {
		v.unmapped.add(r)
	}
	return r
}

// promptName is the form of a prompt id (deployments/asterisk/sounds).
var promptName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func (v *validator) key(kind keyKind, s string) ukey {
	k := ukey{s: s, kind: kind, h: maphash.String(v.seed, s) ^ uint64(kind)*0x9e3779b97f4a7c15}
	if kind != kindHash {
		k.bucket = int32(seg.Bucket(s, v.buckets))
	}
	return k
}

// spec describes one dataset's input.
type spec struct {
	dataset  seg.Dataset
	columns  []string
	required []string
	validate func(v *validator, r rawRow) (item, *RowError)
	// keyField names the column a duplicate hash key (tickets, incidents)
	// is reported under.
	keyField string
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

// Length limits of customer fields, in bytes: a name is what an agent reads
// on screen, codes are short; a list holds a few dozen items at most.
const (
	MaxNameLen     = 200 // name, account_manager
	MaxCodeLen     = 64  // segment, tier, language, region
	MaxListLen     = 2048
	MaxListItems   = 32 // products, phones, service_ids each
	MaxPromptIDLen = 128
)

var customerLimits = [...]int{
	cID: 64, cName: MaxNameLen, cSegment: MaxCodeLen, cTier: MaxCodeLen, cLanguage: MaxCodeLen,
	cRegion: MaxCodeLen, cProducts: MaxListLen, cPhones: MaxListLen, cServiceIDs: MaxListLen,
	cAccountManager: MaxNameLen,
}

var customerSpec = spec{
	dataset:  seg.DatasetCustomers,
	columns:  CustomerColumns,
	required: []string{"customer_id", "name", "segment", "tier", "region", "phones", "service_ids"},
	validate: validateCustomer,
}

func rowErr(r rawRow, col []string, i int, format string, a ...any) *RowError {
	return &RowError{Line: r.line, Field: col[i], Reason: capReason(fmt.Sprintf(format, a...))}
}

func validateCustomer(v *validator, r rawRow) (item, *RowError) {
	rules, num := v.rules, v.num
	f, col := r.f, CustomerColumns
	for _, i := range []int{cID, cName, cSegment, cTier, cRegion} {
		if f[i] == "" {
			return item{}, rowErr(r, col, i, "required")
		}
	}
	for i, limit := range customerLimits {
		if len(f[i]) > limit {
			return item{}, rowErr(r, col, i, "%d bytes, longer than %d", len(f[i]), limit)
		}
	}
	id := f[cID]
	if err := checkID(id, 64); err != "" {
		return item{}, rowErr(r, col, cID, "%s", err)
	}
	segment := upper(f[cSegment])
	if !rules.KnownSegment(segment) {
		return item{}, rowErr(r, col, cSegment, "unknown segment %s (known: %s)", echo(f[cSegment]), strings.Join(rules.Segments(), ", "))
	}
	tier := lower(f[cTier])
	if !rules.KnownTier(tier) {
		return item{}, rowErr(r, col, cTier, "unknown tier %s (known: %s)", echo(f[cTier]), strings.Join(rules.Tiers(), ", "))
	}
	lang := lower(f[cLanguage])
	if lang == "" {
		lang = rules.DefaultLanguage()
	} else if !rules.KnownLanguage(lang) {
		return item{}, rowErr(r, col, cLanguage, "unknown language %s", echo(f[cLanguage]))
	}
	region := lower(f[cRegion])
	for _, i := range []int{cName, cRegion, cAccountManager} {
		if strings.IndexByte(f[i], seg.RecordSep) >= 0 {
			return item{}, rowErr(r, col, i, "contains a control character (0x1f)")
		}
	}
	var prodBuf, phoneBuf, sidBuf [4]string // most rows: one or two of each, no allocation
	products := splitListInto(prodBuf[:0], f[cProducts])
	if len(products) > MaxListItems {
		return item{}, rowErr(r, col, cProducts, "%d items, more than %d", len(products), MaxListItems)
	}
	for i, p := range products {
		p = lower(p)
		products[i] = p
		if !rules.KnownProduct(p) {
			return item{}, rowErr(r, col, cProducts, "unknown product %s", echo(p))
		}
	}
	phones, sids := splitListInto(phoneBuf[:0], f[cPhones]), splitListInto(sidBuf[:0], f[cServiceIDs])
	for _, l := range [...]struct{ i, n int }{{cPhones, len(phones)}, {cServiceIDs, len(sids)}} {
		if l.n > MaxListItems {
			return item{}, rowErr(r, col, l.i, "%d items, more than %d", l.n, MaxListItems)
		}
	}
	if len(phones) == 0 && len(sids) == 0 {
		return item{}, &RowError{Line: r.line, Field: "phones", Reason: "neither phones nor service_ids: the customer could not be found"}
	}
	it := item{line: r.line, id: id, keys: make([]ukey, 0, 1+len(phones)+len(sids))}
	it.keys = append(it.keys, v.key(kindID, id))
	for i, p := range phones {
		e164, err := num.Normalize(p)
		if err != nil {
			return item{}, &RowError{Line: r.line, Field: fmt.Sprintf("phones[%d]", i+1), Reason: err.Error()}
		}
		it.keys = append(it.keys, v.key(kindANI, e164))
	}
	for i, s := range sids {
		if err := seg.CheckServiceID(s); err != nil {
			return item{}, &RowError{Line: r.line, Field: fmt.Sprintf("service_ids[%d]", i+1), Reason: err.Error()}
		}
		it.keys = append(it.keys, v.key(kindSID, s))
	}
	region = v.region(region)
	c := seg.Customer{Name: f[cName], Segment: segment, Tier: tier, Language: lang, Region: region,
		Products: products, AccountManager: f[cAccountManager]}
	v.buf = seg.EncodeCustomer(v.buf[:0], &c)
	it.rec = string(v.buf)
	return it, nil
}

// lower and upper skip the allocation when s is already in the case.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c >= 0x80 {
			return strings.ToUpper(s)
		}
	}
	return s
}

var ticketSpec = spec{
	dataset:  seg.DatasetTickets,
	columns:  TicketColumns,
	required: []string{"service_id", "ticket_id", "status", "updated_at"},
	validate: validateTicket,
	keyField: "service_id",
}

func validateTicket(v *validator, r rawRow) (item, *RowError) {
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
		return item{}, rowErr(r, col, 2, "unknown status %s (known: %s)", echo(f[2]), strings.Join(seg.TicketStatuses, ", "))
	}
	updated, err := parseTime(f[3])
	if err != nil {
		return item{}, rowErr(r, col, 3, "%v", err)
	}
	it := item{line: r.line, hash: seg.TicketPrefix + f[0], fields: []any{"ticket_id", f[1], "status", status, "updated_at", updated}}
	it.keys = []ukey{v.key(kindHash, it.hash)}
	if f[4] != "" {
		eta, err := parseTime(f[4])
		if err != nil {
			return item{}, rowErr(r, col, 4, "%v", err)
		}
		if eta < updated {
			return item{}, rowErr(r, col, 4, "before updated_at")
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
	keyField: "region",
}

func validateIncident(v *validator, r rawRow) (item, *RowError) {
	rules := v.rules
	f, col := r.f, IncidentColumns
	for i := range 4 {
		if f[i] == "" {
			return item{}, rowErr(r, col, i, "required")
		}
	}
	product, region := strings.ToLower(f[0]), strings.ToLower(f[1])
	if !rules.KnownProduct(product) {
		return item{}, rowErr(r, col, 0, "unknown product %s", echo(f[0]))
	}
	if region != seg.AllRegions {
		if err := checkID(region, 64); err != "" {
			return item{}, rowErr(r, col, 1, "%s", err)
		}
	}
	if len(f[2]) > MaxPromptIDLen || !promptName.MatchString(f[2]) {
		return item{}, rowErr(r, col, 2, "%s is not a prompt id (lower-case words joined by '-')", echo(f[2]))
	}
	if v.prompts != nil && !v.prompts[f[2]] {
		return item{}, rowErr(r, col, 2, "%s is not in the prompt manifest", echo(f[2]))
	}
	started, err := parseTime(f[3])
	if err != nil {
		return item{}, rowErr(r, col, 3, "%v", err)
	}
	region = v.region(region)
	it := item{line: r.line, hash: seg.IncidentPrefix + product + ":" + region,
		fields: []any{"region", region, "prompt", f[2], "started_at", started}}
	it.keys = []ukey{v.key(kindHash, it.hash)}
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
		return "", fmt.Errorf("%s is not an RFC 3339 time (e.g. 2026-11-27T08:00:00+07:00)", echo(s))
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
			return fmt.Sprintf("%s: only letters, digits, '-', '_' and '.' are allowed", echo(s))
		}
	}
	return ""
}

// splitListInto appends the items of a ";"-separated list to dst.
func splitListInto(dst []string, s string) []string {
	for s != "" {
		item, rest, _ := strings.Cut(s, seg.ListSep)
		if item = strings.TrimSpace(item); item != "" {
			dst = append(dst, item)
		}
		s = rest
	}
	return dst
}
