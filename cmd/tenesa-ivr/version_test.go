package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
)

func TestVersionComesFromLdflagsElseBuildInfo(t *testing.T) {
	info := func(main string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/tenesa-ivr/tenesa-ivr", Version: main}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	tests := []struct {
		name    string
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"make build stamps git describe", "v0.3.0-4-gabc1234", info("(devel)", "vcs.revision", "0123456789abcdef"), "v0.3.0-4-gabc1234"},
		{"go install module@version", "", info("v0.3.0"), "v0.3.0 (go1.26.0)"},
		{"go build in a checkout", "", info("(devel)", "vcs.revision", "0123456789abcdef0123", "vcs.modified", "false"), "devel 0123456789ab (go1.26.0)"},
		{"go build in a modified checkout", "", info("(devel)", "vcs.revision", "0123456789abcdef0123", "vcs.modified", "true"), "devel 0123456789ab-dirty (go1.26.0)"},
		{"go run without VCS stamp", "", info("(devel)"), "devel (go1.26.0)"},
		{"no build info", "", nil, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeVersion(tt.ldflags, tt.bi); got != tt.want {
				t.Errorf("describeVersion = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionFlagPrintsTheVersion(t *testing.T) {
	old := version
	version = "v9.9.9-test"
	t.Cleanup(func() { version = old })
	var out, errb bytes.Buffer
	if code := run([]string{"--version"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errb.String())
	}
	if got := out.String(); got != "tenesa-ivr v9.9.9-test\n" {
		t.Errorf("--version printed %q", got)
	}
}

// serve --help tells an operator what to set, where to probe and how the
// process answers signals; the address it names is the embedded default.
func TestServeHelpNamesEnvEndpointsAndSignals(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--help"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errb.String())
	}
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	help := out.String()
	for _, want := range []string{
		"TENESA_ARI_URL", "TENESA_ARI_USERNAME", "TENESA_ARI_PASSWORD", "TENESA_REDIS_ADDR",
		"TENESA_REDIS_KEY_PREFIX", "TENESA_METRICS_LISTEN",
		"metrics.listen (default " + cfg.Metrics.Listen + ")", cfg.Metrics.Path, "/healthz", "/readyz",
		"SIGHUP", "SIGTERM", "ari.shutdown_grace",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, help)
		}
	}
}
