package segmentation

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestDigitDFAMatchesRegexp checks every pattern of the ID numbering plan:
// the automaton and the regexp agree on every number of every prefix up to
// 4 digits at every length, and on random digit strings.
func TestDigitDFAMatchesRegexp(t *testing.T) {
	n := Indonesia()
	descs := append([]numberDesc{n.general}, n.types...)
	rnd := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for i, d := range descs {
		if d.dfa == nil {
			t.Fatalf("pattern %d (%s) has no automaton", i, d.re)
		}
		check := func(s string) {
			if got, want := d.dfa.match(s), d.re.MatchString(s); got != want {
				t.Fatalf("pattern %s on %q: automaton %v, regexp %v", d.re, s, got, want)
			}
		}
		for l := 1; l <= maxDigits; l++ {
			for p := range 10000 {
				b.Reset()
				for j, q := 0, p; j < min(4, l); j, q = j+1, q/10 {
					b.WriteByte(byte('0' + q%10))
				}
				for b.Len() < l {
					b.WriteByte(byte('0' + rnd.IntN(10)))
				}
				check(b.String())
			}
		}
		for range 200000 {
			b.Reset()
			for range 1 + rnd.IntN(maxDigits) {
				b.WriteByte(byte('0' + rnd.IntN(10)))
			}
			check(b.String())
		}
	}
	// Something it cannot model keeps the regexp.
	if _, ok := compileDigitDFA(`^\b1$`); ok {
		t.Fatal(`\b compiled`)
	}
	if d, ok := compileDigitDFA(`^(?:8[1-3]\d{2,3})$`); !ok || !d.match("8112") || !d.match("83999") || d.match("84123") || d.match("811") || d.match("811234") {
		t.Fatal("small pattern")
	}
}
