package configs

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/spf13/viper"
)

// tagged lists the key of every field with a mapstructure tag under t, the
// way a YAML writer names it (entries of maps and lists as in Reference).
func tagged(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := joinKey(prefix, tag)
		out = append(out, key)
		switch ft := f.Type; {
		case ft.Kind() == reflect.Struct && ft != durationType:
			out = append(out, tagged(ft, key)...)
		case (ft.Kind() == reflect.Map || ft.Kind() == reflect.Slice) && ft.Elem().Kind() == reflect.Struct:
			out = append(out, tagged(ft.Elem(), entryKey(key, ft))...)
		}
	}
	return out
}

// undocumented checks keys against the fields of t: every field with a
// mapstructure tag must be listed, with a description.
func undocumented(t reflect.Type, keys []ConfigKey) []string {
	byKey := map[string]ConfigKey{}
	for _, k := range keys {
		byKey[k.Key] = k
	}
	var out []string
	for _, key := range tagged(t, "") {
		k, ok := byKey[key]
		switch {
		case !ok:
			out = append(out, key+": missing from the reference")
		case strings.TrimSpace(k.Description) == "":
			out = append(out, key+" (field "+k.Field+"): no description: give the field a doc comment")
		}
	}
	return out
}

func TestReferenceDescribesEveryKey(t *testing.T) {
	keys, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range undocumented(reflect.TypeFor[Config](), keys) {
		t.Errorf("configs: %s (docs/configuration.md is generated from the comments)", p)
	}
	for _, k := range keys {
		if k.Type == "" {
			t.Errorf("%s: no type", k.Key)
		}
	}
}

// refFixture is a config struct with one field left without a comment.
type refFixture struct {
	Documented string `mapstructure:"documented"`
	Bare       int    `mapstructure:"bare"`
	Section    struct {
		Inner bool `mapstructure:"inner"`
	} `mapstructure:"section"`
}

const refFixtureSource = `package configs

// refFixture is a config struct with one field left without a comment.
type refFixture struct {
	Documented string ` + "`mapstructure:\"documented\"`" + ` // Documented has a line comment.
	Bare       int    ` + "`mapstructure:\"bare\"`" + `
	// Section groups one key.
	Section struct {
		Inner bool ` + "`mapstructure:\"inner\"`" + `
	} ` + "`mapstructure:\"section\"`" + `
}
`

func TestAFieldWithoutCommentIsReported(t *testing.T) {
	docs, err := parseDocs(fstest.MapFS{"fixture.go": {Data: []byte(refFixtureSource)}})
	if err != nil {
		t.Fatal(err)
	}
	w := refWalker{docs: docs}
	w.walkStruct(reflect.TypeFor[refFixture](), reflect.Value{}, "", "", false)
	got := undocumented(reflect.TypeFor[refFixture](), w.keys)
	// Section.Inner's anonymous struct has no doc either: both are reported.
	want := []string{
		"bare (field Bare): no description: give the field a doc comment",
		"section.inner (field Section.Inner): no description: give the field a doc comment",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("undocumented = %q, want %q", got, want)
	}
	if d := w.keys[0].Description; d != "`documented` has a line comment." {
		t.Errorf("line comment read as %q", d)
	}
}

