package segmentation

import (
	"errors"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestNormalizeForms(t *testing.T) {
	cases := []struct {
		name, raw, want string
	}{
		{"jakarta international spaced", "+62 21 5551234", "+62215551234"},
		{"jakarta national dashes", "021-555-1234", "+62215551234"},
		{"jakarta parenthesised area", "(021) 5551234", "+62215551234"},
		{"jakarta dots", "021.555.1234", "+62215551234"},
		{"jakarta trunk zero in brackets", "+62 (0)21 5551234", "+62215551234"},
		{"jakarta international prefix 00", "0062 21 5551234", "+62215551234"},
		{"jakarta IDD 008", "008 62 21 5551234", "+62215551234"},
		{"jakarta nsn only from trunk", "215551234", "+62215551234"},
		{"jakarta tel uri", "tel:+62-21-5551234", "+62215551234"},
		{"jakarta sip uri with host", "sip:0215551234@10.20.30.40;user=phone", "+62215551234"},
		{"jakarta display name", `"PT Maju" <sip:+62215551234@trunk.example>`, "+62215551234"},
		{"mobile country code no plus", "62 812 3456 7890", "+6281234567890"},
		{"mobile national dashes", "0812-3456-7890", "+6281234567890"},
		{"mobile e164", "+6281234567890", "+6281234567890"},
		{"mobile tab and slash", "0812\t3456/7890", "+6281234567890"},
		{"mobile nsn only", "81234567890", "+6281234567890"},
		{"denpasar", "(0361) 234567", "+62361234567"},
		{"jayapura", "0967-123456", "+62967123456"},
		{"makassar", "0411 1234567", "+624111234567"},
		{"medan", "061 4567890", "+62614567890"},
		{"area 0622 without trunk prefix", "622123456", "+62622123456"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeNumber(c.raw)
			if err != nil {
				t.Fatalf("NormalizeNumber(%q): %v", c.raw, err)
			}
			if got != c.want {
				t.Fatalf("NormalizeNumber(%q) = %q, want %q", c.raw, got, c.want)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	cases := []struct {
		name, raw string
		want      error
	}{
		{"empty", "", ErrNumberEmpty},
		{"blank", "   ", ErrNumberEmpty},
		{"letters", "0812-CALL-ME", ErrNumberNotANumber},
		{"anonymous caller id", "anonymous", ErrNumberNotANumber},
		{"plus in the middle", "0812+3456", ErrNumberNotANumber},
		{"singapore", "+65 6123 4567", ErrNumberForeign},
		{"us", "+1 212 555 0100", ErrNumberForeign},
		{"too short", "12", ErrNumberTooShort},
		{"too short after cc", "+62 21 55", ErrNumberTooShort},
		{"too long", "+62 812 3456 7890 1234567", ErrNumberTooLong},
		{"more than 20 digits", "0812345678901234567890123", ErrNumberTooLong},
		{"unallocated range", "+62 99 1234567", ErrNumberUnallocated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeNumber(c.raw)
			if err == nil {
				t.Fatalf("NormalizeNumber(%q) = %q, want error %v", c.raw, got, c.want)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("NormalizeNumber(%q) error = %v, want %v", c.raw, err, c.want)
			}
			var ne *NumberError
			if !errors.As(err, &ne) {
				t.Fatalf("error %T is not a *NumberError", err)
			}
		})
	}
}

// TestNormalizeAgreesWithLibphonenumber checks the compiled validator against
// phonenumbers' own Parse/IsValidNumberForRegion on the metadata's example
// numbers and some hand-picked ones.
func TestNormalizeAgreesWithLibphonenumber(t *testing.T) {
	for _, raw := range []string{
		"+62215551234", "+6281234567890", "+62811000000001", "+628001234567",
		"+62361234567", "+62967123456", "+62614567890", "+628091234567",
		"+621500123", "+6288112345678", "+62856123456789",
	} {
		t.Run(raw, func(t *testing.T) { agree(t, raw) })
	}
}

func agree(t *testing.T, raw string) {
	t.Helper()
	got, err := NormalizeNumber(raw)
	pn, perr := phonenumbers.Parse(raw, "ID")
	libValid := perr == nil && phonenumbers.IsValidNumberForRegion(pn, "ID")
	if libValid {
		want := phonenumbers.Format(pn, phonenumbers.E164)
		if err != nil || got != want {
			t.Fatalf("%q: got (%q, %v), libphonenumber says %q", raw, got, err, want)
		}
		return
	}
	if err == nil {
		// We accept some forms the library does not (0062…, sip:…); what we
		// return must then be a number the library calls valid.
		pn2, perr2 := phonenumbers.Parse(got, "ID")
		if perr2 != nil || !phonenumbers.IsValidNumberForRegion(pn2, "ID") || phonenumbers.Format(pn2, phonenumbers.E164) != got {
			t.Fatalf("%q → %q, which libphonenumber rejects", raw, got)
		}
	}
}

func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{
		"+62 21 5551234", "021-555-1234", "(021) 5551234", "62 812 3456 7890",
		"0812-3456-7890", "+6281234567890", "0062215551234", "sip:0812@x", "622123456",
		"+65 6123 4567", "", "+", "0", "62", "6262626262", "+62 (0)21 5551234",
	} {
		f.Add(s)
	}
	n := Indonesia()
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := n.Normalize(raw)
		if err != nil {
			var ne *NumberError
			if !errors.As(err, &ne) {
				t.Fatalf("error %T is not a *NumberError", err)
			}
			return
		}
		if len(got) < 4 || got[:3] != "+62" {
			t.Fatalf("%q → %q: not +62", raw, got)
		}
		again, err := n.Normalize(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q → (%q, %v)", raw, got, again, err)
		}
		agree(t, raw)
	})
}

