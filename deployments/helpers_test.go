package deployments_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
)

// drainMargin is what a controller needs past ari.shutdown_grace to stop
// (cmd/tenesa-ivr drain.go's drainMargin): a stop or termination grace must
// cover both.
const drainMargin = 15 * time.Second

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// readDotEnv reads KEY=VALUE lines (comments and blank lines skipped).
func readDotEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s:%d: not KEY=VALUE: %q", path, n, line)
		}
		out[k] = v
	}
	return out
}

var varRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// interpolate resolves Compose's ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, $VAR and $$ against env.
func interpolate(s string, env map[string]string) (string, error) {
	var errs []string
	out := varRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := varRef.FindStringSubmatch(m)
		name, op, arg := sub[1], sub[2], sub[3]
		if name == "" {
			name = sub[4]
		}
		val, set := env[name]
		switch op {
		case ":-":
			if val == "" {
				return arg
			}
		case "-":
			if !set {
				return arg
			}
		case ":?":
			if val == "" {
				errs = append(errs, name+": "+arg)
			}
		case "?":
			if !set {
				errs = append(errs, name+": "+arg)
			}
		}
		return val
	})
	if len(errs) > 0 {
		return "", fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

// loadWithEnv loads the config at path with exactly env as its TENESA_*
// environment (any other TENESA_ variable of the test process is hidden),
// against the embedded prompt manifest, and restores the environment.
func loadWithEnv(path string, env map[string]string) (*configs.Config, error) {
	saved := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, configs.EnvPrefix+"_") {
			saved[k] = v
			os.Unsetenv(k)
		}
	}
	for k, v := range env {
		os.Setenv(k, v)
	}
	defer func() {
		for k := range env {
			os.Unsetenv(k)
		}
		for k, v := range saved {
			os.Setenv(k, v)
		}
	}()
	return manifest.Load(path)
}

// envNames is the set of variables the loader reads for the file at path.
func envNames(t *testing.T, path string) map[string]bool {
	t.Helper()
	ids, err := manifest.PromptIDs()
	if err != nil {
		t.Fatal(err)
	}
	names, err := configs.EnvNames(path, ids)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

// listenPort is the port of a host:port listen address.
func listenPort(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(p)
}

// reachable reports whether a listen address accepts connections from
// outside its container (not loopback).
func reachable(addr string) bool {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if h == "" || h == "0.0.0.0" || h == "::" {
		return true
	}
	ip := net.ParseIP(h)
	return h != "localhost" && (ip == nil || !ip.IsLoopback())
}

// dialplanFilter is the application filter of StasisBroadcast in
// deployments/asterisk/extensions.conf (^tenesa-ivr-).
func dialplanFilter(t *testing.T) *regexp.Regexp {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("asterisk", "extensions.conf"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:same|exten)\s*=>.*\bStasisBroadcast\([^,]*,([^,]+),`).FindSubmatch(b)
	if m == nil {
		t.Fatal("asterisk/extensions.conf has no StasisBroadcast(timeout,filter,...)")
	}
	return regexp.MustCompile(string(m[1]))
}

// expectProblem runs a check on a broken copy and wants a problem that
// mentions want.
func expectProblem(t *testing.T, problems []string, want string) {
	t.Helper()
	for _, p := range problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("no problem mentioning %q; got %q", want, problems)
}

func expectNone(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}
