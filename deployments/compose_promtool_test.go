package deployments_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/internal/promcheck"
)

// The Prometheus container's view: compose/prometheus.yml as
// /etc/prometheus/prometheus.yml and deployments/prometheus/rules as
// /etc/prometheus/rules, laid out the same in a temporary directory and
// checked by promtool, which loads and checks the rules the glob finds.
func TestComposePrometheusConfigPassesPromtool(t *testing.T) {
	bin, err := promcheck.Binary("promtool")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyFile(t, filepath.Join("compose", "prometheus.yml"), filepath.Join(dir, "prometheus.yml"))
	rules, _ := filepath.Glob(filepath.Join("prometheus", "rules", "*.yml"))
	if len(rules) == 0 {
		t.Fatal("no rules in prometheus/rules")
	}
	if err := os.Mkdir(filepath.Join(dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		copyFile(t, r, filepath.Join(dir, "rules", filepath.Base(r)))
	}
	out, err := exec.Command(bin, "check", "config", filepath.Join(dir, "prometheus.yml")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	for _, r := range rules {
		if !strings.Contains(string(out), filepath.Base(r)) {
			t.Errorf("promtool did not check %s (the rule_files glob missed it):\n%s", filepath.Base(r), out)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
