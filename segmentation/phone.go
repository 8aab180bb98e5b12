package segmentation

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Reasons a caller ID or CRM phone field is not a plausible number of the
// numbering plan. Test with errors.Is; the *NumberError carries the detail.
var (
	ErrNumberEmpty       = errors.New("empty number")
	ErrNumberNotANumber  = errors.New("not a phone number")
	ErrNumberTooShort    = errors.New("too short")
	ErrNumberTooLong     = errors.New("too long")
	ErrNumberForeign     = errors.New("not a number of the numbering plan")
	ErrNumberUnallocated = errors.New("not in an allocated number range")
)

// NumberError says why a raw number was rejected. It never holds the raw
// input: callers log it, and a phone number is personal data.
type NumberError struct {
	Reason error  // one of the ErrNumber* sentinels
	Detail string // e.g. `country code +65`, `9 digits after +62, need 8 to 13`
}

func (e *NumberError) Error() string {
	if e.Detail == "" {
		return e.Reason.Error()
	}
	return e.Reason.Error() + ": " + e.Detail
}

func (e *NumberError) Unwrap() error { return e.Reason }

// maxDigits bounds the digits we collect: E.164 allows 15, trunk forms add an
// international prefix (00x) in front.
const maxDigits = 20

// Numbering normalises raw numbers of one region (Indonesia, "ID", by default)
// to E.164. Its validity rules are libphonenumber's metadata for that region
// (github.com/nyaruka/phonenumbers), compiled once into anchored regular
// expressions: the same decision as phonenumbers.IsValidNumberForRegion,
// without the per-call pattern building that makes Parse cost ~40µs.
// A Numbering is immutable and safe for concurrent use.
type Numbering struct {
	region string
	cc     string // "62"
	plus   string // "+62"
	natPfx string // "0"
	// iddPrefixes are the literal international prefixes the metadata's
	// pattern allows ("008", "009" for ID), longest first.
	iddPrefixes  [][]byte
	ccB, natPfxB []byte
	minLen       int
	maxLen       int
	general      numberDesc
	types        []numberDesc
	lenTable     [maxDigits + 1]bool // NSN lengths any type allows
}

type numberDesc struct {
	lengths []int32
	re      *regexp.Regexp
	dfa     *digitDFA // the same pattern as an automaton over digits; nil: use re
}

func (d numberDesc) match(nsn string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.matchPattern(nsn)
}

// matchPattern matches the pattern alone; nsn is all digits.
func (d numberDesc) matchPattern(nsn string) bool {
	if d.dfa != nil {
		return d.dfa.match(nsn)
	}
	return d.re.MatchString(nsn)
}

var (
	numberingMu    sync.Mutex
	numberingCache = map[string]*Numbering{}
)

// NumberingFor returns the numbering plan of a region code ("ID" when empty).
func NumberingFor(region string) (*Numbering, error) {
	if region == "" {
		region = "ID"
	}
	region = strings.ToUpper(region)
	numberingMu.Lock()
	defer numberingMu.Unlock()
	if n, ok := numberingCache[region]; ok {
		return n, nil
	}
	n, err := compileNumbering(region)
	if err != nil {
		return nil, err
	}
	numberingCache[region] = n
	return n, nil
}

// Indonesia is the numbering plan of region ID.
func Indonesia() *Numbering {
	n, err := NumberingFor("ID")
	if err != nil {
		// The metadata is embedded in the phonenumbers module; failing here
		// means a broken build, not bad input.
		panic(fmt.Sprintf("segmentation: libphonenumber metadata for ID: %v", err))
	}
	return n
}

