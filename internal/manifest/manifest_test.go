package manifest

import "testing"

func TestPromptIDsHoldTheDefaultsPrompts(t *testing.T) {
	ids, err := PromptIDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"greeting-pagi", "menu-main", "redirect-consumer"} {
		if !ids[id] {
			t.Errorf("prompt %q missing from the manifest set", id)
		}
	}
	if _, err := Load(""); err != nil {
		t.Fatalf("embedded defaults do not load against the manifest: %v", err)
	}
}

func TestLoadRejectsAPromptOutsideTheManifest(t *testing.T) {
	t.Setenv("TENESA_IVR_PROMPTS_TRANSFER", "no-such-prompt")
	_, err := Load("")
	if err == nil {
		t.Fatal("a prompt outside the manifest must be rejected")
	}
	want := `env TENESA_IVR_PROMPTS_TRANSFER: ivr.prompts.transfer: prompt "no-such-prompt" is not in the prompt manifest`
	if got := err.Error(); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("got %q, want prefix %q", got, want)
	}
}
