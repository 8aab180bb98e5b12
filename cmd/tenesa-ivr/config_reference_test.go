package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestDocsConfigurationIsCurrent: docs/configuration.md is the output of
// config-reference; a key added, reworded or given a new default without
// regenerating it fails here.
func TestDocsConfigurationIsCurrent(t *testing.T) {
	const regen = "run `go run ./cmd/tenesa-ivr config-reference > docs/configuration.md`"
	var out, errb bytes.Buffer
	if code := run([]string{"config-reference"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatalf("%v: %s", err, regen)
	}
	if bytes.Equal(doc, out.Bytes()) {
		return
	}
	got, want := strings.Split(string(doc), "\n"), strings.Split(out.String(), "\n")
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("docs/configuration.md is out of date with configs (first difference at line %d):\n  file:      %s\n  generated: %s\n%s",
				i+1, g, w, regen)
		}
	}
}

// TestConfigReferenceIgnoresEnvironmentAndConfigFile: the reference
// documents the embedded defaults, not one machine's settings.
func TestConfigReferenceIgnoresEnvironmentAndConfigFile(t *testing.T) {
	var plain, errb bytes.Buffer
	if code := run([]string{"config-reference"}, &plain, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	t.Setenv("TENESA_ARI_URL", "http://pbx.example:8088/ari")
	var withEnv bytes.Buffer
	if code := run([]string{"config-reference", "--config", "no-such-file.yaml"}, &withEnv, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !bytes.Equal(plain.Bytes(), withEnv.Bytes()) {
		t.Fatal("the environment or --config changed the reference")
	}
	if !bytes.Contains(plain.Bytes(), []byte("| `ari.url` | string | `http://127.0.0.1:8088/ari` | `TENESA_ARI_URL` |")) {
		t.Fatal("ari.url row not found with its default and variable")
	}
}
