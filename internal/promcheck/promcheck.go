// Package promcheck holds what the tests of the Prometheus rules and the
// Grafana dashboards share: the set of metric names the controller
// registers, the metric names a PromQL expression uses (parsed by
// Prometheus's own parser), and finding the Prometheus binaries.
package promcheck

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// Binary returns the path of a Prometheus binary (promtool, prometheus)
// or an error telling how to install it. Tests fail on that error; they do
// not skip (.ci/run installs Debian's prometheus package).
func Binary(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not on PATH: install Debian's prometheus package (apt-get install -y prometheus), as .ci/run does: %w", name, err)
	}
	return p, nil
}

// recordingRegisterer notes every collector registered.
type recordingRegisterer struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registerer.Register(c)
}

func (r *recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

var fqNameRE = regexp.MustCompile(`fqName: "([^"]+)"`)

// RegisteredNames returns every series name a controller exposes: the
// collectors of metrics.New on metrics.NewRegistry (with the Go and process
// collectors), every vector touched so it has a series, histograms with
// their _bucket, _sum and _count, and Prometheus's own "up". It fails when
// a registered collector yields no series (a new vector not touched here).
func RegisteredNames() (map[string]bool, error) {
	reg, rec := touchedRegistry()
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	names := map[string]bool{"up": true}
	gathered := map[string]bool{}
	for _, mf := range mfs {
		n := mf.GetName()
		gathered[n] = true
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM:
			names[n+"_bucket"], names[n+"_sum"], names[n+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[n], names[n+"_sum"], names[n+"_count"] = true, true, true
		default:
			names[n] = true
		}
	}
	var untouched []string
	for _, c := range rec.collectors {
		ch := make(chan *prometheus.Desc, 64)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			if m := fqNameRE.FindStringSubmatch(d.String()); m != nil && !gathered[m[1]] {
				untouched = append(untouched, m[1])
			}
		}
	}
	if len(untouched) > 0 {
		slices.Sort(untouched)
		return nil, fmt.Errorf("registered but without a series (touch them in promcheck.touchAll): %s", strings.Join(untouched, ", "))
	}
	return names, nil
}

// touchedRegistry is a controller's registry with every vector touched.
func touchedRegistry() (*prometheus.Registry, *recordingRegisterer) {
	reg := metrics.NewRegistry()
	rec := &recordingRegisterer{Registerer: reg}
	touchAll(metrics.New(rec, func() float64 { return 0 }))
	return reg, rec
}

// Family is one metric family a controller exposes.
type Family struct {
	Name   string
	Type   string   // counter, gauge, histogram, summary or untyped
	Labels []string // label names, sorted
	Help   string
}

// Families returns every metric family a controller's registry exposes
// (every vector touched, the Go and process collectors included), by name.
func Families() ([]Family, error) {
	if _, err := RegisteredNames(); err != nil { // fails on a collector left untouched
		return nil, err
	}
	reg, _ := touchedRegistry()
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	out := make([]Family, 0, len(mfs))
	for _, mf := range mfs {
		f := Family{Name: mf.GetName(), Type: strings.ToLower(mf.GetType().String()), Help: mf.GetHelp()}
		seen := map[string]bool{}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if !seen[l.GetName()] {
					seen[l.GetName()] = true
					f.Labels = append(f.Labels, l.GetName())
				}
			}
		}
		slices.Sort(f.Labels)
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Family) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Exposition returns what a controller's /metrics serves (every vector
// touched), in the text format.
func Exposition() ([]byte, error) {
	reg, _ := touchedRegistry()
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

// touchAll gives every vector of m at least one series.
func touchAll(m *metrics.Metrics) {
	m.Configure(metrics.Config{
		Segments: []string{"DES"},
		Queues:   map[string]metrics.QueueTargets{"general": {ShortAbandon: 5 * time.Second, MaxWait: time.Minute}},
	})
	m.SetLive(func() (metrics.Live, error) {
		return metrics.Live{Queues: []metrics.QueueLive{{Queue: "general"}}, Agents: map[metrics.AgentState]int{}}, nil
	})
	m.Dispatched(time.Millisecond)
	m.StageDone("greeting", time.Second)
	m.Lookup("ani", "hit_redis", time.Millisecond)
	m.Connected(true)
	m.Reconnect()
	m.Event("StasisStart")
	m.UnknownEvent("ChannelToneDetected")
	m.RequestFailed("answer", 404)
	m.RequestDone("answer", time.Millisecond)
	m.EventDropped("ChannelDtmfReceived")
	m.ApplicationReplaced()
}

// nameOf returns the metric name of a selector: its name or its __name__
// equality matcher.
func nameOf(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, lm := range vs.LabelMatchers {
		if lm.Name == "__name__" {
			return lm.Value
		}
	}
	return ""
}

// grafanaIntervals and grafanaVar replace Grafana's variables with values
// PromQL accepts: durations for its interval variables, a word for the
// dashboard's own (they stand in label values).
var (
	grafanaIntervals = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")
	grafanaVar       = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`)
)

// promQL is Prometheus's parser with its default (stable) functions.
var promQL = parser.NewParser(parser.Options{})

// Names parses a PromQL expression (Grafana variables allowed) and returns
// the metric names its selectors use.
func Names(expr string) ([]string, error) {
	e, err := promQL.ParseExpr(grafanaVar.ReplaceAllString(grafanaIntervals.Replace(expr), "x"))
	if err != nil {
		return nil, err
	}
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			if name := nameOf(vs); name != "" && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
		return nil
	})
	return out, nil
}