func TestGoNamesInDescriptionsBecomeKeys(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"field name", "MaxWait is how long", "`max_wait` is how long"},
		{"at the end of a sentence", "the queue after MaxWait.", "the queue after `max_wait`."},
		{"inside a dotted path", "see acd.MaxWait and MaxWait.x", "see acd.MaxWait and MaxWait.x"},
		{"inside a placeholder", "TENESA_<Overflow>_X", "TENESA_<Overflow>_X"},
		{"inside a longer word", "MaxWaits", "MaxWaits"},
		{"not a field", "ApplicationName", "ApplicationName"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := goNamesToKeys(tt.in, reflect.TypeFor[Queue]()); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReferenceDefaultsAreWhatLoadReads: the reference decodes the defaults
// itself (without validation or environment); it must read what Load reads.
func TestReferenceDefaultsAreWhatLoadReads(t *testing.T) {
	got, err := decodeDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want, err := load("", testPrompts, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	got.Source = want.Source
	if !reflect.DeepEqual(got, want) {
		t.Fatal("decodeDefaults differs from load of the embedded defaults")
	}
}

// TestReferenceEnvVariablesReachTheirKeys: Load applies TENESA_<KEY> only
// to keys the defaults (or the file) hold, so every variable the reference
// names for a key outside a map must have its key in tenesa.yaml.
func TestReferenceEnvVariablesReachTheirKeys(t *testing.T) {
	keys, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(defaultYAML)); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, k := range v.AllKeys() {
		known[k] = true
	}
	for _, k := range keys {
		if k.Env == "" || strings.Contains(k.Env, "<") {
			continue
		}
		if !known[k.Key] {
			t.Errorf("%s has no value in configs/tenesa.yaml, so %s would be ignored: add its default there", k.Key, k.Env)
		}
		if k.Env != EnvName(k.Key) {
			t.Errorf("%s: env %s, want %s", k.Key, k.Env, EnvName(k.Key))
		}
	}
}

// TestReferenceEnvExamplesWork loads the defaults with the environment
// variables the reference's introduction gives as examples, and one of each
// shape: a scalar, a list of strings, an entry of a map of values and a key
// of a map entry.
func TestReferenceEnvExamplesWork(t *testing.T) {
	cfg, err := load("", testPrompts, envOf(map[string]string{
		"TENESA_ACD_QUEUE_DEFAULTS_RING_TIMEOUT":       "25s",
		"TENESA_SEGMENTATION_LANGUAGES":                "id,en",
		"TENESA_SEGMENTATION_TIERS_GOLD":               "8",
		"TENESA_SEGMENTATION_SEGMENTS_CONSUMER_SERVED": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ACD.QueueDefaults.RingTimeout != 25*time.Second {
		t.Errorf("ring_timeout = %s", cfg.ACD.QueueDefaults.RingTimeout)
	}
	if !slices.Equal(cfg.Segmentation.Languages, []string{"id", "en"}) {
		t.Errorf("languages = %q", cfg.Segmentation.Languages)
	}
	if cfg.Segmentation.Tiers["gold"] != 8 {
		t.Errorf("tiers.gold = %d", cfg.Segmentation.Tiers["gold"])
	}
	if !cfg.Segmentation.Segments["CONSUMER"].Served {
		t.Error("segments.CONSUMER.served not set from the environment")
	}
	var intro bytes.Buffer
	intro.WriteString(referenceIntro)
	for _, example := range []string{"TENESA_ACD_QUEUE_DEFAULTS_RING_TIMEOUT", "TENESA_SEGMENTATION_LANGUAGES=id,en", "TENESA_SEGMENTATION_TIERS_GOLD=8"} {
		if !strings.Contains(intro.String(), example) {
			t.Errorf("the introduction no longer shows %s: keep this test's examples in step", example)
		}
	}
}

// TestReferenceTablesHaveFiveColumns: a pipe in a description or a default
// is escaped, so every row keeps its five cells.
func TestReferenceTablesHaveFiveColumns(t *testing.T) {
	var b bytes.Buffer
	if err := WriteReference(&b); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(b.String(), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		rows++
		if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 6 {
			t.Errorf("row with %d cells: %s", n-1, line)
		}
	}
	keys, _ := Reference()
	if rows != len(keys) {
		t.Errorf("%d rows for %d keys", rows, len(keys))
	}
}

func TestPlaceholderNamesAMapsEntry(t *testing.T) {
	for key, want := range map[string]string{
		"routing.queues": "queue", "region_aliases": "region_alias", "segmentation.tiers": "tier",
		"ivr.ticket.status_prompts": "status", "greeting.prompts": "band", "ivr.menus.<menu>.options": "key",
	} {
		if got := placeholder(key); got != want {
			t.Errorf("placeholder(%q) = %q, want %q", key, got, want)
		}
	}
}
