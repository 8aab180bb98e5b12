package plan

import (
	"strings"
	"testing"
)

// TestGraphGolden draws the default flow in both formats and compares it
// with testdata/default-flow.{mmd,dot}.
func TestGraphGolden(t *testing.T) {
	p := defaultPlan(t)
	for _, tt := range []struct{ format, file string }{
		{FormatMermaid, "default-flow.mmd"},
		{FormatDOT, "default-flow.dot"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			got, err := p.Graph(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, got)
		})
	}
}

func TestGraphUnknownFormat(t *testing.T) {
	if _, err := defaultPlan(t).Graph("svg"); err == nil || !strings.Contains(err.Error(), `"svg"`) {
		t.Fatalf("want an error naming the format, got %v", err)
	}
}