func compileNumbering(region string) (*Numbering, error) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, fmt.Errorf("load phone metadata: %w", err)
	}
	var md *phonenumbers.PhoneMetadata
	for _, m := range coll.GetMetadata() {
		if m.GetId() == region {
			md = m
			break
		}
	}
	if md == nil {
		return nil, fmt.Errorf("unknown phone region %q", region)
	}
	compile := func(d *phonenumbers.PhoneNumberDesc) (numberDesc, bool, error) {
		p := d.GetNationalNumberPattern()
		if p == "" {
			return numberDesc{}, false, nil
		}
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return numberDesc{}, false, fmt.Errorf("phone metadata %s: %w", region, err)
		}
		var lens []int32
		for _, l := range d.GetPossibleLength() {
			if l > 0 {
				lens = append(lens, l)
			}
		}
		dfa, _ := compileDigitDFA("^(?:" + p + ")$")
		return numberDesc{lengths: lens, re: re, dfa: dfa}, true, nil
	}
	n := &Numbering{
		region: region,
		cc:     strconv.Itoa(int(md.GetCountryCode())),
		natPfx: md.GetNationalPrefixForParsing(),
	}
	if n.natPfx == "" || strings.ContainsAny(n.natPfx, "()[]|?*+\\") {
		n.natPfx = md.GetNationalPrefix()
	}
	n.plus = "+" + n.cc
	if p := md.GetInternationalPrefix(); p != "" {
		idd, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, fmt.Errorf("phone metadata %s: %w", region, err)
		}
		for l := 4; l >= 2; l-- { // every literal prefix of 2 to 4 digits it matches
			for i := 0; i < pow10(l); i++ {
				if s := fmt.Sprintf("%0*d", l, i); idd.MatchString(s) {
					n.iddPrefixes = append(n.iddPrefixes, []byte(s))
				}
			}
		}
	}
	n.ccB, n.natPfxB = []byte(n.cc), []byte(n.natPfx)
	var ok bool
	if n.general, ok, err = compile(md.GetGeneralDesc()); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("phone metadata %s: no general pattern", region)
	}
	// Valid means "matches some type" (phonenumbers' getNumberTypeHelper !=
	// UNKNOWN); the order only matters for speed: the common types first.
	for _, d := range []*phonenumbers.PhoneNumberDesc{
		md.GetMobile(), md.GetFixedLine(), md.GetTollFree(), md.GetPremiumRate(),
		md.GetSharedCost(), md.GetVoip(), md.GetPersonalNumber(), md.GetPager(),
		md.GetUan(), md.GetVoicemail(),
	} {
		nd, ok, err := compile(d)
		if err != nil {
			return nil, err
		}
		if ok {
			n.types = append(n.types, nd)
		}
	}
	n.minLen, n.maxLen = maxDigits, 0
	for _, l := range n.general.lengths {
		n.minLen = min(n.minLen, int(l))
		n.maxLen = max(n.maxLen, int(l))
		if int(l) <= maxDigits {
			n.lenTable[l] = true
		}
	}
	if n.maxLen == 0 {
		n.minLen, n.maxLen = 1, maxDigits
	}
	return n, nil
}

// Region is the region code, e.g. "ID".
func (n *Numbering) Region() string { return n.region }

// CountryCode is the calling code without "+", e.g. "62".
func (n *Numbering) CountryCode() string { return n.cc }

// Normalize turns any form a caller ID, a SIP URI or a CRM export carries into
// E.164 ("+62215551234"): "+62 21 5551234", "021-555-1234", "(021) 5551234",
// "62 812 3456 7890", "0812-3456-7890", "+62 (0)21 5551234", "0062…",
// "tel:+62…", "sip:0812…@host;user=phone", or the national significant number
// alone as some trunks send it. Anything else is a *NumberError.
func (n *Numbering) Normalize(raw string) (string, error) {
	var buf [maxDigits + 4]byte
	b, err := n.appendCandidate(buf[:0], raw)
	if err != nil {
		return "", err
	}
	if err := n.check(string(b[len(n.plus):])); err != nil {
		return "", err
	}
	return string(b), nil
}

// Candidate writes the E.164 form raw would normalise to, without validating
// it against the numbering plan, and without allocating. It is the cache key
// of the hot path: a cache holding only validated numbers can be probed with
// it before paying for validation. ok is false when raw is not number-shaped.
func (n *Numbering) Candidate(dst []byte, raw string) (out []byte, ok bool) {
	out, err := n.appendCandidate(dst, raw)
	return out, err == nil
}

