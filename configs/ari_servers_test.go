package configs

import (
	"slices"
	"testing"
)

// TestServersCredentialsFromEnvAndShared: each box's password comes from
// TENESA_ARI_SERVER_<NAME>_PASSWORD, or else the shared ari.password; an
// empty username is ari.username; the trunks are keyed by box; EnvNames
// lists each box's variable.
func TestServersCredentialsFromEnvAndShared(t *testing.T) {
	env := map[string]string{"TENESA_ARI_PASSWORD": "shared-secret", "TENESA_ARI_SERVER_SEMARANG_PASSWORD": "smg-secret"}
	cfg, err := load("testdata/ok-servers.yaml", testPrompts, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ss := cfg.ARIServers()
	if len(ss) != 2 {
		t.Fatalf("%d servers", len(ss))
	}
	if ss[0].Name != "bandung" || ss[0].Username != "tenesa" || ss[0].Password != "shared-secret" {
		t.Errorf("bandung: %q user %q password from ari.password: %v", ss[0].Name, ss[0].Username, ss[0].Password == "shared-secret")
	}
	if ss[1].Name != "semarang" || ss[1].Username != "tenesa-smg" || ss[1].Password != "smg-secret" {
		t.Errorf("semarang: %q user %q password from its variable: %v", ss[1].Name, ss[1].Username, ss[1].Password == "smg-secret")
	}
	if tr := cfg.AgentTrunks(); len(tr) != 1 || tr["bandung"] != "PJSIP/{resource}@trunk-to-semarang" {
		t.Errorf("trunks %v", tr)
	}
	if cfg.Agents[1].Box != "semarang" {
		t.Errorf("agents[1].box %q", cfg.Agents[1].Box)
	}
	names, err := EnvNames("testdata/ok-servers.yaml", testPrompts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"TENESA_ARI_SERVER_BANDUNG_PASSWORD", "TENESA_ARI_SERVER_SEMARANG_PASSWORD"} {
		if !slices.Contains(names, n) {
			t.Errorf("EnvNames lacks %s", n)
		}
	}
}

// TestOneServerIsTheClassicARIURL: without ari.servers, ARIServers is the
// one unnamed box of ari.url and its credentials (as before servers).
func TestOneServerIsTheClassicARIURL(t *testing.T) {
	cfg, err := load("", testPrompts, func(k string) (string, bool) {
		if k == "TENESA_ARI_PASSWORD" {
			return "pw", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	ss := cfg.ARIServers()
	if len(ss) != 1 || ss[0].Name != "" || ss[0].URL != cfg.ARI.URL || ss[0].Username != cfg.ARI.Username || ss[0].Password != "pw" {
		t.Errorf("servers %+v", ss)
	}
	if len(cfg.AgentTrunks()) != 0 {
		t.Errorf("trunks %v", cfg.AgentTrunks())
	}
}
