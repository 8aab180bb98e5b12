package configs

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

//go:embed tenesa.yaml
var defaultYAML []byte

// DefaultsName is the name problems in the embedded defaults are reported under.
const DefaultsName = "<defaults>"

// EnvPrefix prefixes every environment override: TENESA_ARI_URL sets ari.url.
const EnvPrefix = "TENESA"

// Defaults returns the embedded default configuration file.
func Defaults() []byte { return bytes.Clone(defaultYAML) }

// Problem is one thing wrong with a configuration: the file it came from,
// the key path (e.g. "ari.url", "lines[0].timezone") and what is wrong. Env
// names the environment variable the value came from, if one did.
type Problem struct {
	File    string
	Env     string
	Key     string
	Message string
}

// String is "FILE: key: message", or "env VARIABLE: key: message" when the
// value came from the environment.
func (p Problem) String() string {
	where := p.File
	if p.Env != "" {
		where = "env " + p.Env
	}
	return where + ": " + p.Key + ": " + p.Message
}

// EnvName is the environment variable that overrides a key:
// "ivr.retries" → TENESA_IVR_RETRIES.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// under reports whether key is one of keys or inside one of them
// (case-insensitive, like viper): "lines[0].number" is under "lines".
func under(key string, keys []string) bool {
	key = strings.ToLower(key)
	for _, k := range keys {
		k = strings.ToLower(k)
		if key == k || strings.HasPrefix(key, k+".") || strings.HasPrefix(key, k+"[") {
			return true
		}
	}
	return false
}

// Problems is every problem found in one load; it is an error.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads the embedded defaults, then the file at path (if not empty),
// then TENESA_* environment overrides, decodes them strictly into a Config
// and validates it, prompts against the given prompt manifest. Any problem
// comes back as Problems, all of them at once.
func Load(path string, prompts PromptIDs) (*Config, error) {
	return load(path, prompts, os.LookupEnv)
}

func load(path string, prompts PromptIDs, lookupEnv func(string) (string, bool)) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	source := DefaultsName
	var problems Problems
	var data []byte
	defaults := defaultYAML
	if path != "" {
		source = path
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, Problems{{File: path, Key: "(file)", Message: err.Error()}}
		}
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			return nil, Problems{{File: path, Key: "(file)", Message: "not valid YAML: " + err.Error()}}
		}
		if len(root.Content) > 0 {
			problems = append(problems, unknownKeys(path, root.Content[0], reflect.TypeFor[Config](), "")...)
			if defaults, err = withoutReplaced(defaultYAML, root.Content[0]); err != nil {
				return nil, Problems{{File: DefaultsName, Key: "(file)", Message: err.Error()}}
			}
			if keepEmpty(root.Content[0], reflect.TypeFor[Config]()) {
				if data, err = yaml.Marshal(&root); err != nil {
					return nil, Problems{{File: path, Key: "(file)", Message: err.Error()}}
				}
			}
		}
	}
	if err := v.ReadConfig(bytes.NewReader(defaults)); err != nil {
		return nil, Problems{{File: DefaultsName, Key: "(file)", Message: err.Error()}}
	}
	if path != "" {
		if err := v.MergeConfig(bytes.NewReader(data)); err != nil {
			return nil, Problems{{File: path, Key: "(file)", Message: err.Error()}}
		}
	}
	// Environment overrides: every key known from the defaults or the file
	// can be overridden; viper only decodes keys it knows, so set them
	// explicitly instead of relying on AutomaticEnv's lazy look-up. A
	// problem with an overridden key names the variable, not the file.
	fromEnv := map[string]string{} // viper key → variable
	for _, key := range v.AllKeys() {
		env := EnvName(key)
		if val, ok := lookupEnv(env); ok {
			v.Set(key, val)
			fromEnv[key] = env
		}
	}
	var cfg Config
	err := v.Unmarshal(&cfg, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = false // unknown keys are reported above, with their path
		dc.WeaklyTypedInput = false
		dc.DecodeHook = strictHook
	})
	var failed []string // keys whose value is wrong: later checks would mislead
	for _, p := range problems {
		failed = append(failed, p.Key)
	}
	if err != nil {
		for _, p := range decodeProblems(source, err) {
			if !under(p.Key, failed) { // not already reported by the file walk
				failed = append(failed, p.Key)
				problems = append(problems, p)
			}
		}
	}
	cfg.normalize()
	cfg.agentTokensFromEnv(lookupEnv)
	cfg.serverPasswordsFromEnv(lookupEnv)
	cfg.Source = source
	for _, p := range cfg.Validate(source, prompts) {
		// A value already reported as wrong is not reported again, nor are
		// checks that compare with it ("not in segmentation.languages").
		if !under(p.Key, failed) && !mentions(p.Message, failed) {
			problems = append(problems, p)
		}
	}
	for i, p := range problems {
		for key, env := range fromEnv {
			if under(p.Key, []string{key}) {
				problems[i].Env = env
			}
		}
	}
	if len(problems) > 0 {
		sortProblems(problems)
		return nil, problems
	}
	return &cfg, nil
}

