// Package say turns numbers, dates, times of day, durations and
// alphanumeric identifiers into the prompt ids that speak them in the
// caller's language: "en" is English, anything else Bahasa Indonesia (the
// line's default). The ids are prompts of the manifest
// deployments/asterisk/sounds/prompts.yaml, played as
// sound:tenesa/<lang>/<id> like every other prompt, so a value is heard in
// the same voice and language as the sentence around it. Asterisk's own
// number:/digits:/characters: media speak only the channel language, and
// Asterisk has neither Indonesian say rules nor Indonesian digit sounds.
//
// The package is pure: no I/O, no clock; every function is total (any int,
// any string) and returns only ids listed by Prompts.
//
// Grammar:
//
//   - Indonesian cardinals: nol, satu … sembilan, sepuluh, sebelas,
//     dua belas … sembilan belas (one prompt each), dua puluh, dua puluh
//     tujuh, seratus, seratus satu, dua ratus, seribu, seribu dua ratus,
//     dua ribu, seratus satu ribu, satu juta (the standard form, not
//     "sejuta"), dua juta. The "se-" forms are their own prompts (num-100
//     seratus, num-1000 seribu); other multiples are the count followed by
//     num-hundreds (ratus), num-thousands (ribu), num-million (juta).
//   - English cardinals, British style as said on a telephone line:
//     eleven, twenty-seven (num-20 num-7), one hundred and one, one
//     thousand two hundred, one thousand and five, two million and twenty:
//     "and" after a hundred and before a last group below one hundred.
//   - Dates: Indonesian "dua puluh tujuh Desember dua ribu dua puluh enam"
//     (cardinal day, month, year as a number); English "December
//     twenty-seventh, twenty twenty-six" (month, ordinal day, the year in
//     pairs when it has no zero tens, else as a number: two thousand and
//     five).
//   - Times of day: Indonesian 24-hour as written, "pukul 14.30 WIB" is
//     "pukul empat belas tiga puluh W I B" (14.05: "empat belas nol lima",
//     14.00: "empat belas"); English 12-hour, "at two thirty p.m. Western
//     Indonesia Time" (two oh five p.m., two p.m., twelve a.m. at midnight,
//     twelve p.m. at noon).
//   - Identifiers: every letter and digit on its own (letter-a … letter-z,
//     num-0 … num-9), anything else (separators, non-ASCII) dropped.
package say

import (
	"sort"
	"strconv"
	"time"
)

// Max is the largest number spoken as a number; beyond it (and below
// -Max) a number is spoken digit by digit.
const Max = 999_999_999

// Fixed prompt ids.
const (
	Hundred      = "num-100"       // seratus / one hundred
	Hundreds     = "num-hundreds"  // ratus / hundred
	Thousand     = "num-1000"      // seribu / one thousand
	Thousands    = "num-thousands" // ribu / thousand
	Million      = "num-million"   // juta / million
	And          = "num-and"       // English only: one hundred and one
	Minus        = "num-minus"     // minus
	Oh           = "num-oh"        // English only: two oh five p.m.
	AtTime       = "at-time"       // pukul / at
	AM           = "time-am"       // English only
	PM           = "time-pm"       // English only
	MinuteUnit   = "dur-minute"    // English only: one minute
	MinutesUnit  = "dur-minutes"   // menit / minutes
	monthPrefix  = "month-"        // month-01 … month-12
	letterPrefix = "letter-"       // letter-a … letter-z
)

// zones maps the time zone names of the line (configs.TimeZones) to the
// prompt that says them.
var zones = map[string]string{"WIB": "tz-wib", "WITA": "tz-wita", "WIT": "tz-wit"}

// ZonePrompt is the prompt that says a zone name (WIB, WITA, WIT); false
// for any other name.
func ZonePrompt(zone string) (string, bool) {
	p, ok := zones[zone]
	return p, ok
}

func english(lang string) bool { return lang == "en" }

func num(n int) string { return "num-" + strconv.Itoa(n) }

// Number speaks n as a cardinal number in lang. Numbers beyond ±Max are
// spoken digit by digit.
func Number(lang string, n int) []string {
	if n > Max || n < -Max {
		return digitsOf(strconv.Itoa(n))
	}
	if n < 0 {
		return append([]string{Minus}, Number(lang, -n)...)
	}
	if n == 0 {
		return []string{num(0)}
	}
	if english(lang) {
		return enNumber(nil, n)
	}
	return idNumber(nil, n)
}

func digitsOf(s string) []string {
	out := make([]string, 0, len(s))
	for _, ch := range s {
		if ch == '-' {
			out = append(out, Minus)
		} else {
			out = append(out, num(int(ch-'0')))
		}
	}
	return out
}

// idNumber appends Indonesian words for 1 <= n <= Max.
func idNumber(out []string, n int) []string {
	var rest int
	switch {
	case n < 20:
		return append(out, num(n))
	case n < 100:
		out, rest = append(out, num(n/10*10)), n%10
	case n < 1000:
		if n/100 == 1 {
			out = append(out, Hundred)
		} else {
			out = append(idNumber(out, n/100), Hundreds)
		}
		rest = n % 100
	case n < 1_000_000:
		if n/1000 == 1 {
			out = append(out, Thousand)
		} else {
			out = append(idNumber(out, n/1000), Thousands)
		}
		rest = n % 1000
	default:
		out, rest = append(idNumber(out, n/1_000_000), Million), n%1_000_000
	}
	if rest > 0 {
		out = idNumber(out, rest)
	}
	return out
}

