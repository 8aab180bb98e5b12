package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.yaml", "ari:\n  url: \"htp//asterisk:8088/ari\"\n  usrname: tenesa\n")
	types := write("types.yaml", "ivr:\n  first_digit_timeout: 5\n  retries: true\nredis:\n  db: 1.9\n")
	good := write("good.yaml", "ari:\n  url: http://pbx.example:8088/ari\n")
	tests := []struct {
		name     string
		args     []string
		code     int
		stderr   []string
		stdout   string
		noStderr bool
	}{
		{"misspelled key and malformed URL", []string{"check-config", "--config", bad}, 1,
			[]string{bad + ": ari.url: ", bad + ": ari.usrname: unknown key (did you mean \"username\"?)"}, "", false},
		{"every type error at once", []string{"check-config", "--config", types}, 1,
			[]string{types + `: ivr.first_digit_timeout: 5 has no unit`, types + ": ivr.retries: true is not a number",
				types + ": redis.db: 1.9 is not a whole number"}, "", false},
		{"clean file", []string{"check-config", "--config", good}, 0, nil, "configuration OK", true},
		{"embedded defaults", []string{"check-config"}, 0, nil, "configuration OK", true},
		{"missing file", []string{"check-config", "--config", filepath.Join(dir, "nope.yaml")}, 1,
			[]string{"nope.yaml: (file): "}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errb.String())
			}
			for _, want := range tt.stderr {
				if !strings.Contains(errb.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errb.String())
				}
			}
			if tt.code == 1 && len(tt.stderr) > 1 {
				if n := strings.Count(strings.TrimSpace(errb.String()), "\n") + 1; n != len(tt.stderr) {
					t.Errorf("want %d problem lines, got %d:\n%s", len(tt.stderr), n, errb.String())
				}
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout %q lacks %q", out.String(), tt.stdout)
			}
			if tt.noStderr && errb.Len() > 0 {
				t.Errorf("unexpected stderr: %s", errb.String())
			}
		})
	}
}

func TestEnvPasswordNeverPrinted(t *testing.T) {
	t.Setenv("TENESA_ARI_PASSWORD", "s3cret-pw")
	t.Setenv("TENESA_ARI_URL", "nonsense")
	var out, errb bytes.Buffer
	if code := run([]string{"check-config"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out.String()+errb.String(), "s3cret-pw") {
		t.Errorf("password printed:\n%s%s", out.String(), errb.String())
	}
}

// A value from the environment is blamed on its variable, not on the file.
func TestCheckConfigNamesTheEnvVariable(t *testing.T) {
	t.Setenv("TENESA_IVR_RETRIES", "true")
	t.Setenv("TENESA_SEGMENTATION_LOOKUP_BUDGET", "1")
	var out, errb bytes.Buffer
	if code := run([]string{"check-config"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}
	want := "env TENESA_IVR_RETRIES: ivr.retries: \"true\" is not a whole number\n" +
		"env TENESA_SEGMENTATION_LOOKUP_BUDGET: segmentation.lookup_budget: \"1\" has no unit: write a duration with its unit, like \"5s\" or \"150ms\"\n"
	if errb.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errb.String(), want)
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errb); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}
