package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// The README tells operators which metrics, alerts and configuration keys
// to look at; these tests keep every name it gives real, so a rename in the
// code fails here instead of sending someone to grep for nothing.

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// codeSpans returns the text of every `code span` of a Markdown document.
func codeSpans(doc string) []string {
	var out []string
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(doc, -1) {
		out = append(out, m[1])
	}
	return out
}

// descRecorder is a Registerer that keeps the name of every metric its
// collectors describe.
type descRecorder struct{ names map[string]bool }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r descRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return nil
}

func (r descRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r descRecorder) Unregister(prometheus.Collector) bool { return true }

func TestReadmeNamesRegisteredMetrics(t *testing.T) {
	reg := descRecorder{names: map[string]bool{}}
	metrics.New(reg, func() float64 { return 0 })
	if len(reg.names) < 20 || !reg.names["tenesa_calls_total"] {
		t.Fatalf("metrics.New described only %d metrics: %v", len(reg.names), reg.names)
	}
	metric := regexp.MustCompile(`\btenesa_[a-z_]+[a-z]\b`)
	seen := 0
	for _, span := range codeSpans(readme(t)) {
		for _, name := range metric.FindAllString(span, -1) {
			seen++
			if !reg.names[name] {
				t.Errorf("README.md names the metric %s, which the metrics package does not register", name)
			}
		}
	}
	if seen == 0 {
		t.Fatal("README.md names no metric: the test lost its subject")
	}
}

func TestReadmeNamesDefinedAlerts(t *testing.T) {
	rules, err := os.ReadFile("../../deployments/prometheus/rules/alerts.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*- alert: (\S+)`).FindAllStringSubmatch(string(rules), -1) {
		defined[m[1]] = true
	}
	alert := regexp.MustCompile(`\bTenesa[A-Z][A-Za-z]+\b`)
	seen := 0
	for _, span := range codeSpans(readme(t)) {
		for _, name := range alert.FindAllString(span, -1) {
			seen++
			if !defined[name] {
				t.Errorf("README.md names the alert %s, not defined in deployments/prometheus/rules/alerts.rules.yml", name)
			}
		}
	}
	if seen == 0 {
		t.Fatal("README.md names no alert: the test lost its subject")
	}
}

func TestReadmeNamesConfigurationKeys(t *testing.T) {
	ref, err := configs.Reference()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	top := map[string]bool{}
	for _, k := range ref {
		keys[k.Key] = true
		top[strings.FieldsFunc(k.Key, func(r rune) bool { return r == '.' || r == '[' })[0]] = true
	}
	// a dotted path whose first part is a top-level key: ari.url,
	// agents[].token, acd.queue_defaults.ring_timeout
	path := regexp.MustCompile(`^[a-z_]+(\[\])?(\.[a-z_<>]+(\[\])?)+$`)
	file := regexp.MustCompile(`\.(conf|ya?ml|md|go|json|csv|wav|png)$`) // ari.conf is a file
	seen := 0
	for _, span := range codeSpans(readme(t)) {
		span = strings.TrimSuffix(strings.SplitN(span, ":", 2)[0], " ")
		if !path.MatchString(span) || file.MatchString(span) || !top[strings.FieldsFunc(span, func(r rune) bool { return r == '.' || r == '[' })[0]] {
			continue
		}
		seen++
		if !keys[span] {
			t.Errorf("README.md names the configuration key %s, which configs does not have (see docs/configuration.md)", span)
		}
	}
	if seen < 10 {
		t.Fatalf("README.md names %d configuration keys: the pattern no longer finds them", seen)
	}
}

// readmeLogMessages are the log messages README.md's Operations and
// Troubleshooting sections tell operators to grep for.
var readmeLogMessages = []string{
	"events websocket connect failed",
	"events websocket connected",
	"ARI application replaced by another connection: calls released to the new owner",
	"application replaced: not reconnecting; this controller stays not ready until it is stopped",
	"playback failed",
	"segmentation look-up degraded",
	"redis failing, segmentation breaker open: callers are unidentified until it recovers",
	"redis answers again, segmentation breaker closed",
	"handling records not written: breaker open, records kept and retried",
	"enqueue failed: caller continues in the dialplan",
	"acd: agent did not answer: paused no_answer",
	"agent endpoint state",
	"endpoint subscription failed",
	"agent originate failed",
	"no agents configured and no agent API: callers go to handoff.endpoint, not through the acd",
	"config reload refused",
	"config reloaded",
	"config unchanged",
	"draining",
	"all calls finished",
	"shutdown grace over: stopping",
	"handling record",
}

func TestReadmeQuotesRealLogMessages(t *testing.T) {
	doc := strings.Join(strings.Fields(readme(t)), " ") // a code span may wrap
	var src strings.Builder
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "../.." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			src.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range readmeLogMessages {
		if !strings.Contains(doc, "`"+m+"`") {
			t.Errorf("README.md no longer quotes the log message %q: drop it from readmeLogMessages", m)
		}
		if !strings.Contains(src.String(), `Msg("`+m+`")`) {
			t.Errorf("no code logs %q any more, but README.md tells operators to look for it", m)
		}
	}
	if !strings.Contains(doc, ari.ErrUnauthorized.Error()) {
		t.Errorf("README.md does not quote the ARI 401 error as the controller logs it: %q", ari.ErrUnauthorized.Error())
	}
}
