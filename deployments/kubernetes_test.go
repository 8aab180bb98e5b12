package deployments_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

type k8sMeta struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		FieldRef *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a number or a container port's name
	} `yaml:"httpGet"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []envVar `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Lifecycle      *struct {
		PreStop *struct {
			Exec *struct {
				Command []string `yaml:"command"`
			} `yaml:"exec"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type k8sDeployment struct {
	Metadata k8sMeta `yaml:"metadata"`
	Spec     struct {
		Replicas int           `yaml:"replicas"`
		Selector labelSelector `yaml:"selector"`
		Template struct {
			Metadata k8sMeta `yaml:"metadata"`
			Spec     struct {
				TerminationGracePeriodSeconds int         `yaml:"terminationGracePeriodSeconds"`
				Containers                    []container `yaml:"containers"`
				Volumes                       []k8sVolume `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sVolume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
}

type k8sConfigMap struct {
	Metadata k8sMeta           `yaml:"metadata"`
	Data     map[string]string `yaml:"data"`
}

type k8sSecret struct {
	Metadata   k8sMeta           `yaml:"metadata"`
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`
}

type k8sService struct {
	Metadata k8sMeta `yaml:"metadata"`
	Spec     struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type k8sPDB struct {
	Metadata k8sMeta `yaml:"metadata"`
	Spec     struct {
		MinAvailable   *int          `yaml:"minAvailable"`
		MaxUnavailable *int          `yaml:"maxUnavailable"`
		Selector       labelSelector `yaml:"selector"`
	} `yaml:"spec"`
}

// k8sSetup is deployments/kubernetes as parsed, every object by kind.
type k8sSetup struct {
	dir         string
	files       []string // the YAML files in dir
	resources   []string // kustomization.yaml's
	deployments []k8sDeployment
	configMaps  map[string]k8sConfigMap
	secrets     map[string]k8sSecret
	services    []k8sService
	pdbs        []k8sPDB
	entrypoint  string // the image's (compose/Dockerfile)
}

func loadKubernetes(t *testing.T) *k8sSetup {
	t.Helper()
	s := &k8sSetup{dir: "kubernetes", configMaps: map[string]k8sConfigMap{}, secrets: map[string]k8sSecret{}}
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.yaml"))
	for _, f := range files {
		base := filepath.Base(f)
		if base == "kustomization.yaml" {
			var k struct {
				Resources []string `yaml:"resources"`
			}
			readYAML(t, f, &k)
			s.resources = k.Resources
			continue
		}
		s.files = append(s.files, base)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc yaml.Node
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var head struct {
				Kind string `yaml:"kind"`
			}
			decode := func(v any) {
				if err := doc.Decode(v); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
			}
			decode(&head)
			switch head.Kind {
			case "Deployment":
				var d k8sDeployment
				decode(&d)
				s.deployments = append(s.deployments, d)
			case "ConfigMap":
				var c k8sConfigMap
				decode(&c)
				s.configMaps[c.Metadata.Name] = c
			case "Secret":
				var c k8sSecret
				decode(&c)
				s.secrets[c.Metadata.Name] = c
			case "Service":
				var c k8sService
				decode(&c)
				s.services = append(s.services, c)
			case "PodDisruptionBudget":
				var c k8sPDB
				decode(&c)
				s.pdbs = append(s.pdbs, c)
			default:
				t.Fatalf("%s: kind %q: the test does not check it", f, head.Kind)
			}
		}
	}
	if len(s.deployments) != 1 || len(s.deployments[0].Spec.Template.Spec.Containers) != 1 {
		t.Fatal("want one Deployment with one container")
	}
	s.entrypoint = readDockerfile(t, filepath.Join("compose", "Dockerfile")).entrypoint
	return s
}

func (s *k8sSetup) deployment() *k8sDeployment { return &s.deployments[0] }
func (s *k8sSetup) container() *container {
	return &s.deployments[0].Spec.Template.Spec.Containers[0]
}

// configFile writes the ConfigMap entry the container's --config names to
// a file of dir, following its volume mount.
func (s *k8sSetup) configFile(dir string) (string, []string) {
	c := s.container()
	i := slices.Index(c.Args, "--config")
	if i < 0 || i+1 >= len(c.Args) {
		return "", []string{"container args " + strings.Join(c.Args, " ") + " have no --config FILE"}
	}
	want := c.Args[i+1]
	for _, m := range c.VolumeMounts {
		key := m.SubPath
		if key == "" && path.Dir(want) == m.MountPath {
			key = path.Base(want)
		} else if key != "" && m.MountPath != want {
			continue
		}
		if key == "" {
			continue
		}
		for _, v := range s.deployment().Spec.Template.Spec.Volumes {
			if v.Name != m.Name || v.ConfigMap == nil {
				continue
			}
			cm, ok := s.configMaps[v.ConfigMap.Name]
			if !ok {
				return "", []string{"volume " + v.Name + ": ConfigMap " + v.ConfigMap.Name + " does not exist"}
			}
			data, ok := cm.Data[key]
			if !ok {
				return "", []string{"ConfigMap " + cm.Metadata.Name + " has no key " + key + " (--config " + want + ")"}
			}
			p := filepath.Join(dir, key)
			if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
				return "", []string{err.Error()}
			}
			return p, nil
		}
	}
	return "", []string{"--config " + want + " is on no ConfigMap volume mount"}
}

// podEnv is the container's environment in the pod named pod: values, the
// downward API's metadata.name, and the Secrets' values.
func (s *k8sSetup) podEnv(pod string) (map[string]string, []string) {
	env := map[string]string{}
	var out []string
	for _, e := range s.container().Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env[e.Name] = pod
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			sec, ok := s.secrets[ref.Name]
			if !ok {
				out = append(out, e.Name+": Secret "+ref.Name+" does not exist")
				continue
			}
			val, ok := sec.StringData[ref.Key]
			if !ok {
				out = append(out, e.Name+": Secret "+ref.Name+" has no key "+ref.Key)
				continue
			}
			env[e.Name] = val
		default:
			out = append(out, e.Name+": a valueFrom the test does not resolve")
		}
	}
	return env, out
}

// pods are two pod names of the Deployment, as the ReplicaSet makes them.
var pods = []string{"tenesa-ivr-5d8f7c9b4-k2x7q", "tenesa-ivr-5d8f7c9b4-w9mzt"}

// loadPod loads the config as the pod named pod runs it.
func (s *k8sSetup) loadPod(t *testing.T, pod string) (*configs.Config, []string) {
	p, problems := s.configFile(t.TempDir())
	env, more := s.podEnv(pod)
	if problems = append(problems, more...); len(problems) > 0 {
		return nil, problems
	}
	cfg, err := loadWithEnv(p, env)
	if err != nil {
		return nil, []string{"pod " + pod + ": config does not load:\n" + err.Error()}
	}
	return cfg, nil
}

// containerPort resolves a probe's or a Service's port (number or name).
func (s *k8sSetup) containerPort(port string) int {
	for _, p := range s.container().Ports {
		if p.Name == port || strconv.Itoa(p.ContainerPort) == port {
			return p.ContainerPort
		}
	}
	return 0
}

func checkK8sEnv(t *testing.T, s *k8sSetup) []string {
	p, out := s.configFile(t.TempDir())
	if p == "" {
		return out
	}
	known := envNames(t, p)
	for _, e := range s.container().Env {
		if strings.HasPrefix(e.Name, configs.EnvPrefix+"_") && !known[e.Name] {
			out = append(out, e.Name+" is not a variable the config loader reads")
		}
	}
	_, more := s.podEnv(pods[0])
	return append(out, more...)
}

// Two pods load the config, in broadcast mode, each with its own
// application from its pod name, matching the dialplan's filter.
func checkK8sConfig(t *testing.T, s *k8sSetup) []string {
	var out []string
	filter := dialplanFilter(t)
	apps := map[string]bool{}
	for _, pod := range pods {
		cfg, problems := s.loadPod(t, pod)
		out = append(out, problems...)
		if cfg == nil {
			continue
		}
		if !cfg.ARI.Broadcast {
			out = append(out, "ari.broadcast is off: the replicas would fight over application "+cfg.ApplicationName())
		}
		if cfg.ARI.Broadcast && !cfg.ARI.Failover.Enabled {
			out = append(out, "ari.failover is off: the calls of a pod that dies would be left to nobody")
		}
		if cfg.Instance != pod {
			out = append(out, fmt.Sprintf("pod %s runs as instance %q, not its pod name (downward API metadata.name)", pod, cfg.Instance))
		}
		app := cfg.ApplicationName()
		if apps[app] {
			out = append(out, "two pods register application "+app)
		}
		apps[app] = true
		if !filter.MatchString(app) {
			out = append(out, "application "+app+" does not match the dialplan's StasisBroadcast filter "+filter.String())
		}
	}
	return out
}

// Ports: the container declares exactly the ports the config listens on
// (reachable from outside the pod); the Service and the Prometheus
// annotations point at them.
func checkK8sPorts(t *testing.T, s *k8sSetup) []string {
	cfg, out := s.loadPod(t, pods[0])
	if cfg == nil {
		return out
	}
	listens := map[int]string{}
	for key, addr := range map[string]string{"metrics.listen": cfg.Metrics.Listen, "agentapi.listen": cfg.AgentAPI.Listen} {
		if !reachable(addr) {
			out = append(out, fmt.Sprintf("%s %q is not reachable from outside the pod", key, addr))
		}
		p, err := listenPort(addr)
		if err != nil {
			out = append(out, fmt.Sprintf("%s %q: %v", key, addr, err))
			continue
		}
		listens[p] = key
		if s.containerPort(strconv.Itoa(p)) == 0 {
			out = append(out, fmt.Sprintf("no containerPort %d (%s)", p, key))
		}
	}
	for _, p := range s.container().Ports {
		if listens[p.ContainerPort] == "" {
			out = append(out, fmt.Sprintf("containerPort %s %d: the controller does not listen on it (%v)", p.Name, p.ContainerPort, listens))
		}
	}
	labels := s.deployment().Spec.Template.Metadata.Labels
	for _, svc := range s.services {
		if len(svc.Spec.Selector) == 0 || !subset(svc.Spec.Selector, labels) {
			out = append(out, "Service "+svc.Metadata.Name+": selector does not select the Deployment's pods")
		}
		for _, p := range svc.Spec.Ports {
			if s.containerPort(p.TargetPort) == 0 {
				out = append(out, "Service "+svc.Metadata.Name+": targetPort "+p.TargetPort+" is no container port")
			}
		}
	}
	ann := s.deployment().Spec.Template.Metadata.Annotations
	mp, _ := listenPort(cfg.Metrics.Listen)
	if ann["prometheus.io/port"] != strconv.Itoa(mp) || ann["prometheus.io/path"] != cfg.Metrics.Path {
		out = append(out, fmt.Sprintf("prometheus.io annotations %s%s, the controller serves metrics on %d%s",
			ann["prometheus.io/port"], ann["prometheus.io/path"], mp, cfg.Metrics.Path))
	}
	return out
}

// Probes: readiness on /readyz, liveness on /healthz, on the port that
// serves them (metrics.listen).
func checkK8sProbes(t *testing.T, s *k8sSetup) []string {
	cfg, out := s.loadPod(t, pods[0])
	if cfg == nil {
		return out
	}
	mp, _ := listenPort(cfg.Metrics.Listen)
	c := s.container()
	for _, p := range []struct {
		name, path string
		probe      *probe
	}{{"readinessProbe", metrics.ReadyzPath, c.ReadinessProbe}, {"livenessProbe", metrics.HealthzPath, c.LivenessProbe}} {
		switch {
		case p.probe == nil || p.probe.HTTPGet == nil:
			out = append(out, p.name+": no httpGet probe")
		case p.probe.HTTPGet.Path != p.path:
			out = append(out, p.name+": path "+p.probe.HTTPGet.Path+", the controller serves "+p.path)
		case s.containerPort(p.probe.HTTPGet.Port) != mp:
			out = append(out, fmt.Sprintf("%s: port %s, the health endpoints are on metrics.listen's %d", p.name, p.probe.HTTPGet.Port, mp))
		}
	}
	return out
}

// Drain: preStop runs the image's `tenesa-ivr drain` with the config serve
// runs with; the termination grace covers ari.shutdown_grace and the stop.
func checkK8sDrain(t *testing.T, s *k8sSetup) []string {
	cfg, out := s.loadPod(t, pods[0])
	if cfg == nil {
		return out
	}
	c := s.container()
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		out = append(out, "container args "+strings.Join(c.Args, " ")+" do not run serve")
	}
	var cmd []string
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Exec != nil {
		cmd = c.Lifecycle.PreStop.Exec.Command
	}
	i := slices.Index(c.Args, "--config")
	j := slices.Index(cmd, "--config")
	switch {
	case len(cmd) == 0:
		out = append(out, "no preStop exec hook")
	case cmd[0] != s.entrypoint || cmd[len(cmd)-1] != "drain":
		out = append(out, fmt.Sprintf("preStop %v is not %s ... drain", cmd, s.entrypoint))
	case i < 0 || j < 0 || j+1 >= len(cmd) || cmd[j+1] != c.Args[i+1]:
		out = append(out, fmt.Sprintf("preStop %v does not load serve's --config", cmd))
	}
	g := time.Duration(s.deployment().Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	if g < cfg.ARI.ShutdownGrace+drainMargin {
		out = append(out, fmt.Sprintf("terminationGracePeriodSeconds %s is under ari.shutdown_grace %s + %s", g, cfg.ARI.ShutdownGrace, drainMargin))
	}
	return out
}

// Names: every volume mount names a volume, every ConfigMap volume an
// existing ConfigMap, and kustomization.yaml lists every file.
func checkK8sNames(t *testing.T, s *k8sSetup) []string {
	var out []string
	spec := s.deployment().Spec.Template.Spec
	for _, m := range s.container().VolumeMounts {
		if !slices.ContainsFunc(spec.Volumes, func(v k8sVolume) bool { return v.Name == m.Name }) {
			out = append(out, "volumeMount "+m.Name+" names no volume")
		}
	}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			if _, ok := s.configMaps[v.ConfigMap.Name]; !ok {
				out = append(out, "volume "+v.Name+": ConfigMap "+v.ConfigMap.Name+" does not exist")
			}
		}
	}
	_, problems := s.configFile(t.TempDir())
	out = append(out, problems...)
	for _, m := range s.container().VolumeMounts {
		if m.SubPath != "" { // the kubelet never updates a subPath mount
			out = append(out, "volumeMount "+m.Name+": subPath "+m.SubPath+": a ConfigMap change would never reach the controller's reload")
		}
	}
	res := slices.Sorted(slices.Values(s.resources))
	if files := slices.Sorted(slices.Values(s.files)); !slices.Equal(res, files) {
		out = append(out, fmt.Sprintf("kustomization.yaml resources %v, the directory holds %v", res, files))
	}
	return out
}

// Disruption: two replicas or more, selected by the PodDisruptionBudget,
// which keeps at least one and lets one go.
func checkK8sDisruption(t *testing.T, s *k8sSetup) []string {
	var out []string
	d := s.deployment()
	n := d.Spec.Replicas
	if n < 2 {
		out = append(out, fmt.Sprintf("replicas %d: one controller is a single point of failure", n))
	}
	if !subset(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
		out = append(out, "the Deployment's selector does not select its own pods")
	}
	if len(s.pdbs) != 1 {
		return append(out, fmt.Sprintf("%d PodDisruptionBudgets, want one", len(s.pdbs)))
	}
	p := s.pdbs[0]
	if len(p.Spec.Selector.MatchLabels) == 0 || !subset(p.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
		out = append(out, "PodDisruptionBudget "+p.Metadata.Name+": selector does not select the Deployment's pods")
	}
	switch {
	case p.Spec.MinAvailable != nil:
		if m := *p.Spec.MinAvailable; m < 1 || m >= n {
			out = append(out, fmt.Sprintf("PodDisruptionBudget minAvailable %d with %d replicas: want 1..%d", m, n, n-1))
		}
	case p.Spec.MaxUnavailable != nil:
		if m := *p.Spec.MaxUnavailable; m < 1 || m >= n {
			out = append(out, fmt.Sprintf("PodDisruptionBudget maxUnavailable %d with %d replicas: want 1..%d", m, n, n-1))
		}
	default:
		out = append(out, "PodDisruptionBudget sets neither minAvailable nor maxUnavailable")
	}
	return out
}

// Secrets: the Secret holds placeholders only, and the ConfigMap no
// password or token (they come from the Secret).
func checkK8sSecrets(t *testing.T, s *k8sSetup) []string {
	var out []string
	for name, sec := range s.secrets {
		if len(sec.Data) > 0 {
			out = append(out, "Secret "+name+": data (base64) instead of stringData placeholders")
		}
		for k, v := range sec.StringData {
			if !strings.Contains(v, "CHANGE_ME") {
				out = append(out, "Secret "+name+": "+k+" is not a CHANGE_ME placeholder")
			}
		}
	}
	p, problems := s.configFile(t.TempDir())
	if p == "" {
		return append(out, problems...)
	}
	cfg, err := loadWithEnv(p, nil)
	if err != nil {
		return append(out, "ConfigMap config does not load without the environment:\n"+err.Error())
	}
	if cfg.ARI.Password != "" || cfg.Redis.Password != "" {
		out = append(out, "the ConfigMap sets a password: keep it in the Secret")
	}
	if len(cfg.AgentTokens()) > 0 {
		out = append(out, "the ConfigMap sets agent tokens: keep them in the Secret")
	}
	return out
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

type k8sCheck struct {
	name  string
	check func(*testing.T, *k8sSetup) []string
}

var k8sChecks = []k8sCheck{
	{"environment variables", checkK8sEnv},
	{"config loads", checkK8sConfig},
	{"ports", checkK8sPorts},
	{"probes", checkK8sProbes},
	{"drain", checkK8sDrain},
	{"names", checkK8sNames},
	{"disruption", checkK8sDisruption},
	{"secrets", checkK8sSecrets},
}

func TestKubernetesMatchesTheCode(t *testing.T) {
	s := loadKubernetes(t)
	for _, c := range k8sChecks {
		t.Run(c.name, func(t *testing.T) { expectNone(t, c.check(t, s)) })
	}
}

func addEnv(name, value string) func(*testing.T, *k8sSetup) {
	return func(_ *testing.T, s *k8sSetup) {
		s.container().Env = append(s.container().Env, envVar{Name: name, Value: value})
	}
}

func editConfig(old, new string) func(*testing.T, *k8sSetup) {
	return func(t *testing.T, s *k8sSetup) {
		t.Helper()
		cm := s.configMaps["tenesa-ivr-config"]
		if !strings.Contains(cm.Data["tenesa.yaml"], old) {
			t.Fatalf("the ConfigMap's tenesa.yaml has no %q to replace", old)
		}
		cm.Data = map[string]string{"tenesa.yaml": strings.Replace(cm.Data["tenesa.yaml"], old, new, 1)}
		s.configMaps["tenesa-ivr-config"] = cm
	}
}

func intp(n int) *int { return &n }

// env is the container's variable name, for a mutation; it fails the test
// when the Deployment does not set it.
func env(t *testing.T, s *k8sSetup, name string) *envVar {
	t.Helper()
	for i := range s.container().Env {
		if s.container().Env[i].Name == name {
			return &s.container().Env[i]
		}
	}
	t.Fatalf("the Deployment sets no %s", name)
	return nil
}

// Each check reports a real mismatch, made in a parsed copy.
func TestKubernetesChecksFindEachMismatch(t *testing.T) {
	for _, tc := range []struct {
		name, check, want string
		mutate            func(*testing.T, *k8sSetup)
	}{
		{"a misspelled TENESA variable", "environment variables", "TENESA_ARI_PASWORD is not a variable",
			func(t *testing.T, s *k8sSetup) { env(t, s, "TENESA_ARI_PASSWORD").Name = "TENESA_ARI_PASWORD" }},
		{"a Secret key that does not exist", "environment variables", "has no key redis-pass",
			func(t *testing.T, s *k8sSetup) {
				env(t, s, "TENESA_REDIS_PASSWORD").ValueFrom.SecretKeyRef.Key = "redis-pass"
			}},
		{"a Secret that does not exist", "environment variables", "Secret tenesa-secrets does not exist",
			func(t *testing.T, s *k8sSetup) {
				env(t, s, "TENESA_AGENT_1001_TOKEN").ValueFrom.SecretKeyRef.Name = "tenesa-secrets"
			}},
		{"a bad value from the environment", "config loads", "env TENESA_ARI_MAX_CALLS", addEnv("TENESA_ARI_MAX_CALLS", "many")},
		{"a fixed instance for every pod", "config loads", "not its pod name",
			func(t *testing.T, s *k8sSetup) {
				*env(t, s, "TENESA_INSTANCE") = envVar{Name: "TENESA_INSTANCE", Value: "ctl"}
			}},
		{"broadcast off", "config loads", "ari.broadcast is off", func(t *testing.T, s *k8sSetup) {
			// failover needs broadcast: off too, so the config still loads
			addEnv("TENESA_ARI_BROADCAST", "false")(t, s)
			addEnv("TENESA_ARI_FAILOVER_ENABLED", "false")(t, s)
		}},
		{"failover off", "config loads", "ari.failover is off", addEnv("TENESA_ARI_FAILOVER_ENABLED", "false")},
		{"an application the dialplan does not offer calls to", "config loads", "does not match the dialplan",
			addEnv("TENESA_ARI_APPLICATION", "ivr")},
		{"metrics on loopback", "ports", "is not reachable", editConfig("0.0.0.0:9464", "127.0.0.1:9464")},
		{"a container port the controller does not listen on", "ports", "does not listen on it",
			func(_ *testing.T, s *k8sSetup) { s.container().Ports[1].ContainerPort = 8080 }},
		{"the agent API moved off its container port", "ports", "no containerPort 8443", editConfig("0.0.0.0:8090", "0.0.0.0:8443")},
		{"a Service targetPort that is no container port", "ports", "targetPort agent-api",
			func(_ *testing.T, s *k8sSetup) { s.services[0].Spec.Ports[1].TargetPort = "agent-api" }},
		{"a Service selecting other pods", "ports", "does not select",
			func(_ *testing.T, s *k8sSetup) { s.services[0].Spec.Selector = map[string]string{"app": "tenesa"} }},
		{"a Prometheus annotation off the metrics port", "ports", "prometheus.io annotations",
			func(_ *testing.T, s *k8sSetup) {
				s.deployment().Spec.Template.Metadata.Annotations["prometheus.io/port"] = "8090"
			}},
		{"readiness on a path the controller does not serve", "probes", "readinessProbe: path /ready",
			func(_ *testing.T, s *k8sSetup) { s.container().ReadinessProbe.HTTPGet.Path = "/ready" }},
		{"liveness on the agent API port", "probes", "livenessProbe: port agentapi",
			func(_ *testing.T, s *k8sSetup) { s.container().LivenessProbe.HTTPGet.Port = "agentapi" }},
		{"liveness on readiness", "probes", "livenessProbe: path /readyz",
			func(_ *testing.T, s *k8sSetup) { s.container().LivenessProbe.HTTPGet.Path = metrics.ReadyzPath }},
		{"termination grace under the shutdown grace", "drain", "terminationGracePeriodSeconds",
			editConfig("shutdown_grace: 5m", "shutdown_grace: 10m")},
		{"termination grace without the stop margin", "drain", "terminationGracePeriodSeconds",
			func(_ *testing.T, s *k8sSetup) { s.deployment().Spec.Template.Spec.TerminationGracePeriodSeconds = 300 }},
		{"no preStop drain", "drain", "no preStop", func(_ *testing.T, s *k8sSetup) { s.container().Lifecycle = nil }},
		{"a preStop that only sleeps", "drain", "is not /usr/local/bin/tenesa-ivr",
			func(_ *testing.T, s *k8sSetup) {
				s.container().Lifecycle.PreStop.Exec.Command = []string{"sleep", "300"}
			}},
		{"a preStop drain with another config", "drain", "does not load serve's --config",
			func(_ *testing.T, s *k8sSetup) {
				s.container().Lifecycle.PreStop.Exec.Command = []string{"/usr/local/bin/tenesa-ivr", "--config", "/etc/tenesa.yaml", "drain"}
			}},
		{"a volume mount naming no volume", "names", "names no volume",
			func(_ *testing.T, s *k8sSetup) { s.container().VolumeMounts[0].Name = "cfg" }},
		{"a ConfigMap that does not exist", "names", "ConfigMap tenesa-config does not exist",
			func(_ *testing.T, s *k8sSetup) {
				s.deployment().Spec.Template.Spec.Volumes[0].ConfigMap.Name = "tenesa-config"
			}},
		{"--config off the ConfigMap's key", "names", "has no key config.yaml",
			func(_ *testing.T, s *k8sSetup) {
				s.container().Args = []string{"serve", "--config", "/etc/tenesa/config.yaml"}
			}},
		{"the config mounted with subPath", "names", "would never reach the controller's reload",
			func(_ *testing.T, s *k8sSetup) {
				s.container().VolumeMounts[0].MountPath = "/etc/tenesa/tenesa.yaml"
				s.container().VolumeMounts[0].SubPath = "tenesa.yaml"
			}},
		{"a file kustomization.yaml leaves out", "names", "kustomization.yaml resources",
			func(_ *testing.T, s *k8sSetup) {
				s.resources = slices.DeleteFunc(s.resources, func(r string) bool { return r == "pdb.yaml" })
			}},
		{"one replica", "disruption", "single point of failure", func(_ *testing.T, s *k8sSetup) { s.deployment().Spec.Replicas = 1 }},
		{"a budget that blocks every eviction", "disruption", "minAvailable 2",
			func(_ *testing.T, s *k8sSetup) { s.pdbs[0].Spec.MinAvailable = intp(2) }},
		{"a budget selecting other pods", "disruption", "selector does not select",
			func(_ *testing.T, s *k8sSetup) {
				s.pdbs[0].Spec.Selector.MatchLabels = map[string]string{"app": "tenesa"}
			}},
		{"a real-looking password in the Secret", "secrets", "ari-password is not a CHANGE_ME placeholder",
			func(_ *testing.T, s *k8sSetup) {
				s.secrets["tenesa-ivr-secrets"].StringData["ari-password"] = "Xk29-real-looking"
			}},
		{"a password in the ConfigMap", "secrets", "the ConfigMap sets a password",
			editConfig("  username: tenesa\n", "  username: tenesa\n  password: hunter2\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := slices.IndexFunc(k8sChecks, func(c k8sCheck) bool { return c.name == tc.check })
			if i < 0 {
				t.Fatalf("no check %q", tc.check)
			}
			s := loadKubernetes(t)
			tc.mutate(t, s)
			expectProblem(t, k8sChecks[i].check(t, s), tc.want)
		})
	}
}
