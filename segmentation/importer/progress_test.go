package importer

import (
	"strings"
	"testing"
	"time"
)

func TestProgressPrinter(t *testing.T) {
	var b strings.Builder
	p := ProgressPrinter(&b, true)
	p(Progress{Dataset: "customers", Rows: 250000, TotalRows: 1000000, Elapsed: time.Second})
	out := b.String()
	for _, want := range []string{"\rcustomers [", " 25% ", "250000 rows", "250000 rows/s", "ETA 3s"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress line %q lacks %q", out, want)
		}
	}
	p(Progress{Dataset: "customers", Rows: 1000000, TotalRows: 1000000, Elapsed: 4 * time.Second, Done: true})
	if !strings.HasSuffix(b.String(), "\n") {
		t.Error("the last progress line does not end the line")
	}
	var quiet strings.Builder
	ProgressPrinter(&quiet, false)(Progress{Rows: 1})
	if quiet.Len() != 0 {
		t.Errorf("not a terminal, but printed %q", quiet.String())
	}
}
