package configs

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/deployments/asterisk/sounds"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// testPrompts is the prompt manifest the loader checks prompt ids against.
var testPrompts = func() PromptIDs {
	ps, err := sounds.Prompts()
	if err != nil {
		panic(err)
	}
	ids := NewPromptIDs()
	for _, p := range ps {
		ids[p.Name] = true
	}
	return ids
}()

// goldenEnv reads testdata/<name>.env (KEY=VALUE lines), the environment a
// golden file is loaded with; no file means no environment.
func goldenEnv(t *testing.T, yamlPath string) func(string) (string, bool) {
	b, err := os.ReadFile(strings.TrimSuffix(yamlPath, ".yaml") + ".env")
	if os.IsNotExist(err) {
		return noEnv
	}
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s.env: %q is not KEY=VALUE", yamlPath, line)
			}
			env[k] = v
		}
	}
	return envOf(env)
}

// TestLoadGolden loads every testdata/*.yaml (with testdata/<name>.env as
// the environment, if present) and compares the outcome (every problem, one
// per line, or "ok") with testdata/<name>.golden.
func TestLoadGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := load(f, testPrompts, goldenEnv(t, f))
			got := "ok\n"
			if err != nil {
				got = err.Error() + "\n"
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run go test ./configs -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("outcome differs from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
			if strings.HasPrefix(name, "ok-") != (err == nil && got == "ok\n") {
				t.Errorf("file %s: ok- files must load, bad- files must not; got %q", f, got)
			}
		})
	}
}

func noEnv(string) (string, bool) { return "", false }

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsLoad(t *testing.T) {
	cfg, err := load("", testPrompts, noEnv)
	if err != nil {
		t.Fatalf("embedded defaults do not validate: %v", err)
	}
	if cfg.ARI.Application != "tenesa-ivr" || cfg.Segmentation.LookupBudget != 150*time.Millisecond {
		t.Errorf("unexpected defaults: %+v", cfg.ARI)
	}
	if r := cfg.Segmentation.Segments["CONSUMER"]; r.Served || r.RedirectTarget != "147" {
		t.Errorf("CONSUMER rule = %+v, want not served, redirect 147", r)
	}
	if !cfg.Segmentation.Segments["DES"].Served {
		t.Error("DES must be served by default")
	}
}

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(*Config) bool
	}{
		{"ari url", map[string]string{"TENESA_ARI_URL": "http://pbx:8088/ari"},
			func(c *Config) bool { return c.ARI.URL == "http://pbx:8088/ari" }},
		{"ari credentials", map[string]string{"TENESA_ARI_USERNAME": "u1", "TENESA_ARI_PASSWORD": "s3cret"},
			func(c *Config) bool { return c.ARI.Username == "u1" && c.ARI.Password == "s3cret" }},
		{"ari application", map[string]string{"TENESA_ARI_APPLICATION": "tenesa-b"},
			func(c *Config) bool { return c.ARI.Application == "tenesa-b" }},
		{"single controller keeps the plain application", map[string]string{"TENESA_INSTANCE": "a"},
			func(c *Config) bool { return c.ApplicationName() == "tenesa-ivr" }},
		{"broadcast derives the application from the instance",
			map[string]string{"TENESA_ARI_BROADCAST": "true", "TENESA_INSTANCE": "bdg-1", "TENESA_ARI_MAX_CALLS": "40"},
			func(c *Config) bool { return c.ApplicationName() == "tenesa-ivr-bdg-1" && c.ARI.MaxCalls == 40 }},
		{"failover", map[string]string{"TENESA_ARI_BROADCAST": "true", "TENESA_ARI_FAILOVER_ENABLED": "true",
			"TENESA_ARI_FAILOVER_LEASE_TTL": "6s", "TENESA_ARI_FAILOVER_RENEW_EVERY": "2s"},
			func(c *Config) bool {
				f := c.ARI.Failover
				return f.Enabled && f.LeaseTTL == 6*time.Second && f.RenewEvery == 2*time.Second
			}},
		{"redis addr", map[string]string{"TENESA_REDIS_ADDR": "10.1.1.1:6380"},
			func(c *Config) bool { return c.Redis.Addr == "10.1.1.1:6380" }},
		{"duration", map[string]string{"TENESA_SEGMENTATION_LOOKUP_BUDGET": "80ms"},
			func(c *Config) bool { return c.Segmentation.LookupBudget == 80*time.Millisecond }},
		{"nested", map[string]string{"TENESA_SEGMENTATION_CACHE_SIZE": "5"},
			func(c *Config) bool { return c.Segmentation.Cache.Size == 5 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load("", testPrompts, envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Errorf("override %v not applied", tt.env)
			}
		})
	}
}

func TestEnvOverrideIsValidated(t *testing.T) {
	_, err := load("", testPrompts, envOf(map[string]string{"TENESA_ARI_URL": "not a url"}))
	if err == nil || !strings.Contains(err.Error(), "env TENESA_ARI_URL: ari.url:") {
		t.Fatalf("bad env value must be reported as env TENESA_ARI_URL under ari.url, got %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := load(filepath.Join(t.TempDir(), "nope.yaml"), testPrompts, noEnv)
	if err == nil || !strings.Contains(err.Error(), "nope.yaml: (file):") {
		t.Fatalf("want a file problem, got %v", err)
	}
}

// FuzzLoad feeds arbitrary YAML to the loader: it must never panic, and
// every problem must name the file and a key.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Add(Defaults())
	f.Add([]byte("lines: 3\nari: [1]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := load(path, testPrompts, noEnv)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without error")
			}
			return
		}
		ps, ok := err.(Problems)
		if !ok || len(ps) == 0 {
			t.Fatalf("error is not Problems: %T %v", err, err)
		}
		for _, p := range ps {
			if p.File != path || p.Key == "" || p.Message == "" {
				t.Fatalf("problem without file/key/message: %#v", p)
			}
		}
	})
}

func TestDecodeKey(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"nested field", "ari.request_timeout", "ari.request_timeout"},
		{"list item", "lines[0].number", "lines[0].number"},
		{"map entry", "segmentation.segments[des].served", "segmentation.segments.des.served"},
		{"map entry with a digit key", "ivr.menus[main].options[1].action", "ivr.menus.main.options.1.action"},
		{"list in a map entry", "routing.queues[billing].skills[2]", "routing.queues.billing.skills[2]"},
		{"root", "", "(root)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := decodeKey(c.in); got != c.want {
				t.Errorf("decodeKey(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
