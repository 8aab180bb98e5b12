package grafana_test

//lint:file-ignore SA1019 the v1 dashboard model is what the generator writes (see dashboards.go)

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"go.yaml.in/yaml/v3"

	"github.com/tenesa-ivr/tenesa-ivr/deployments/grafana"
	"github.com/tenesa-ivr/tenesa-ivr/internal/promcheck"
)

// The committed JSON is what the code generates (regenerate with
// `go run ./cmd/tenesa-ivr dashboards`).
func TestCommittedDashboardsAreUpToDate(t *testing.T) {
	files, err := grafana.Files()
	if err != nil {
		t.Fatal(err)
	}
	onDisk, _ := filepath.Glob("dashboards/*.json")
	if len(onDisk) != len(files) {
		t.Errorf("dashboards/ holds %v, the code generates %d dashboards", onDisk, len(files))
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("dashboards", name))
		if err != nil {
			t.Errorf("%s: %v (run: go run ./cmd/tenesa-ivr dashboards)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("dashboards/%s differs from the generated one: run `go run ./cmd/tenesa-ivr dashboards` and commit", name)
		}
	}
}

type panel struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Targets []struct {
		Expr       string `json:"expr"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
	} `json:"targets"`
}

type board struct {
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

var labelValues = regexp.MustCompile(`^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*),\s*[a-zA-Z_]+\)$`)

// Every panel query parses with Prometheus's parser and uses only metrics
// the controller registers or the rules record; every variable lists the
// label values of a registered metric; every query names the provisioned
// data source.
func TestDashboardsUseOnlyRegisteredOrRecordedMetrics(t *testing.T) {
	known, err := promcheck.RegisteredNames()
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := filepath.Glob("../prometheus/rules/*.yml")
	if len(rules) == 0 {
		t.Fatal("no rule files in ../prometheus/rules")
	}
	for _, f := range rules {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rf struct {
			Groups []struct {
				Rules []struct {
					Record string `yaml:"record"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(b, &rf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					known[r.Record] = true
				}
			}
		}
	}
	files, err := grafana.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, j := range files {
		var d board
		if err := json.Unmarshal(j, &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		queries := 0
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				queries++
				if tg.Datasource.UID != grafana.DatasourceUID {
					t.Errorf("%s %q: data source %q, want %q", name, p.Title, tg.Datasource.UID, grafana.DatasourceUID)
				}
				names, err := promcheck.Names(tg.Expr)
				if err != nil {
					t.Errorf("%s %q: %s: %v", name, p.Title, tg.Expr, err)
					continue
				}
				for _, m := range names {
					if !known[m] {
						t.Errorf("%s %q uses %s, which the controller does not register and no rule records", name, p.Title, m)
					}
				}
			}
		}
		if queries == 0 {
			t.Errorf("%s has no query", name)
		}
		if len(d.Templating.List) == 0 {
			t.Errorf("%s has no variable", name)
		}
		for _, v := range d.Templating.List {
			m := labelValues.FindStringSubmatch(v.Query)
			if m == nil || !known[m[1]] {
				t.Errorf("%s variable %s: query %q is not label_values of a registered metric", name, v.Name, v.Query)
			}
		}
	}
}

// The committed JSON reads back as Grafana dashboards, panels and Prometheus
// queries (the SDK's own decoding, with its panel and query plugins).
func TestDashboardsDecodeAsGrafanaDashboards(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	onDisk, _ := filepath.Glob("dashboards/*.json")
	for _, f := range onDisk {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard.Dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if d.Uid == nil || *d.Uid == "" || len(d.Panels) == 0 {
			t.Errorf("%s: uid %v, %d panels", f, d.Uid, len(d.Panels))
		}
	}
}

// The dashboard the issue names carry the panels it lists.
func TestDashboardsHaveTheNamedPanels(t *testing.T) {
	files, err := grafana.Files()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"tenesa-operations.json": {"Calls waiting", "Oldest wait", "Service level", "Average speed of answer",
			"Average handle time", "Abandonment", "Agents by state", "Calls by segment and outcome", "Escalations by reason",
			"Greeting to standard", "Segmentation conformity", "Needs recorded", "Further help offered", "Standard closing",
			"Complaint-status self-service", "IVR containment"},
		"tenesa-controller-health.json": {"ARI connected", "ARI reconnects", "ARI event rate", "Look-up latency",
			"Look-ups by result", "Active calls", "Goroutines", "Memory"},
	}
	for name, titles := range want {
		var d board
		if err := json.Unmarshal(files[name], &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, title := range titles {
			found := false
			for _, p := range d.Panels {
				found = found || strings.HasPrefix(p.Title, title)
			}
			if !found {
				t.Errorf("%s: no panel %q", name, title)
			}
		}
	}
}

// The provisioning names the data source uid the panels use and loads the
// dashboards from a path given by the environment.
func TestProvisioningMatchesTheDashboards(t *testing.T) {
	var dsf struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	b, err := os.ReadFile("provisioning/datasources/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &dsf); err != nil {
		t.Fatal(err)
	}
	if len(dsf.Datasources) != 1 || dsf.Datasources[0].UID != grafana.DatasourceUID || dsf.Datasources[0].Type != "prometheus" {
		t.Errorf("datasources %+v: want one prometheus data source with uid %s", dsf.Datasources, grafana.DatasourceUID)
	}
	var pf struct {
		Providers []struct {
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	b, err = os.ReadFile("provisioning/dashboards/tenesa.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &pf); err != nil {
		t.Fatal(err)
	}
	if len(pf.Providers) != 1 || pf.Providers[0].Type != "file" || pf.Providers[0].Options.Path != "${TENESA_GRAFANA_DASHBOARDS}" {
		t.Errorf("providers %+v: want one file provider at ${TENESA_GRAFANA_DASHBOARDS}", pf.Providers)
	}
}
