package say

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/deployments/asterisk/sounds"
)

// manifest is the prompt manifest by id: the tests read what a caller
// hears by joining the texts of the composed prompts.
var manifest = func() map[string]sounds.Prompt {
	ps, err := sounds.Prompts()
	if err != nil {
		panic(err)
	}
	m := make(map[string]sounds.Prompt, len(ps))
	for _, p := range ps {
		m[p.Name] = p
	}
	return m
}()

// heard joins the manifest texts of ids in lang; an id missing from the
// manifest shows as <id?>.
func heard(lang string, ids []string) string {
	words := make([]string, 0, len(ids))
	for _, id := range ids {
		p, ok := manifest[id]
		if !ok {
			words = append(words, "<"+id+"?>")
			continue
		}
		words = append(words, p.Text(lang))
	}
	return strings.Join(words, " ")
}

func TestEveryPromptIsInTheManifestInBothLanguages(t *testing.T) {
	ps := Prompts()
	if len(ps) < 100 {
		t.Fatalf("Prompts() lists %d ids, want every number, ordinal, letter, month, zone prompt", len(ps))
	}
	for _, id := range ps {
		p, ok := manifest[id]
		if !ok {
			t.Errorf("prompt %s is composed by router/say but missing from prompts.yaml", id)
			continue
		}
		for _, lang := range sounds.Languages {
			if p.Text(lang) == "" {
				t.Errorf("prompt %s has no %s text", id, lang)
			}
		}
	}
	if !slices.IsSorted(ps) {
		t.Error("Prompts() is not sorted")
	}
}

// A zone the configuration accepts must be speakable: adding one to
// configs.TimeZones without a tz- prompt fails here.
func TestEveryConfiguredZoneIsSpoken(t *testing.T) {
	for name := range configs.TimeZones {
		p, ok := ZonePrompt(name)
		if !ok {
			t.Errorf("time zone %s (configs.TimeZones) has no prompt", name)
			continue
		}
		checkInManifest(t, name, []string{p})
	}
	if _, ok := ZonePrompt("UTC"); ok {
		t.Error("ZonePrompt(UTC) = ok, want false")
	}
}

func TestNumberIndonesian(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{"zero", 0, "nol"},
		{"one", 1, "satu"},
		{"nine", 9, "sembilan"},
		{"ten is sepuluh", 10, "sepuluh"},
		{"eleven is sebelas", 11, "sebelas"},
		{"twelve", 12, "dua belas"},
		{"nineteen", 19, "sembilan belas"},
		{"twenty", 20, "dua puluh"},
		{"twenty-seven", 27, "dua puluh tujuh"},
		{"ninety-nine", 99, "sembilan puluh sembilan"},
		{"hundred is seratus", 100, "seratus"},
		{"hundred and one", 101, "seratus satu"},
		{"hundred and eleven", 111, "seratus sebelas"},
		{"hundred and ten", 110, "seratus sepuluh"},
		{"two hundred", 200, "dua ratus"},
		{"nine hundred ninety-nine", 999, "sembilan ratus sembilan puluh sembilan"},
		{"thousand is seribu", 1000, "seribu"},
		{"thousand and one", 1001, "seribu satu"},
		{"twelve hundred", 1200, "seribu dua ratus"},
		{"two thousand", 2000, "dua ribu"},
		{"year 2026", 2026, "dua ribu dua puluh enam"},
		{"eleven thousand", 11000, "sebelas ribu"},
		{"hundred thousand", 100000, "seratus ribu"},
		{"hundred and one thousand", 101000, "seratus satu ribu"},
		{"a million is satu juta", 1000000, "satu juta"},
		{"million and a thousand", 1001000, "satu juta seribu"},
		{"million one hundred thousand", 1100000, "satu juta seratus ribu"},
		{"two million", 2000000, "dua juta"},
		{"largest", Max, "sembilan ratus sembilan puluh sembilan juta sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan"},
		{"negative", -15, "minus lima belas"},
		{"beyond Max digit by digit", 1234567890, "satu dua tiga empat lima enam tujuh delapan sembilan nol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := heard("id", Number("id", tc.n)); got != tc.want {
				t.Errorf("Number(id, %d) = %q, want %q (%v)", tc.n, got, tc.want, Number("id", tc.n))
			}
		})
	}
}

