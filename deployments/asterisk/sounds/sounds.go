// Package sounds holds the TENESA prompt manifest (prompts.yaml), the
// contract between the IVR controller, the dialplan and the recordings, and
// the measured length of every rendered prompt (durations.json).
//
// Both files are embedded, so the controller and the ARI simulator can use
// real prompt lengths without reading the sound files. Re-render with
// scripts/render-prompts.sh after editing the manifest.
package sounds

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Languages are the caller languages every prompt exists in.
var Languages = []string{"id", "en"}

// Prefix is the folder under the Asterisk sounds directory; a prompt is
// played as sound:<Prefix><lang>/<id>.
const Prefix = "tenesa/"

//go:embed prompts.yaml
var manifest []byte

//go:embed durations.json
var durations []byte

// Manifest returns the embedded prompts.yaml.
func Manifest() []byte { return bytes.Clone(manifest) }

// Durations returns the rendered length of every prompt, keyed
// "tenesa/<lang>/<id>" (e.g. "tenesa/id/greeting-pagi").
func Durations() (map[string]time.Duration, error) {
	var ms map[string]int64
	if err := json.Unmarshal(durations, &ms); err != nil {
		return nil, fmt.Errorf("sounds: durations.json: %w", err)
	}
	out := make(map[string]time.Duration, len(ms))
	for k, v := range ms {
		out[k] = time.Duration(v) * time.Millisecond
	}
	return out, nil
}

// Prompt is one manifest entry.
type Prompt struct {
	Name string `yaml:"-"` // the prompt id, e.g. greeting-pagi
	ID   string `yaml:"id"`
	EN   string `yaml:"en"`
	Note string `yaml:"note"`
}

// Text returns the prompt text in lang ("id" or "en").
func (p Prompt) Text(lang string) string {
	switch lang {
	case "id":
		return p.ID
	case "en":
		return p.EN
	}
	return ""
}

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Prompts parses the embedded manifest.
func Prompts() ([]Prompt, error) { return ParseManifest(manifest) }

// ParseManifest parses and checks a manifest: known fields only, prompt ids
// in lower-case kebab form, both languages present, single-line texts.
// The result is sorted by prompt id.
func ParseManifest(data []byte) ([]Prompt, error) {
	var doc struct {
		Prompts map[string]Prompt `yaml:"prompts"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("sounds: prompts.yaml: %w", err)
	}
	if len(doc.Prompts) == 0 {
		return nil, fmt.Errorf("sounds: prompts.yaml: no prompts")
	}
	var problems []string
	out := make([]Prompt, 0, len(doc.Prompts))
	for name, p := range doc.Prompts {
		p.Name = name
		if !nameRE.MatchString(name) {
			problems = append(problems, fmt.Sprintf("prompts.%s: id must be lower-case words joined by '-'", name))
		}
		for _, lang := range Languages {
			t := p.Text(lang)
			switch {
			case strings.TrimSpace(t) == "":
				problems = append(problems, fmt.Sprintf("prompts.%s.%s: missing text", name, lang))
			case strings.ContainsAny(t, "\t\r\n"):
				problems = append(problems, fmt.Sprintf("prompts.%s.%s: text must be one line without tabs", name, lang))
			}
		}
		out = append(out, p)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("sounds: prompts.yaml: %s", strings.Join(problems, "; "))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Key is the sound name of a prompt in lang, e.g. "tenesa/id/greeting-pagi";
// the media URI is "sound:" + Key.
func Key(lang, name string) string { return Prefix + lang + "/" + name }