// replacedWhole lists the maps a file replaces as a whole instead of
// merging into the defaults key by key: a menu tree or a queue set from a
// site file must not keep default options or queues it left out.
var replacedWhole = [][]string{{"ivr", "menus"}, {"routing", "queues"}}

// droppedWith lists, per replacedWhole map, the defaults written for the
// default map that a file replacing it does not keep: the default agents
// and Team Leader queue belong to the default queues.
var droppedWith = map[string][][]string{"routing.queues": {{"agents"}, {"acd", "team_leader_queue"}}}

// withoutReplaced returns the defaults without the replacedWhole maps that
// the file (its top mapping node) sets.
func withoutReplaced(defaults []byte, file *yaml.Node) ([]byte, error) {
	var drop [][]string
	for _, p := range replacedWhole {
		if lookupNode(file, p) != nil {
			drop = append(drop, p)
			drop = append(drop, droppedWith[strings.Join(p, ".")]...)
		}
	}
	if len(drop) == 0 {
		return defaults, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(defaults, &doc); err != nil {
		return nil, err
	}
	for _, p := range drop {
		if parent := lookupNode(doc.Content[0], p[:len(p)-1]); parent != nil {
			for i := 0; i+1 < len(parent.Content); i += 2 {
				if strings.EqualFold(parent.Content[i].Value, p[len(p)-1]) {
					parent.Content = append(parent.Content[:i], parent.Content[i+2:]...)
					break
				}
			}
		}
	}
	return yaml.Marshal(&doc)
}

// keepEmpty gives every empty entry of a map of structs (a queue "general: {}",
// a menu option "1:") one empty string field, because viper drops keys that
// hold no value: the entry must still exist to be validated. It reports
// whether it changed the node.
func keepEmpty(n *yaml.Node, t reflect.Type) bool {
	changed := false
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return false
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			if val := lookupNode(n, []string{tag}); val != nil {
				changed = keepEmpty(val, f.Type) || changed
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, item := range n.Content {
				changed = keepEmpty(item, t.Elem()) || changed
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return false
		}
		elem := t.Elem()
		for i := 0; i+1 < len(n.Content); i += 2 {
			val := n.Content[i+1]
			if elem.Kind() == reflect.Struct && (val.Tag == "!!null" || val.Kind == yaml.MappingNode && len(val.Content) == 0) {
				if f, ok := firstStringField(elem); ok {
					*val = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
						{Kind: yaml.ScalarNode, Tag: "!!str", Value: f},
						{Kind: yaml.ScalarNode, Tag: "!!str", Value: ""},
					}}
					changed = true
				}
				continue
			}
			changed = keepEmpty(val, elem) || changed
		}
	}
	return changed
}

func firstStringField(t reflect.Type) (string, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if f.Type.Kind() == reflect.String && tag != "" && tag != "-" {
			return tag, true
		}
	}
	return "", false
}

// lookupNode follows a key path (case-insensitive, like viper) through
// mapping nodes; nil when absent.
func lookupNode(n *yaml.Node, path []string) *yaml.Node {
	for _, k := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.EqualFold(n.Content[i].Value, k) {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// decodeProblems turns mapstructure's joined errors into one problem per field.
func decodeProblems(file string, err error) Problems {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out Problems
		for _, e := range multi.Unwrap() {
			out = append(out, decodeProblems(file, e)...)
		}
		return out
	}
	if de, ok := err.(*mapstructure.DecodeError); ok {
		inner := de.Unwrap()
		if _, ok := inner.(interface{ Unwrap() []error }); ok {
			return decodeProblems(file, inner)
		}
		if _, ok := inner.(*mapstructure.DecodeError); ok {
			return decodeProblems(file, inner)
		}
		msg := de.Error()
		if inner != nil {
			msg = inner.Error()
		}
		return Problems{{File: file, Key: decodeKey(de.Name()), Message: msg}}
	}
	// viper wraps the decoder's errors ("decoding failed due to ..."): unwrap
	// to reach every field's error, not only the first.
	if inner := errors.Unwrap(err); inner != nil {
		return decodeProblems(file, inner)
	}
	return Problems{{File: file, Key: "(decode)", Message: err.Error()}}
}

// mentions reports whether msg names one of keys, or a section holding one
// of them ("segmentation.segments" for "segmentation.segments.des.served").
func mentions(msg string, keys []string) bool {
	msg = strings.ToLower(msg)
	for _, k := range keys {
		k = strings.ToLower(k)
		for i := strings.IndexByte(k, '.'); i >= 0; {
			j := strings.IndexAny(k[i+1:], ".[")
			end := len(k)
			if j >= 0 {
				end = i + 1 + j
			}
			if containsWord(msg, k[:end]) {
				return true
			}
			if j < 0 {
				break
			}
			i = end
		}
	}
	return false
}

// containsWord reports whether msg holds word not followed by a letter,
// digit or underscore.
func containsWord(msg, word string) bool {
	for off := 0; ; {
		i := strings.Index(msg[off:], word)
		if i < 0 {
			return false
		}
		end := off + i + len(word)
		if end == len(msg) || !isKeyChar(msg[end]) {
			return true
		}
		off = off + i + 1
	}
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// decodeKey turns mapstructure's field name into the key path the rest of
// the loader uses, following the Config type: map entries "options[1]"
// become "options.1", list items stay "lines[0]".
func decodeKey(name string) string {
	t := reflect.TypeFor[Config]()
	var b strings.Builder
	sep := func() {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
	}
	for name != "" {
		var tok string
		bracket := false
		switch name[0] {
		case '.':
			name = name[1:]
			continue
		case '[':
			j := strings.IndexByte(name, ']')
			if j < 0 {
				sep()
				b.WriteString(name)
				name = ""
				continue
			}
			tok, name, bracket = name[1:j], name[j+1:], true
		default:
			j := strings.IndexAny(name, ".[")
			if j < 0 {
				j = len(name)
			}
			tok, name = name[:j], name[j:]
		}
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t != nil && t.Kind() == reflect.Slice && bracket:
			b.WriteString("[" + tok + "]")
			t = t.Elem()
		case t != nil && t.Kind() == reflect.Map:
			sep()
			b.WriteString(tok)
			t = t.Elem()
		case t != nil && t.Kind() == reflect.Struct:
			sep()
			b.WriteString(tok)
			t = fieldType(t, tok)
		default:
			sep()
			b.WriteString(tok)
			t = nil
		}
	}
	if b.Len() == 0 {
		return "(root)"
	}
	return b.String()
}

// fieldType is the type of the field of struct t with mapstructure tag
// name; nil when there is none.
func fieldType(t reflect.Type, name string) reflect.Type {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if strings.EqualFold(strings.Split(f.Tag.Get("mapstructure"), ",")[0], name) {
			return f.Type
		}
	}
	return nil
}