func BenchmarkNormalize(b *testing.B) {
	n := Indonesia()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Normalize("0812-3456-7890"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCandidate(b *testing.B) {
	n := Indonesia()
	var buf [32]byte
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := n.Candidate(buf[:0], "0812-3456-7890"); !ok {
			b.Fatal("not ok")
		}
	}
}

// FuzzNumberReadings: every reading is a valid number that normalises to
// itself; Normalize's answer, when it has one, comes first; only the
// country code without "+" gives two readings, and they differ.
func FuzzNumberReadings(f *testing.F) {
	for _, s := range []string{
		"62225550432", "62 967 555 123", "6281234567890", "+62225550432", "022-555-0432",
		"0062225550432", "", "62", "620812345678", "6262626262", "sip:62225550432@x",
	} {
		f.Add(s)
	}
	n := Indonesia()
	f.Fuzz(func(t *testing.T, raw string) {
		rs, err := n.Readings(raw)
		norm, nerr := n.Normalize(raw)
		if err != nil {
			var ne *NumberError
			if !errors.As(err, &ne) {
				t.Fatalf("error %T is not a *NumberError", err)
			}
			if nerr == nil {
				t.Fatalf("%q: Normalize gives %q but Readings fails: %v", raw, norm, err)
			}
			return
		}
		if len(rs) == 0 || len(rs) > 2 {
			t.Fatalf("%q: %d readings", raw, len(rs))
		}
		if nerr == nil && rs[0] != norm {
			t.Fatalf("%q: first reading %q, Normalize %q", raw, rs[0], norm)
		}
		if len(rs) == 2 && rs[0] == rs[1] {
			t.Fatalf("%q: the same reading twice", raw)
		}
		for _, r := range rs {
			if again, err := n.Normalize(r); err != nil || again != r {
				t.Fatalf("%q: reading %q normalises to (%q, %v)", raw, r, again, err)
			}
		}
		key, ambiguous, ok := n.lookupKey(nil, raw)
		if !ok || (len(rs) == 2 && !ambiguous) || (ambiguous && len(key) > 0 && key[0] == '+') {
			t.Fatalf("%q: cache key %q, ambiguous %v, ok %v with readings %q", raw, key, ambiguous, ok, rs)
		}
	})
}
