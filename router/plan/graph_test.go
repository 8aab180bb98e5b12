package plan

import (
	"bytes"
	"os"
	"slices"
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

// TestDocsFlow keeps the picture of the default flow in docs/flow.md and in
// the README equal to what Graph draws (-update rewrites them).
func TestDocsFlow(t *testing.T) {
	got, err := defaultPlan(t).Graph(FormatMermaid)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"../../docs/flow.md", "../../README.md"} {
		t.Run(path, func(t *testing.T) {
			doc, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			const open, close = "```mermaid\n", "```\n"
			start := bytes.Index(doc, []byte(open))
			if start < 0 {
				t.Fatalf("%s has no mermaid block", path)
			}
			start += len(open)
			end := bytes.Index(doc[start:], []byte(close))
			if end < 0 {
				t.Fatalf("%s: mermaid block not closed", path)
			}
			end += start
			if *update {
				out := slices.Concat(doc[:start], []byte(got), doc[end:])
				if err := os.WriteFile(path, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if string(doc[start:end]) != got {
				t.Errorf("%s is out of date with the default configuration: run go test ./router/plan -update", path)
			}
		})
	}
}
