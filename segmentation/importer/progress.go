package importer

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// ProgressPrinter renders Progress: on a terminal a bar redrawn in place
// with rate and ETA; otherwise nothing until the end, where the caller
// prints the one-line Summary.
func ProgressPrinter(w io.Writer, terminal bool) func(Progress) {
	if !terminal {
		return func(Progress) {}
	}
	return func(p Progress) {
		const width = 30
		frac := p.Fraction()
		bar := strings.Repeat("?", width)
		pct, eta := "  ?%", "?"
		if frac >= 0 {
			frac = min(frac, 1)
			done := int(frac * width)
			bar = strings.Repeat("=", done) + strings.Repeat(" ", width-done)
			pct = fmt.Sprintf("%3.0f%%", frac*100)
			if frac > 0 {
				left := time.Duration(float64(p.Elapsed) * (1 - frac) / frac)
				eta = left.Round(time.Second).String()
			}
		}
		fmt.Fprintf(w, "\r%s [%s] %s %d rows, %d bad, %.0f rows/s, ETA %s   ",
			p.Dataset, bar, pct, p.Rows, p.Bad, p.Rate(), eta)
		if p.Done {
			fmt.Fprintln(w)
		}
	}
}