// unknownKeys walks a YAML mapping against the struct type t and reports
// every key that has no field, with a suggestion when one is close, and
// every value of the wrong shape (a scalar where a mapping or a list
// belongs): viper would keep the default in silence where the file puts a
// scalar over a default mapping.
func unknownKeys(file string, n *yaml.Node, t reflect.Type, prefix string) Problems {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode || n.Tag == "!!null" {
		return nil // an alias is checked where its anchor is; null is empty
	}
	key := prefix
	if key == "" {
		key = "(root)"
	}
	var out Problems
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return Problems{{File: file, Key: key, Message: describeNode(n) + " is not a mapping"}}
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]; tag != "" && tag != "-" {
				fields[tag] = f.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i].Value, n.Content[i+1]
			path := joinKey(prefix, k)
			ft, ok := fields[strings.ToLower(k)]
			if !ok {
				msg := "unknown key"
				if s := closest(strings.ToLower(k), keys(fields)); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				out = append(out, Problem{File: file, Key: path, Message: msg})
				continue
			}
			out = append(out, unknownKeys(file, val, ft, path)...)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return Problems{{File: file, Key: key, Message: describeNode(n) + " is not a mapping"}}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, unknownKeys(file, n.Content[i+1], t.Elem(), joinKey(prefix, n.Content[i].Value))...)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return Problems{{File: file, Key: key, Message: describeNode(n) + " is not a list (write [a, b] or one \"- item\" per line)"}}
		}
		for i, item := range n.Content {
			out = append(out, unknownKeys(file, item, t.Elem(), fmt.Sprintf("%s[%d]", prefix, i))...)
		}
	}
	return out
}

// describeNode names a YAML value in a message, like describe.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!str" {
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "this value"
}

func joinKey(prefix, k string) string {
	if k == "" {
		k = `""` // an empty key (e.g. an anchor with no name) still gets a path
	}
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func keys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// closest returns the candidate within edit distance 2 of s, if any.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// normalize undoes viper's lower-casing of map keys where case matters:
// segment names are upper case (DES, CONSUMER), as in the CRM data. Names
// that are map keys elsewhere (menus, queues, tiers, regions) are lower case
// after viper, so references to them are lower-cased too.
func (c *Config) normalize() {
	segs := make(map[string]SegmentRule, len(c.Segmentation.Segments))
	for name, rule := range c.Segmentation.Segments {
		segs[strings.ToUpper(name)] = rule
	}
	c.Segmentation.Segments = segs

	c.IVR.Root = strings.ToLower(c.IVR.Root)
	for name, m := range c.IVR.Menus {
		for k, o := range m.Options {
			o.Menu = strings.ToLower(o.Menu)
			m.Options[k] = o
		}
		c.IVR.Menus[name] = m
	}
	c.Routing.DefaultQueue = strings.ToLower(c.Routing.DefaultQueue)
	for i := range c.Routing.Rules {
		r := &c.Routing.Rules[i]
		r.Queue = strings.ToLower(r.Queue)
		r.Match.Segment = mapStrings(r.Match.Segment, strings.ToUpper)
		r.Match.Tier = mapStrings(r.Match.Tier, strings.ToLower)
	}
	c.normalizeACD()
}

func mapStrings(xs []string, f func(string) string) []string {
	for i, x := range xs {
		xs[i] = f(x)
	}
	return xs
}

func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
}
