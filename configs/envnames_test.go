package configs

import (
	"slices"
	"testing"
)

// EnvNames holds the variables of the defaults, of keys only the file has
// and of each agent's token, and nothing the loader does not read.
func TestEnvNamesListsEveryVariableTheLoaderReads(t *testing.T) {
	names, err := EnvNames("testdata/ok-acd-site.yaml", testPrompts)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TENESA_ARI_URL", "TENESA_ARI_PASSWORD", "TENESA_REDIS_MASTER_NAME",
		"TENESA_INSTANCE", "TENESA_METRICS_LISTEN", "TENESA_AGENTAPI_LISTEN"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s missing from %v", want, names)
		}
	}
	cfg, err := load("testdata/ok-acd-site.yaml", testPrompts, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Agents) == 0 {
		t.Fatal("ok-acd-site.yaml declares no agents: the token check below would prove nothing")
	}
	for _, a := range cfg.Agents {
		if !slices.Contains(names, AgentTokenEnv(a.ID)) {
			t.Errorf("agent %s: %s missing", a.ID, AgentTokenEnv(a.ID))
		}
	}
	for _, typo := range []string{"TENESA_REDIS_MASTERNAME", "TENESA_ARI_PASS", "TENESA_AGENT_9999_TOKEN"} {
		if slices.Contains(names, typo) {
			t.Errorf("%s listed, but the loader does not read it", typo)
		}
	}
	// Every listed variable is read: setting it changes the load (here: a
	// value of the wrong type is reported under that variable).
	t.Setenv("TENESA_REDIS_DB", "x")
	if _, err := Load("testdata/ok-acd-site.yaml", testPrompts); err == nil {
		t.Error("TENESA_REDIS_DB=x passed: the loader did not read a listed variable")
	}
}

func TestEnvNamesReturnsTheFileProblems(t *testing.T) {
	names, err := EnvNames("testdata/bad-types.yaml", testPrompts)
	if err == nil {
		t.Fatal("a bad file gave no error")
	}
	if !slices.Contains(names, "TENESA_ARI_URL") {
		t.Errorf("names of the keys found are still listed, got %v", names)
	}
}
