package prometheus_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tenesa-ivr/tenesa-ivr/internal/promcheck"
)

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record string `yaml:"record"`
			Alert  string `yaml:"alert"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type testFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		PromQL []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
		Alerts []struct {
			Alertname string           `yaml:"alertname"`
			ExpAlerts []map[string]any `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func readYAML[T any](t *testing.T, path string) T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files %s (%v)", pattern, err)
	}
	return files
}

func promtool(t *testing.T, args ...string) {
	t.Helper()
	bin, err := promcheck.Binary("promtool")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
}

func TestPromtoolChecksEveryRuleFile(t *testing.T) {
	promtool(t, append([]string{"check", "rules"}, glob(t, "rules/*.yml")...)...)
}

func TestPromtoolUnitTestsPass(t *testing.T) {
	promtool(t, append([]string{"test", "rules"}, glob(t, "tests/*.yml")...)...)
}

func TestPromtoolChecksTheScrapeConfig(t *testing.T) {
	promtool(t, "check", "config", "prometheus.yml")
}

// The metrics follow Prometheus's naming conventions, as promtool lints
// them (units, _total on counters, no reserved suffixes).
func TestPromtoolLintsTheMetricNames(t *testing.T) {
	bin, err := promcheck.Binary("promtool")
	if err != nil {
		t.Fatal(err)
	}
	text, err := promcheck.Exposition()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil {
		// promtool also exits non-zero on lint findings; show only ours
		var ours []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "tenesa_") {
				ours = append(ours, l)
			}
		}
		if len(ours) > 0 {
			t.Errorf("promtool check metrics:\n%s", strings.Join(ours, "\n"))
		} else if !strings.Contains(string(out), "go_") && !strings.Contains(string(out), "process_") {
			t.Fatalf("promtool check metrics: %v\n%s", err, out)
		}
	}
}

// Every recording rule is the expression of a promtool unit test, and
// every alert has a test in which it fires.
func TestEveryRuleHasAUnitTest(t *testing.T) {
	tested, fired := map[string]bool{}, map[string]bool{}
	for _, f := range glob(t, "tests/*.yml") {
		tf := readYAML[testFile](t, f)
		for _, tc := range tf.Tests {
			for _, p := range tc.PromQL {
				tested[strings.TrimSpace(p.Expr)] = true
			}
			for _, a := range tc.Alerts {
				if len(a.ExpAlerts) > 0 {
					fired[a.Alertname] = true
				}
			}
		}
	}
	for _, f := range glob(t, "rules/*.yml") {
		for _, g := range readYAML[ruleFile](t, f).Groups {
			for _, r := range g.Rules {
				switch {
				case r.Record != "" && !tested[r.Record]:
					t.Errorf("%s: recording rule %s has no promql_expr_test in tests/", f, r.Record)
				case r.Alert != "" && !fired[r.Alert]:
					t.Errorf("%s: alert %s has no alert_rule_test in tests/ where it fires", f, r.Alert)
				}
			}
		}
	}
}

// Every metric a rule uses is one the controller registers or one a rule
// records, and every expression parses with Prometheus's parser.
func TestRulesUseOnlyRegisteredMetrics(t *testing.T) {
	registered, err := promcheck.RegisteredNames()
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	files := glob(t, "rules/*.yml")
	for _, f := range files {
		for _, g := range readYAML[ruleFile](t, f).Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					recorded[r.Record] = true
				}
			}
		}
	}
	n := 0
	for _, f := range files {
		for _, g := range readYAML[ruleFile](t, f).Groups {
			for _, r := range g.Rules {
				name := r.Record + r.Alert
				names, err := promcheck.Names(r.Expr)
				if err != nil {
					t.Errorf("%s %s: %v", f, name, err)
					continue
				}
				for _, m := range names {
					n++
					if !registered[m] && !recorded[m] {
						t.Errorf("%s %s uses %s, which the controller does not register and no rule records", f, name, m)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no metric found in any rule")
	}
}

// The scrape config loads every rule file.
func TestScrapeConfigLoadsEveryRuleFile(t *testing.T) {
	cfg := readYAML[struct {
		RuleFiles []string `yaml:"rule_files"`
	}](t, "prometheus.yml")
	for _, f := range glob(t, "rules/*.yml") {
		if !slices.ContainsFunc(cfg.RuleFiles, func(p string) bool { ok, _ := filepath.Match(p, f); return ok }) {
			t.Errorf("prometheus.yml rule_files %v do not load %s", cfg.RuleFiles, f)
		}
	}
}

// TestREADMEListsEveryMetricWithItsTypeAndLabels: the README's metrics
// table holds exactly the tenesa_ families the controller registers, each
// with the type and label names the registry gives it (values in
// parentheses are left aside). -v prints the registry's list.
func TestREADMEListsEveryMetricWithItsTypeAndLabels(t *testing.T) {
	fams, err := promcheck.Families()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ typ, labels string }
	doc := map[string]entry{}
	row := regexp.MustCompile("^\\| `(tenesa_[a-z0-9_]+)` \\| ([^|]+) \\| ([^|]+) \\|")
	values := regexp.MustCompile(`\s*\([^)]*\)`)
	for _, line := range strings.Split(string(b), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var labels []string
		if l := strings.TrimSpace(values.ReplaceAllString(m[3], "")); l != "—" && l != "-" {
			for _, name := range strings.Split(l, ",") {
				labels = append(labels, strings.TrimSpace(name))
			}
		}
		slices.Sort(labels)
		if _, dup := doc[m[1]]; dup {
			t.Errorf("README.md lists %s twice", m[1])
		}
		doc[m[1]] = entry{strings.Fields(m[2])[0], strings.Join(labels, ", ")}
	}
	var list strings.Builder
	for _, f := range fams {
		fmt.Fprintf(&list, "| `%s` | %s | %s |\n", f.Name, f.Type, strings.Join(f.Labels, ", "))
		if !strings.HasPrefix(f.Name, "tenesa_") {
			continue // the Go and process collectors: "Plus the Go and process collectors"
		}
		want := entry{f.Type, strings.Join(f.Labels, ", ")}
		got, ok := doc[f.Name]
		switch {
		case !ok:
			t.Errorf("README.md's metrics table lacks %s (%s; labels %q)", f.Name, want.typ, want.labels)
		case got != want:
			t.Errorf("README.md: %s is %s with labels %q; the registry has %s with %q", f.Name, got.typ, got.labels, want.typ, want.labels)
		}
		delete(doc, f.Name)
	}
	for name := range doc {
		t.Errorf("README.md lists %s, which the controller does not register", name)
	}
	t.Logf("every metric family the controller registers (metric | type | labels):\n%s", list.String())
}