// appendCandidate strips a raw number down to "+<cc><nsn>".
func (n *Numbering) appendCandidate(dst []byte, raw string) ([]byte, error) {
	out, _, err := n.appendReading(dst, raw, false)
	return out, err
}

// Readings lists every valid E.164 reading of raw, in a defined order:
// Normalize's reading first (libphonenumber's choice), then the other. Only
// the country code written without "+" or "00" ("62 22 1234567": Bandung's
// 022 dialled internationally, or a national 0622 number without its trunk
// prefix) has two; any other form has one. When none is valid the error is
// Normalize's.
func (n *Numbering) Readings(raw string) ([]string, error) {
	var buf [maxDigits + 4]byte
	b, err := n.appendCandidate(buf[:0], raw)
	if err != nil {
		return nil, err
	}
	first := string(b)
	firstErr := n.check(first[len(n.plus):])
	var out []string
	if firstErr == nil {
		out = append(out, first)
	}
	if d, ambiguous, _ := n.appendReading(buf[:0], raw, true); ambiguous {
		rest := d[len(n.ccB):]
		if len(n.natPfxB) > 0 && bytes.HasPrefix(rest, n.natPfxB) {
			rest = rest[len(n.natPfxB):]
		}
		for _, nsn := range [2][]byte{d, rest} {
			if e := n.plus + string(nsn); e != first && n.check(string(nsn)) == nil {
				out = append(out, e)
			}
		}
	}
	if len(out) == 0 {
		return nil, firstErr
	}
	return out, nil
}

// lookupKey writes the cache key of raw without validating it: its E.164
// candidate, or for the ambiguous form (the country code without "+") its
// digits alone, "62…", which no E.164 key equals; ambiguous says which.
func (n *Numbering) lookupKey(dst []byte, raw string) (out []byte, ambiguous, ok bool) {
	out, ambiguous, err := n.appendReading(dst, raw, true)
	return out, ambiguous, err == nil
}

// appendReading strips a raw number down to "+<cc><nsn>". With keepAmbiguous,
// a number starting with the country code but no "+" (two readings) is
// written as its digits alone and reported ambiguous.
func (n *Numbering) appendReading(dst []byte, raw string, keepAmbiguous bool) ([]byte, bool, error) {
	s := stripURI(raw)
	var digits [maxDigits]byte
	nd, plus := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if nd == maxDigits {
				return dst, false, &NumberError{Reason: ErrNumberTooLong, Detail: "more than 20 digits"}
			}
			digits[nd] = c
			nd++
		case c == '+':
			if plus || nd > 0 {
				return dst, false, &NumberError{Reason: ErrNumberNotANumber, Detail: "'+' inside the number"}
			}
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t':
		default:
			return dst, false, &NumberError{Reason: ErrNumberNotANumber, Detail: "contains " + charName(c)}
		}
	}
	if nd == 0 {
		if plus || strings.TrimSpace(raw) != "" {
			return dst, false, &NumberError{Reason: ErrNumberNotANumber, Detail: "no digits"}
		}
		return dst, false, &NumberError{Reason: ErrNumberEmpty}
	}
	d := digits[:nd]
	if !plus && len(d) > 2 && d[0] == '0' && d[1] == '0' {
		// "0062…", "00862…": an international prefix is as good as "+".
		plus = true
		d = d[2:]
		for _, p := range n.iddPrefixes {
			if bytes.HasPrefix(digits[:nd], p) {
				d = digits[len(p):nd]
				break
			}
		}
	}
	switch {
	case plus:
		if !bytes.HasPrefix(d, n.ccB) {
			return dst, false, foreignError(string(d))
		}
		d = d[len(n.ccB):]
		if len(n.natPfxB) > 0 && bytes.HasPrefix(d, n.natPfxB) {
			d = d[len(n.natPfxB):] // "+62 (0)21 …"
		}
	case len(n.natPfxB) > 0 && bytes.HasPrefix(d, n.natPfxB):
		d = d[len(n.natPfxB):]
	case bytes.HasPrefix(d, n.ccB):
		// "62 812…" or an area code such as 0622 sent without its trunk
		// prefix: libphonenumber's rule (maybeExtractCountryCode) decides.
		if keepAmbiguous {
			return append(dst, d...), true, nil
		}
		rest := d[len(n.ccB):]
		if len(n.natPfxB) > 0 && bytes.HasPrefix(rest, n.natPfxB) {
			rest = rest[len(n.natPfxB):]
		}
		if len(d) > n.maxLen || n.preferRest(string(d), string(rest)) {
			d = rest
		}
	}
	dst = append(dst, n.plus...)
	return append(dst, d...), false, nil
}