func TestNumberEnglish(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{"zero", 0, "zero"},
		{"eleven", 11, "eleven"},
		{"nineteen", 19, "nineteen"},
		{"twenty", 20, "twenty"},
		{"twenty-seven", 27, "twenty seven"},
		{"one hundred", 100, "one hundred"},
		{"one hundred and one", 101, "one hundred and one"},
		{"two hundred and forty-two", 242, "two hundred and forty two"},
		{"one thousand", 1000, "one thousand"},
		{"one thousand and five", 1005, "one thousand and five"},
		{"one thousand two hundred", 1200, "one thousand two hundred"},
		{"one thousand two hundred and thirty-four", 1234, "one thousand two hundred and thirty four"},
		{"two thousand and twenty-six", 2026, "two thousand and twenty six"},
		{"one hundred and one thousand", 101000, "one hundred and one thousand"},
		{"one million", 1000000, "one million"},
		{"one million one thousand", 1001000, "one million one thousand"},
		{"two million and twenty", 2000020, "two million and twenty"},
		{"negative", -3, "minus three"},
		{"beyond Max digit by digit", -1000000000, "minus one zero zero zero zero zero zero zero zero zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := heard("en", Number("en", tc.n)); got != tc.want {
				t.Errorf("Number(en, %d) = %q, want %q (%v)", tc.n, got, tc.want, Number("en", tc.n))
			}
		})
	}
}

func TestUnknownLanguageIsIndonesian(t *testing.T) {
	if got, want := Number("", 27), Number("id", 27); !slices.Equal(got, want) {
		t.Errorf("Number(\"\", 27) = %v, want the Indonesian %v", got, want)
	}
}

func TestMomentIndonesian(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	for _, tc := range []struct {
		name     string
		t        time.Time
		zone     string
		withYear bool
		want     string
	}{
		{"date, year and half past two in the afternoon", time.Date(2026, 12, 27, 14, 30, 0, 0, wib), "WIB", true,
			"dua puluh tujuh Desember dua ribu dua puluh enam pukul empat belas tiga puluh W I B"},
		{"without the year", time.Date(2026, 12, 27, 14, 30, 0, 0, wib), "WIB", false,
			"dua puluh tujuh Desember pukul empat belas tiga puluh W I B"},
		{"on the hour says no minutes", time.Date(2026, 1, 1, 9, 0, 0, 0, wib), "WITA", false,
			"satu Januari pukul sembilan WITA"},
		{"minutes below ten as nol and a digit", time.Date(2026, 8, 17, 14, 5, 0, 0, wib), "WIT", false,
			"tujuh belas Agustus pukul empat belas nol lima W I T"},
		{"midnight", time.Date(2026, 3, 11, 0, 15, 0, 0, wib), "WIB", false,
			"sebelas Maret pukul nol lima belas W I B"},
		{"unknown zone is not said", time.Date(2026, 5, 31, 23, 59, 0, 0, wib), "UTC", false,
			"tiga puluh satu Mei pukul dua puluh tiga lima puluh sembilan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := heard("id", Moment("id", tc.t, tc.zone, tc.withYear)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMomentEnglish(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	for _, tc := range []struct {
		name     string
		t        time.Time
		zone     string
		withYear bool
		want     string
	}{
		{"ordinal day, year in pairs, 12-hour clock", time.Date(2026, 12, 27, 14, 30, 0, 0, wib), "WIB", true,
			"December twenty seventh twenty twenty six at two thirty p.m. Western Indonesia Time"},
		{"first, without the year, on the hour", time.Date(2026, 1, 1, 9, 0, 0, 0, wib), "WITA", false,
			"January first at nine a.m. Central Indonesia Time"},
		{"minutes below ten as oh", time.Date(2026, 8, 17, 14, 5, 0, 0, wib), "WIT", false,
			"August seventeenth at two oh five p.m. Eastern Indonesia Time"},
		{"midnight is twelve a.m.", time.Date(2026, 3, 20, 0, 15, 0, 0, wib), "WIB", false,
			"March twentieth at twelve fifteen a.m. Western Indonesia Time"},
		{"noon is twelve p.m.", time.Date(2026, 4, 30, 12, 0, 0, 0, wib), "WIB", false,
			"April thirtieth at twelve p.m. Western Indonesia Time"},
		{"thirty-first", time.Date(2026, 5, 31, 23, 59, 0, 0, wib), "WIB", false,
			"May thirty first at eleven fifty nine p.m. Western Indonesia Time"},
		{"year with zero tens as a number", time.Date(2005, 2, 22, 8, 10, 0, 0, wib), "WIB", true,
			"February twenty second two thousand and five at eight ten a.m. Western Indonesia Time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := heard("en", Moment("en", tc.t, tc.zone, tc.withYear)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestYear(t *testing.T) {
	for _, tc := range []struct {
		name, lang string
		y          int
		want       string
	}{
		{"indonesian 2026", "id", 2026, "dua ribu dua puluh enam"},
		{"indonesian 2000", "id", 2000, "dua ribu"},
		{"english 2026 in pairs", "en", 2026, "twenty twenty six"},
		{"english 2010 in pairs", "en", 2010, "twenty ten"},
		{"english 1999 in pairs", "en", 1999, "nineteen ninety nine"},
		{"english 2000 as a number", "en", 2000, "two thousand"},
		{"english 2009 as a number", "en", 2009, "two thousand and nine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := heard(tc.lang, Year(tc.lang, tc.y)); got != tc.want {
				t.Errorf("Year(%s, %d) = %q, want %q", tc.lang, tc.y, got, tc.want)
			}
		})
	}
}

func TestMinutes(t *testing.T) {
	for _, tc := range []struct {
		name, lang string
		n          int
		want       string
	}{
		{"indonesian one", "id", 1, "satu menit"},
		{"indonesian twelve", "id", 12, "dua belas menit"},
		{"english one is singular", "en", 1, "one minute"},
		{"english three is plural", "en", 3, "three minutes"},
		{"english zero is plural", "en", 0, "zero minutes"},
		{"negative is zero", "id", -4, "nol menit"},
		{"hour and a half", "en", 90, "ninety minutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := heard(tc.lang, Minutes(tc.lang, tc.n)); got != tc.want {
				t.Errorf("Minutes(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
			}
		})
	}
}

