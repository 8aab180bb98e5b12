package deployments_test

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/deployments/grafana"
)

type composeService struct {
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Image           string            `yaml:"image"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	Volumes         []string          `yaml:"volumes"`
	Ports           []string          `yaml:"ports"`
	DependsOn       []string          `yaml:"depends_on"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type promConfig struct {
	Global        map[string]string `yaml:"global"`
	RuleFiles     []string          `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

type grafanaDatasources struct {
	Datasources []struct {
		UID string `yaml:"uid"`
		URL string `yaml:"url"`
	} `yaml:"datasources"`
}

// datasourcesButURL is a data source file without the url of each data
// source, to compare the Compose one with the provisioned one.
func datasourcesButURL(t *testing.T, path string) string {
	var f struct {
		Datasources []map[string]any `yaml:"datasources"`
	}
	readYAML(t, path, &f)
	for _, d := range f.Datasources {
		delete(d, "url")
	}
	return fmt.Sprint(f.Datasources)
}

// composeSetup is deployments/compose as parsed: the Compose file, its raw
// text, .env.example and the files it mounts that the checks read.
type composeSetup struct {
	dir         string
	raw         string
	file        composeFile
	dotenv      map[string]string
	gitignore   string
	prom        promConfig
	datasources grafanaDatasources
	dsButURL    string // compose/grafana-datasources.yml without its url
	sentinel    string // redis/sentinel.conf
	dockerfile  dockerfile
}

func loadCompose(t *testing.T) *composeSetup {
	t.Helper()
	s := &composeSetup{dir: "compose"}
	raw, err := os.ReadFile(filepath.Join(s.dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.raw = string(raw)
	readYAML(t, filepath.Join(s.dir, "compose.yaml"), &s.file)
	s.dotenv = readDotEnv(t, filepath.Join(s.dir, ".env.example"))
	gi, err := os.ReadFile(filepath.Join(s.dir, ".gitignore"))
	if err != nil {
		t.Fatal(err)
	}
	s.gitignore = string(gi)
	readYAML(t, filepath.Join(s.dir, "prometheus.yml"), &s.prom)
	readYAML(t, filepath.Join(s.dir, "grafana-datasources.yml"), &s.datasources)
	s.dsButURL = datasourcesButURL(t, filepath.Join(s.dir, "grafana-datasources.yml"))
	sc, err := os.ReadFile(filepath.Join(s.dir, "redis", "sentinel.conf"))
	if err != nil {
		t.Fatal(err)
	}
	s.sentinel = string(sc)
	s.dockerfile = readDockerfile(t, filepath.Join(s.dir, "Dockerfile"))
	return s
}

// controllers are the services that run `tenesa-ivr serve`, by name.
func (s *composeSetup) controllers() []string {
	var out []string
	for name, svc := range s.file.Services {
		if len(svc.Command) > 0 && svc.Command[0] == "serve" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// mount is one short-syntax volume: source (a host path or a named
// volume), target in the container.
type mount struct{ source, target string }

func mounts(svc composeService) []mount {
	var out []mount
	for _, v := range svc.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			out = append(out, mount{parts[0], parts[1]})
		}
	}
	return out
}

func isBind(source string) bool {
	return strings.HasPrefix(source, ".") || strings.HasPrefix(source, "/")
}

// hostPath is the host file mounted at target in svc ("" when none).
func (s *composeSetup) hostPath(svc composeService, target string) string {
	for _, m := range mounts(svc) {
		if m.target == target && isBind(m.source) {
			return filepath.Join(s.dir, m.source)
		}
		if isBind(m.source) && strings.HasPrefix(target, m.target+"/") {
			return filepath.Join(s.dir, m.source, strings.TrimPrefix(target, m.target+"/"))
		}
	}
	return ""
}

// controller is one controller's config file on the host and its
// environment after interpolation with .env.example.
func (s *composeSetup) controller(name string) (cfgPath string, env map[string]string, problems []string) {
	svc := s.file.Services[name]
	i := slices.Index(svc.Command, "--config")
	if i < 0 || i+1 >= len(svc.Command) {
		return "", nil, []string{name + ": command " + strings.Join(svc.Command, " ") + " has no --config FILE"}
	}
	cfgPath = s.hostPath(svc, svc.Command[i+1])
	if cfgPath == "" {
		problems = append(problems, name+": --config "+svc.Command[i+1]+" is not a mounted file")
	}
	env = map[string]string{}
	for k, v := range svc.Environment {
		val, err := interpolate(v, s.dotenv)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s: %v", name, k, err))
		}
		env[k] = val
	}
	return cfgPath, env, problems
}

// loadController loads a controller's config as it will run.
func (s *composeSetup) loadController(name string) (*configs.Config, []string) {
	cfgPath, env, problems := s.controller(name)
	if len(problems) > 0 {
		return nil, problems
	}
	cfg, err := loadWithEnv(cfgPath, env)
	if err != nil {
		return nil, []string{name + ": config does not load:\n" + err.Error()}
	}
	return cfg, nil
}

// Every TENESA_ variable a controller gets is one the loader reads for its
// config file: a typo would be ignored in silence.
func checkComposeEnv(t *testing.T, s *composeSetup) []string {
	var out []string
	for _, name := range s.controllers() {
		cfgPath, env, problems := s.controller(name)
		out = append(out, problems...)
		if cfgPath == "" {
			continue
		}
		known := envNames(t, cfgPath)
		for k := range env {
			if strings.HasPrefix(k, configs.EnvPrefix+"_") && !known[k] {
				out = append(out, name+": "+k+" is not a variable the config loader reads")
			}
		}
	}
	return out
}

// Each controller's config loads with its environment, in broadcast mode,
// with its own application matching the dialplan's filter, on the
// Sentinel set the sentinels watch.
func checkComposeConfig(t *testing.T, s *composeSetup) []string {
	var out []string
	filter := dialplanFilter(t)
	apps := map[string]string{}
	monitor := regexp.MustCompile(`(?m)^sentinel monitor (\S+) (\S+) (\d+) \d+$`).FindStringSubmatch(s.sentinel)
	port := regexp.MustCompile(`(?m)^port (\d+)$`).FindStringSubmatch(s.sentinel)
	if monitor == nil || port == nil {
		return []string{"redis/sentinel.conf: no \"port\" or \"sentinel monitor NAME HOST PORT QUORUM\""}
	}
	for _, name := range s.controllers() {
		cfg, problems := s.loadController(name)
		out = append(out, problems...)
		if cfg == nil {
			continue
		}
		app := cfg.ApplicationName()
		if !cfg.ARI.Broadcast {
			out = append(out, name+": ari.broadcast is off: two controllers would fight over application "+app)
		}
		if cfg.ARI.Broadcast && !cfg.ARI.Failover.Enabled {
			out = append(out, name+": ari.failover is off: the calls of a controller that dies would be left to nobody")
		}
		if other, dup := apps[app]; dup {
			out = append(out, name+": application "+app+" is also "+other+"'s")
		}
		apps[app] = name
		if !filter.MatchString(app) {
			out = append(out, name+": application "+app+" does not match the dialplan's StasisBroadcast filter "+filter.String())
		}
		if cfg.Redis.MasterName != monitor[1] {
			out = append(out, fmt.Sprintf("%s: redis.master_name %q, the sentinels monitor %q", name, cfg.Redis.MasterName, monitor[1]))
		}
		if _, ok := s.file.Services[monitor[2]]; !ok {
			out = append(out, "redis/sentinel.conf: monitored host "+monitor[2]+" is not a service")
		}
		for _, addr := range strings.Split(cfg.Redis.Addr, ",") {
			host, p, _ := strings.Cut(strings.TrimSpace(addr), ":")
			svc, ok := s.file.Services[host]
			if !ok || !strings.Contains(strings.Join(svc.Command, " "), "redis-sentinel") {
				out = append(out, name+": redis.addr "+addr+" is not a sentinel service")
			}
			if p != port[1] {
				out = append(out, name+": redis.addr "+addr+": the sentinels listen on "+port[1])
			}
		}
	}
	return out
}

// Ports: the controllers listen where other containers reach them, publish
// only ports they listen on (the agent API among them), and the image
// exposes both.
func checkComposePorts(t *testing.T, s *composeSetup) []string {
	var out []string
	for _, name := range s.controllers() {
		cfg, problems := s.loadController(name)
		out = append(out, problems...)
		if cfg == nil {
			continue
		}
		listens := map[int]string{}
		for key, addr := range map[string]string{"metrics.listen": cfg.Metrics.Listen, "agentapi.listen": cfg.AgentAPI.Listen} {
			if !reachable(addr) {
				out = append(out, fmt.Sprintf("%s: %s %q is not reachable from other containers", name, key, addr))
			}
			p, err := listenPort(addr)
			if err != nil {
				out = append(out, fmt.Sprintf("%s: %s %q: %v", name, key, addr, err))
				continue
			}
			listens[p] = key
			if !slices.Contains(s.dockerfile.expose, p) {
				out = append(out, fmt.Sprintf("Dockerfile: EXPOSE %v lacks %s's port %d", s.dockerfile.expose, key, p))
			}
		}
		published := map[string]bool{}
		for _, p := range s.file.Services[name].Ports {
			f := strings.Split(p, ":")
			cp, err := strconv.Atoi(f[len(f)-1])
			if err != nil || listens[cp] == "" {
				out = append(out, fmt.Sprintf("%s: publishes %q, but the controller listens on %v", name, p, listens))
				continue
			}
			published[listens[cp]] = true
		}
		if !published["agentapi.listen"] {
			out = append(out, name+": the agent API port is not published")
		}
	}
	return out
}

// docker stop waits stop_grace_period before SIGKILL: it covers
// ari.shutdown_grace and the controller's stop.
func checkComposeStopGrace(t *testing.T, s *composeSetup) []string {
	var out []string
	for _, name := range s.controllers() {
		cfg, problems := s.loadController(name)
		out = append(out, problems...)
		if cfg == nil {
			continue
		}
		g, err := time.ParseDuration(s.file.Services[name].StopGracePeriod)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: stop_grace_period %q: %v", name, s.file.Services[name].StopGracePeriod, err))
			continue
		}
		if g < cfg.ARI.ShutdownGrace+drainMargin {
			out = append(out, fmt.Sprintf("%s: stop_grace_period %s is under ari.shutdown_grace %s + %s", name, g, cfg.ARI.ShutdownGrace, drainMargin))
		}
	}
	return out
}

// Names: every mounted host path exists, every named volume is declared,
// every depends_on is a service, the controllers' image is built from the
// Dockerfile checked above.
func checkComposeNames(t *testing.T, s *composeSetup) []string {
	var out []string
	for name, svc := range s.file.Services {
		for _, m := range mounts(svc) {
			if isBind(m.source) {
				if _, err := os.Stat(filepath.Join(s.dir, m.source)); err != nil {
					out = append(out, fmt.Sprintf("%s: mounts %s, which does not exist", name, m.source))
				}
			} else if _, ok := s.file.Volumes[m.source]; !ok {
				out = append(out, fmt.Sprintf("%s: volume %s is not declared under volumes:", name, m.source))
			}
		}
		for _, d := range svc.DependsOn {
			if _, ok := s.file.Services[d]; !ok {
				out = append(out, fmt.Sprintf("%s: depends_on %s, which is not a service", name, d))
			}
		}
	}
	for _, name := range s.controllers() {
		svc := s.file.Services[name]
		if i := slices.Index(svc.Command, "--config"); i >= 0 && i+1 < len(svc.Command) {
			for _, m := range mounts(svc) {
				if m.target == svc.Command[i+1] {
					out = append(out, name+": "+m.source+" is bind-mounted as a single file: an editor's replaced file would never reach the controller's reload; mount its directory")
				}
			}
		}
		b := s.file.Services[name].Build
		if b == nil {
			out = append(out, name+": no build: section")
			continue
		}
		df := filepath.Join(s.dir, b.Context, b.Dockerfile)
		if abs, _ := filepath.Abs(df); !strings.HasSuffix(abs, filepath.Join("deployments", "compose", "Dockerfile")) {
			out = append(out, name+": builds "+df+", not deployments/compose/Dockerfile")
		} else if _, err := os.Stat(filepath.Join(s.dir, b.Context, "go.mod")); err != nil {
			out = append(out, name+": build context "+b.Context+" is not the module root")
		}
	}
	return out
}

// Prometheus scrapes every controller at its service name, metrics port
// and path, loads the rules mounted from deployments/prometheus/rules, and
// is otherwise deployments/prometheus/prometheus.yml.
func checkComposePrometheus(t *testing.T, s *composeSetup) []string {
	var out []string
	svc, ok := s.file.Services["prometheus"]
	if !ok {
		return []string{"no prometheus service"}
	}
	if got := s.hostPath(svc, "/etc/prometheus/prometheus.yml"); got != filepath.Join(s.dir, "prometheus.yml") {
		out = append(out, "prometheus: /etc/prometheus/prometheus.yml is "+got+", not compose/prometheus.yml")
	}
	for _, rf := range s.prom.RuleFiles {
		dir := s.hostPath(svc, path.Join("/etc/prometheus", path.Dir(rf)))
		if filepath.Clean(dir) != filepath.Join("prometheus", "rules") {
			out = append(out, "prometheus: rule_files "+rf+" resolves to "+dir+", not deployments/prometheus/rules")
		}
	}
	var base promConfig
	readYAML(t, filepath.Join("prometheus", "prometheus.yml"), &base)
	if !slices.Equal(base.RuleFiles, s.prom.RuleFiles) || fmt.Sprint(base.Global) != fmt.Sprint(s.prom.Global) {
		out = append(out, "compose/prometheus.yml: global or rule_files differ from prometheus/prometheus.yml")
	}
	if len(s.prom.ScrapeConfigs) != 1 || len(base.ScrapeConfigs) != 1 {
		return append(out, "compose/prometheus.yml: want the one scrape config of prometheus/prometheus.yml")
	}
	sc := s.prom.ScrapeConfigs[0]
	if sc.JobName != base.ScrapeConfigs[0].JobName {
		out = append(out, "job_name "+sc.JobName+", the rules expect "+base.ScrapeConfigs[0].JobName)
	}
	var targets []string
	for _, st := range sc.StaticConfigs {
		targets = append(targets, st.Targets...)
	}
	var want []string
	for _, name := range s.controllers() {
		cfg, problems := s.loadController(name)
		out = append(out, problems...)
		if cfg == nil {
			continue
		}
		p, _ := listenPort(cfg.Metrics.Listen)
		want = append(want, fmt.Sprintf("%s:%d", name, p))
		if sc.MetricsPath != cfg.Metrics.Path {
			out = append(out, fmt.Sprintf("metrics_path %s, %s serves %s", sc.MetricsPath, name, cfg.Metrics.Path))
		}
	}
	slices.Sort(targets)
	if !slices.Equal(targets, want) {
		out = append(out, fmt.Sprintf("prometheus targets %v, the controllers are %v", targets, want))
	}
	return out
}

var grafanaVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Grafana: its data source is the provisioned uid the dashboards name, at
// the prometheus service; every variable the mounted provisioning uses is
// set; the dashboards are mounted where that variable points.
func checkComposeGrafana(t *testing.T, s *composeSetup) []string {
	var out []string
	svc, ok := s.file.Services["grafana"]
	if !ok {
		return []string{"no grafana service"}
	}
	if len(s.datasources.Datasources) != 1 || s.datasources.Datasources[0].UID != grafana.DatasourceUID {
		out = append(out, "grafana data source: want one, uid "+grafana.DatasourceUID)
	} else if u, err := url.Parse(s.datasources.Datasources[0].URL); err != nil || u.Hostname() != "prometheus" || u.Port() != "9090" {
		out = append(out, "grafana data source url "+s.datasources.Datasources[0].URL+" is not the prometheus service (prometheus:9090)")
	}
	if base := datasourcesButURL(t, filepath.Join("grafana", "provisioning", "datasources", "prometheus.yml")); s.dsButURL != base {
		out = append(out, "compose/grafana-datasources.yml differs from grafana/provisioning/datasources/prometheus.yml beyond the url")
	}
	if got := s.hostPath(svc, "/etc/grafana/provisioning/datasources/prometheus.yml"); got != filepath.Join(s.dir, "grafana-datasources.yml") {
		out = append(out, "grafana: the data source file mounted is "+got)
	}
	prov := s.hostPath(svc, "/etc/grafana/provisioning/dashboards")
	if filepath.Clean(prov) != filepath.Join("grafana", "provisioning", "dashboards") {
		out = append(out, "grafana: /etc/grafana/provisioning/dashboards is "+prov+", not deployments/grafana/provisioning/dashboards")
		return out
	}
	files, _ := filepath.Glob(filepath.Join(prov, "*.yml"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range grafanaVar.FindAllStringSubmatch(string(b), -1) {
			val, set := svc.Environment[m[1]]
			if !set {
				out = append(out, "grafana: "+f+" uses ${"+m[1]+"}, not set in its environment")
				continue
			}
			if dash := s.hostPath(svc, val); filepath.Clean(dash) != filepath.Join("grafana", "dashboards") {
				out = append(out, "grafana: "+m[1]+"="+val+" is "+dash+", not deployments/grafana/dashboards")
			}
		}
	}
	return out
}

var requiredVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?`)

// Secrets: every variable compose.yaml uses is in .env.example, every
// password and token there is a CHANGE_ME placeholder, and .env (the real
// one) is ignored by git.
func checkComposeSecrets(t *testing.T, s *composeSetup) []string {
	var out []string
	for _, m := range requiredVar.FindAllStringSubmatch(s.raw, -1) {
		if _, ok := s.dotenv[m[1]]; !ok {
			out = append(out, "compose.yaml uses ${"+m[1]+"}, missing from .env.example")
		}
	}
	for k, v := range s.dotenv {
		if (strings.Contains(k, "PASSWORD") || strings.Contains(k, "TOKEN")) && !strings.Contains(v, "CHANGE_ME") {
			out = append(out, ".env.example: "+k+" is not a CHANGE_ME placeholder")
		}
	}
	if !slices.Contains(strings.Split(s.gitignore, "\n"), "/.env") {
		out = append(out, "compose/.gitignore does not ignore /.env")
	}
	return out
}

type composeCheck struct {
	name  string
	check func(*testing.T, *composeSetup) []string
}

var composeChecks = []composeCheck{
	{"environment variables", checkComposeEnv},
	{"config loads", checkComposeConfig},
	{"ports", checkComposePorts},
	{"stop grace", checkComposeStopGrace},
	{"names", checkComposeNames},
	{"prometheus", checkComposePrometheus},
	{"grafana", checkComposeGrafana},
	{"secrets", checkComposeSecrets},
}

func TestComposeMatchesTheCode(t *testing.T) {
	s := loadCompose(t)
	if got := s.controllers(); !slices.Equal(got, []string{"controller-a", "controller-b"}) {
		t.Fatalf("controllers %v, want controller-a and controller-b", got)
	}
	for _, c := range composeChecks {
		t.Run(c.name, func(t *testing.T) { expectNone(t, c.check(t, s)) })
	}
}

// setEnv changes one variable of one controller in a parsed copy.
func setEnv(name, key, val string) func(*composeSetup) {
	return func(s *composeSetup) {
		svc := s.file.Services[name]
		env := map[string]string{}
		for k, v := range svc.Environment {
			env[k] = v
		}
		env[key] = val
		svc.Environment = env
		s.file.Services[name] = svc
	}
}

func editService(name string, f func(*composeService)) func(*composeSetup) {
	return func(s *composeSetup) {
		svc := s.file.Services[name]
		f(&svc)
		s.file.Services[name] = svc
	}
}

// Each check reports a real mismatch, made in a parsed copy.
func TestComposeChecksFindEachMismatch(t *testing.T) {
	for _, tc := range []struct {
		name, check, want string
		mutate            func(*composeSetup)
	}{
		{"a misspelled TENESA variable", "environment variables", "TENESA_REDIS_MASTERNAME is not a variable",
			setEnv("controller-a", "TENESA_REDIS_MASTERNAME", "tenesa")},
		{"a required variable missing from the env file", "environment variables", "set ASTERISK_ARI_URL",
			func(s *composeSetup) { delete(s.dotenv, "ASTERISK_ARI_URL") }},
		{"a bad value from the environment", "config loads", "env TENESA_ARI_URL",
			setEnv("controller-b", "TENESA_ARI_URL", "asterisk:8088")},
		{"both controllers the same instance", "config loads", "application tenesa-ivr-a is also",
			setEnv("controller-b", "TENESA_INSTANCE", "a")},
		{"broadcast off", "config loads", "ari.broadcast is off", func(s *composeSetup) {
			// failover needs broadcast: off too, so the config still loads
			setEnv("controller-a", "TENESA_ARI_BROADCAST", "false")(s)
			setEnv("controller-a", "TENESA_ARI_FAILOVER_ENABLED", "false")(s)
		}},
		{"failover off", "config loads", "ari.failover is off", setEnv("controller-b", "TENESA_ARI_FAILOVER_ENABLED", "false")},
		{"an application the dialplan does not offer calls to", "config loads", "does not match the dialplan",
			setEnv("controller-a", "TENESA_ARI_APPLICATION", "ivr")},
		{"a master name the sentinels do not monitor", "config loads", "the sentinels monitor",
			setEnv("controller-a", "TENESA_REDIS_MASTER_NAME", "mymaster")},
		{"redis.addr on a data node", "config loads", "is not a sentinel service",
			setEnv("controller-a", "TENESA_REDIS_ADDR", "redis-master:6379")},
		{"metrics on loopback", "ports", "is not reachable", setEnv("controller-a", "TENESA_METRICS_LISTEN", "127.0.0.1:9464")},
		{"a published port the controller does not listen on", "ports", "publishes",
			editService("controller-b", func(s *composeService) { s.Ports = []string{"127.0.0.1:8092:8080"} })},
		{"agent API moved, image not exposing it", "ports", "EXPOSE", setEnv("controller-a", "TENESA_AGENTAPI_LISTEN", "0.0.0.0:8443")},
		{"stop grace shorter than the shutdown grace", "stop grace", "is under ari.shutdown_grace",
			setEnv("controller-a", "TENESA_ARI_SHUTDOWN_GRACE", "10m")},
		{"a mounted directory that does not exist", "names", "which does not exist",
			editService("controller-a", func(s *composeService) { s.Volumes = []string{"./config-a:/etc/tenesa:ro"} })},
		{"the config bind-mounted as a single file", "names", "mount its directory",
			editService("controller-a", func(s *composeService) { s.Volumes = []string{"./config/tenesa.yaml:/etc/tenesa/tenesa.yaml:ro"} })},
		{"an undeclared named volume", "names", "is not declared", func(s *composeSetup) { delete(s.file.Volumes, "grafana-data") }},
		{"depends_on a missing service", "names", "not a service",
			editService("prometheus", func(s *composeService) { s.DependsOn = []string{"controller-c"} })},
		{"a build of another Dockerfile", "names", "not deployments/compose/Dockerfile",
			editService("controller-b", func(s *composeService) {
				s.Build = &struct {
					Context    string `yaml:"context"`
					Dockerfile string `yaml:"dockerfile"`
				}{"../..", "Dockerfile"}
			})},
		{"a scrape target off the controllers' port", "prometheus", "prometheus targets",
			func(s *composeSetup) { s.prom.ScrapeConfigs[0].StaticConfigs[0].Targets[1] = "controller-b:9100" }},
		{"a metrics path the controllers do not serve", "prometheus", "metrics_path",
			setEnv("controller-b", "TENESA_METRICS_PATH", "/prom")},
		{"another job name than the rules expect", "prometheus", "the rules expect",
			func(s *composeSetup) { s.prom.ScrapeConfigs[0].JobName = "tenesa" }},
		{"rules mounted from elsewhere", "prometheus", "not deployments/prometheus/rules",
			editService("prometheus", func(s *composeService) { s.Volumes[1] = "./rules:/etc/prometheus/rules:ro" })},
		{"a data source uid the dashboards do not name", "grafana", "uid " + grafana.DatasourceUID,
			func(s *composeSetup) { s.datasources.Datasources[0].UID = "prometheus" }},
		{"a data source on the wrong host", "grafana", "not the prometheus service",
			func(s *composeSetup) { s.datasources.Datasources[0].URL = "http://127.0.0.1:9090" }},
		{"a data source drifted from the provisioned one", "grafana", "differs from grafana/provisioning",
			func(s *composeSetup) {
				s.dsButURL = strings.Replace(s.dsButURL, "timeInterval:15s", "timeInterval:30s", 1)
			}},
		{"the dashboards variable unset", "grafana", "not set in its environment",
			editService("grafana", func(s *composeService) {
				s.Environment = map[string]string{"GF_SECURITY_ADMIN_PASSWORD": "x"}
			})},
		{"the dashboards variable off the mount", "grafana", "not deployments/grafana/dashboards",
			editService("grafana", func(s *composeService) {
				s.Environment = map[string]string{"TENESA_GRAFANA_DASHBOARDS": "/var/lib/grafana/other"}
			})},
		{"a real-looking password in .env.example", "secrets", "REDIS_PASSWORD is not a CHANGE_ME placeholder",
			func(s *composeSetup) { s.dotenv["REDIS_PASSWORD"] = "s3cret-Redis-2026" }},
		{"a variable missing from .env.example", "secrets", "missing from .env.example",
			func(s *composeSetup) { delete(s.dotenv, "GRAFANA_ADMIN_PASSWORD") }},
		{".env not ignored", "secrets", "does not ignore /.env", func(s *composeSetup) { s.gitignore = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := slices.IndexFunc(composeChecks, func(c composeCheck) bool { return c.name == tc.check })
			if i < 0 {
				t.Fatalf("no check %q", tc.check)
			}
			s := loadCompose(t)
			tc.mutate(s)
			expectProblem(t, composeChecks[i].check(t, s), tc.want)
		})
	}
}