// preferRest mirrors libphonenumber: strip a bare country code when the
// whole is not a number of the plan but the rest is. Called only for the
// ambiguous "62…" form; it allocates its two strings.
//
//go:noinline
func (n *Numbering) preferRest(whole, rest string) bool {
	return !n.general.match(whole) && n.general.match(rest)
}

func pow10(l int) int {
	p := 1
	for range l {
		p *= 10
	}
	return p
}

// check validates a national significant number against the metadata.
func (n *Numbering) check(nsn string) error {
	if len(nsn) < n.minLen {
		return &NumberError{Reason: ErrNumberTooShort, Detail: lengthDetail(len(nsn), n)}
	}
	if len(nsn) > n.maxLen {
		return &NumberError{Reason: ErrNumberTooLong, Detail: lengthDetail(len(nsn), n)}
	}
	if !n.lenTable[len(nsn)] || !n.general.matchPattern(nsn) {
		return &NumberError{Reason: ErrNumberUnallocated, Detail: "no " + n.region + " number range matches"}
	}
	for _, t := range n.types {
		if t.match(nsn) {
			return nil
		}
	}
	return &NumberError{Reason: ErrNumberUnallocated, Detail: "no " + n.region + " number type matches"}
}

func lengthDetail(got int, n *Numbering) string {
	return fmt.Sprintf("%d digits after %s, need %d to %d", got, n.plus, n.minLen, n.maxLen)
}

// foreignError names the country code of a number of another plan.
func foreignError(d string) error {
	for l := 1; l <= 3 && l <= len(d); l++ {
		cc, _ := strconv.Atoi(d[:l])
		if r := phonenumbers.GetRegionCodeForCountryCode(cc); r != "" && r != "ZZ" {
			return &NumberError{Reason: ErrNumberForeign, Detail: fmt.Sprintf("country code +%d (%s)", cc, r)}
		}
	}
	return &NumberError{Reason: ErrNumberForeign, Detail: "unknown country code"}
}

// stripURI removes a tel:/sip: scheme, a display name in angle brackets, the
// host part and URI parameters: what Asterisk and SIP trunks put around a
// caller ID.
func stripURI(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	s = strings.TrimSpace(s)
	if s == "" || (s[0]|0x20 != 't' && s[0]|0x20 != 's') {
		return s
	}
	for _, scheme := range [...]string{"tel:", "sip:", "sips:", "TEL:", "SIP:", "SIPS:"} {
		if strings.HasPrefix(s, scheme) {
			s = s[len(scheme):]
			if i := strings.IndexAny(s, "@;"); i >= 0 {
				s = s[:i]
			}
			break
		}
	}
	return s
}

func charName(c byte) string {
	switch {
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		return "letters"
	case c < 0x20 || c >= 0x7f:
		return "a control or non-ASCII byte"
	default:
		return strconv.QuoteRune(rune(c))
	}
}

// NormalizeNumber normalises raw with the Indonesian numbering plan.
func NormalizeNumber(raw string) (string, error) { return Indonesia().Normalize(raw) }