func TestSpell(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		id, en   string
	}{
		{"ticket id with separators", "IN-1002/34", "i en satu nol nol dua tiga empat", "I N one zero zero two three four"},
		{"lower case letters", "sr7", "es er tujuh", "S R seven"},
		{"digits only", "0812", "nol delapan satu dua", "zero eight one two"},
		{"non-ascii and spaces dropped", " é x ", "eks", "X"},
		{"empty", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := Spell(tc.in)
			if got := heard("id", ids); got != tc.id {
				t.Errorf("Spell(%q) in id = %q, want %q", tc.in, got, tc.id)
			}
			if got := heard("en", ids); got != tc.en {
				t.Errorf("Spell(%q) in en = %q, want %q", tc.in, got, tc.en)
			}
		})
	}
}

// value reads the number a list of number prompts says (the inverse of
// Number for 0 <= n <= Max, both languages).
func value(t testing.TB, ids []string) int {
	total, cur := 0, 0
	for _, id := range ids {
		switch id {
		case Hundred:
			cur += 100
		case Hundreds:
			cur *= 100
		case Thousand:
			total += 1000
		case Thousands:
			total, cur = total+cur*1000, 0
		case Million:
			total, cur = total+cur*1_000_000, 0
		case And:
		default:
			v, err := strconv.Atoi(strings.TrimPrefix(id, "num-"))
			if err != nil || !strings.HasPrefix(id, "num-") {
				t.Fatalf("%q is not a number prompt (in %v)", id, ids)
			}
			cur += v
		}
	}
	return total + cur
}

// Every number up to 100 000 says itself back in both languages.
func TestNumberSaysItsValue(t *testing.T) {
	for n := 0; n <= 100_000; n++ {
		for _, lang := range sounds.Languages {
			if got := value(t, Number(lang, n)); got != n {
				t.Fatalf("Number(%s, %d) = %v says %d", lang, n, Number(lang, n), got)
			}
		}
	}
}

func checkInManifest(t *testing.T, what string, ids []string) {
	t.Helper()
	if len(ids) == 0 && what != "" {
		t.Fatalf("%s: no prompts", what)
	}
	for _, id := range ids {
		if _, ok := manifest[id]; !ok {
			t.Fatalf("%s: prompt %q is not in the manifest (%v)", what, id, ids)
		}
	}
}

func FuzzNumber(f *testing.F) {
	for _, n := range []int{0, 7, 11, 27, 101, 1000, 1200, 1005, 2026, 101000, 1000000, Max, Max + 1, -1, -Max - 1} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int) {
		for _, lang := range sounds.Languages {
			ids := Number(lang, n)
			checkInManifest(t, "Number("+lang+", "+strconv.Itoa(n)+")", ids)
			if n >= 0 && n <= Max {
				if got := value(t, ids); got != n {
					t.Fatalf("Number(%s, %d) = %v says %d", lang, n, ids, got)
				}
			}
			checkInManifest(t, "Minutes", Minutes(lang, n))
		}
	})
}

func FuzzMoment(f *testing.F) {
	f.Add(int64(1798356600), "WIB", true)
	f.Add(int64(0), "WITA", false)
	f.Add(int64(-62135596800), "", true)
	f.Fuzz(func(t *testing.T, unix int64, zone string, withYear bool) {
		at := time.Unix(unix, 0).UTC()
		for _, lang := range sounds.Languages {
			checkInManifest(t, "Moment", Moment(lang, at, zone, withYear))
		}
	})
}

func FuzzSpell(f *testing.F) {
	f.Add("IN-1002345/01")
	f.Add("ÄbC 9")
	f.Fuzz(func(t *testing.T, s string) {
		ids := Spell(s)
		checkInManifest(t, "", ids)
		alnum := 0
		for i := 0; i < len(s); i++ {
			if c := s[i] | 0x20; c >= 'a' && c <= 'z' || s[i] >= '0' && s[i] <= '9' {
				alnum++
			}
		}
		if len(ids) != alnum {
			t.Fatalf("Spell(%q) = %v: %d prompts for %d letters and digits", s, ids, len(ids), alnum)
		}
	})
}