// enNumber appends English words for 1 <= n <= Max.
func enNumber(out []string, n int) []string {
	if m := n / 1_000_000; m > 0 {
		out = append(enBelow1000(out, m), Million)
	}
	if t := n / 1000 % 1000; t == 1 {
		out = append(out, Thousand)
	} else if t > 1 {
		out = append(enBelow1000(out, t), Thousands)
	}
	last := n % 1000
	if n >= 1000 && last > 0 && last < 100 {
		out = append(out, And) // one thousand and five
	}
	if last > 0 {
		out = enBelow1000(out, last)
	}
	return out
}

// enBelow1000 appends English words for 1 <= n <= 999.
func enBelow1000(out []string, n int) []string {
	if h := n / 100; h == 1 {
		out = append(out, Hundred)
	} else if h > 1 {
		out = append(out, num(h), Hundreds)
	}
	r := n % 100
	if r == 0 {
		return out
	}
	if n >= 100 {
		out = append(out, And) // one hundred and one
	}
	if r < 20 {
		return append(out, num(r))
	}
	out = append(out, num(r/10*10))
	if r%10 > 0 {
		out = append(out, num(r%10))
	}
	return out
}

// ordinal speaks 1 <= day <= 31 as an English ordinal: first, twenty-seventh.
func ordinal(day int) []string {
	switch {
	case day < 20:
		return []string{"ord-" + strconv.Itoa(day)}
	case day%10 == 0:
		return []string{"ord-" + strconv.Itoa(day)}
	}
	return []string{num(day / 10 * 10), "ord-" + strconv.Itoa(day%10)}
}

// Year speaks a calendar year: Indonesian as a number (dua ribu dua puluh
// enam); English in pairs when the last two digits are 10 or more
// (twenty twenty-six, nineteen ninety-nine), else as a number (two
// thousand and five).
func Year(lang string, y int) []string {
	if english(lang) && y >= 1100 && y <= 9999 && y%100 >= 10 {
		return append(Number(lang, y/100), Number(lang, y%100)...)
	}
	return Number(lang, y)
}

// Date speaks t's calendar date (in t's location); the year only when
// withYear.
func Date(lang string, t time.Time, withYear bool) []string {
	month := monthPrefix + twoDigits(int(t.Month()))
	var out []string
	if english(lang) {
		out = append([]string{month}, ordinal(t.Day())...)
	} else {
		out = append(Number(lang, t.Day()), month)
	}
	if withYear {
		out = append(out, Year(lang, t.Year())...)
	}
	return out
}

// TimeOfDay speaks t's clock time (in t's location) followed by the zone
// when ZonePrompt knows it (WIB, WITA, WIT); other zone names are not said.
func TimeOfDay(lang string, t time.Time, zone string) []string {
	h, m := t.Hour(), t.Minute()
	var out []string
	if english(lang) {
		h12 := h % 12
		if h12 == 0 {
			h12 = 12
		}
		out = Number(lang, h12)
		switch {
		case m > 0 && m < 10:
			out = append(out, Oh, num(m))
		case m >= 10:
			out = append(out, Number(lang, m)...)
		}
		if h < 12 {
			out = append(out, AM)
		} else {
			out = append(out, PM)
		}
	} else {
		out = Number(lang, h)
		switch {
		case m > 0 && m < 10:
			out = append(out, num(0), num(m))
		case m >= 10:
			out = append(out, Number(lang, m)...)
		}
	}
	if z, ok := ZonePrompt(zone); ok {
		out = append(out, z)
	}
	return out
}

// Moment speaks a date and time: "<date> pukul <time> <zone>" /
// "<date> at <time> <zone>".
func Moment(lang string, t time.Time, zone string, withYear bool) []string {
	out := append(Date(lang, t, withYear), AtTime)
	return append(out, TimeOfDay(lang, t, zone)...)
}

// Minutes speaks a duration of n whole minutes (negative is said as 0):
// "tiga menit", "one minute", "three minutes".
func Minutes(lang string, n int) []string {
	n = max(n, 0)
	unit := MinutesUnit
	if english(lang) && n == 1 {
		unit = MinuteUnit
	}
	return append(Number(lang, n), unit)
}

// Spell speaks an identifier character by character: ASCII letters (either
// case) and digits; every other character is dropped. "IN-1002345/01" is
// letter-i letter-n num-1 num-0 num-0 ….
func Spell(s string) []string {
	out := make([]string, 0, len(s))
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			out = append(out, num(int(ch-'0')))
		case ch >= 'a' && ch <= 'z':
			out = append(out, letterPrefix+string(ch))
		case ch >= 'A' && ch <= 'Z':
			out = append(out, letterPrefix+string(ch-'A'+'a'))
		}
	}
	return out
}

// Prompts lists, sorted, every prompt id the package can return; each
// must be in the manifest in both languages.
func Prompts() []string {
	out := []string{Hundred, Hundreds, Thousand, Thousands, Million, And, Minus, Oh,
		AtTime, AM, PM, MinuteUnit, MinutesUnit, "ord-20", "ord-30"}
	for n := 0; n < 20; n++ {
		out = append(out, num(n))
	}
	for n := 20; n < 100; n += 10 {
		out = append(out, num(n))
	}
	for n := 1; n < 20; n++ {
		out = append(out, "ord-"+strconv.Itoa(n))
	}
	for m := 1; m <= 12; m++ {
		out = append(out, monthPrefix+twoDigits(m))
	}
	for ch := 'a'; ch <= 'z'; ch++ {
		out = append(out, letterPrefix+string(ch))
	}
	for _, z := range zones {
		out = append(out, z)
	}
	sort.Strings(out)
	return out
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
