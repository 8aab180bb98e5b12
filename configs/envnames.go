package configs

import "sort"

// EnvNames lists every environment variable the loader reads for the file at
// path (every TENESA_<KEY> of the defaults and the file, and each configured
// agent's TENESA_AGENT_<ID>_TOKEN), sorted. A deployment that sets another
// TENESA_ variable has a typo the loader would ignore in silence: check it
// against this list. The file is loaded (without the environment) to find
// them; its problems come back as the error, with the names found so far.
func EnvNames(path string, prompts PromptIDs) ([]string, error) {
	seen := map[string]bool{}
	_, err := load(path, prompts, func(name string) (string, bool) {
		seen[name] = true
		return "", false
	})
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, err
}
