// Package manifest turns the embedded prompt manifest
// (deployments/asterisk/sounds) into the set of prompt ids configs validates
// against: the one place that ties configuration checks to the sounds.
package manifest

import (
	"sync"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/deployments/asterisk/sounds"
)

var promptIDs = sync.OnceValues(func() (configs.PromptIDs, error) {
	ps, err := sounds.Prompts()
	if err != nil {
		return nil, err
	}
	ids := configs.NewPromptIDs()
	for _, p := range ps {
		ids[p.Name] = true
	}
	return ids, nil
})

// PromptIDs returns the prompt ids of the embedded manifest. The set is
// shared: do not modify it.
func PromptIDs() (configs.PromptIDs, error) { return promptIDs() }

// Load loads the configuration at path (see configs.Load) against the
// embedded prompt manifest.
func Load(path string) (*configs.Config, error) {
	ids, err := PromptIDs()
	if err != nil {
		return nil, err
	}
	return configs.Load(path, ids)
}
