package configs

import (
	"bytes"
	"embed"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// The configuration reference (docs/configuration.md) is generated from
// this package's own source: every key's description is the doc comment (or
// the line comment) of its struct field, read with go/ast from the embedded
// source files, so a key cannot be added or reworded without the reference
// following. Struct tags were the alternative; comments are what a Go
// reader already sees and keeps up to date, and a test fails for a key
// without one.
//
//go:embed *.go
var sourceFiles embed.FS

// ConfigKey is one row of the configuration reference.
type ConfigKey struct {
	// Key is the full dotted path: "ari.url"; map entries show their name
	// as a placeholder ("routing.queues.<queue>.strategy") and list items
	// as "[]" ("lines[].number").
	Key string
	// Type is the value's type as written in YAML: string, int, bool,
	// duration, list of string, map …, or "section" for a group of keys.
	Type string
	// Default is the embedded default (configs/tenesa.yaml) in YAML
	// notation; empty for keys inside a map entry or a list item, whose
	// values differ per entry.
	Default string
	// Env is the environment variable that overrides the key ("" for none).
	Env string
	// Description comes from the Go doc comment of the key's field (or of
	// its type for a section), with Go names replaced by their keys.
	Description string
	// Field is the Go field the key comes from ("ARI.URL"), for messages.
	Field string
}

// typeDocs holds the comments of one struct type: its own doc and its
// fields' by Go name.
type typeDocs struct {
	doc    string
	fields map[string]string
}

// parseDocs reads the doc comments of every struct type in the given Go
// files (test files are skipped).
func parseDocs(fsys fs.FS) (map[string]typeDocs, error) {
	names, err := fs.Glob(fsys, "*.go")
	if err != nil {
		return nil, err
	}
	out := map[string]typeDocs{}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				td := typeDocs{doc: commentText(doc), fields: map[string]string{}}
				for _, field := range st.Fields.List {
					text := strings.TrimSpace(commentText(field.Doc) + " " + commentText(field.Comment))
					for _, n := range field.Names {
						td.fields[n.Name] = text
					}
				}
				out[ts.Name.Name] = td
			}
		}
	}
	return out, nil
}

// commentText is a comment group's text on one line.
func commentText(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.Join(strings.Fields(g.Text()), " ")
}

// Reference lists every key of Config with its type, default, environment
// variable and description, in the order of the struct's fields.
func Reference() ([]ConfigKey, error) {
	docs, err := parseDocs(sourceFiles)
	if err != nil {
		return nil, fmt.Errorf("configuration reference: %w", err)
	}
	defaults, err := decodeDefaults()
	if err != nil {
		return nil, fmt.Errorf("configuration reference: %s: %w", DefaultsName, err)
	}
	w := refWalker{docs: docs}
	w.walkStruct(reflect.TypeFor[Config](), reflect.ValueOf(*defaults), "", "", false)
	return w.keys, nil
}

// decodeDefaults decodes the embedded defaults alone, without validation
// (which needs the prompt manifest) and without the environment (the
// reference documents the defaults, not this machine's overrides).
func decodeDefaults() (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(defaultYAML)); err != nil {
		return nil, err
	}
	var cfg Config
	if err := v.Unmarshal(&cfg, func(dc *mapstructure.DecoderConfig) {
		dc.WeaklyTypedInput = false
		dc.DecodeHook = strictHook
	}); err != nil {
		return nil, err
	}
	cfg.normalize()
	return &cfg, nil
}

type refWalker struct {
	docs map[string]typeDocs
	keys []ConfigKey
}

// walkStruct adds the keys of struct type t under prefix. def is the
// default value when the keys have one (not inside a map entry or a list
// item); inList: inside a list item, which the environment cannot reach.
func (w *refWalker) walkStruct(t reflect.Type, def reflect.Value, prefix, goPrefix string, inList bool) {
	td := w.docs[t.Name()]
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		key := joinKey(prefix, tag)
		desc := td.fields[f.Name]
		elem := f.Type
		for elem.Kind() == reflect.Map || elem.Kind() == reflect.Slice {
			elem = elem.Elem()
		}
		switch {
		case elem.Kind() != reflect.Struct || elem == durationType:
		case elem != f.Type:
			// a map or list of entries: the field's doc, then the entry's
			desc = strings.TrimSpace(desc + " " + w.typeDoc(elem, entryKey(key, f.Type)))
		case desc == "":
			// a section: the field's doc, else its type's
			desc = w.typeDoc(elem, key)
		}
		desc = goNamesToKeys(desc, t)
		var fv reflect.Value
		if def.IsValid() {
			fv = def.Field(i)
		}
		k := ConfigKey{Key: key, Type: typeName(f.Type, tag), Description: desc, Field: goPrefix + f.Name}
		if fv.IsValid() {
			k.Default = formatValue(fv)
		}
		if !inList {
			k.Env = envFor(key, f.Type, tag)
		}
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != durationType:
			k.Type = "section"
			k.Default = ""
			w.keys = append(w.keys, k)
			w.walkStruct(f.Type, fv, key, k.Field+".", inList)
		case f.Type.Kind() == reflect.Map && f.Type.Elem().Kind() == reflect.Struct:
			k.Default = mapKeys(fv)
			k.Env = ""
			w.keys = append(w.keys, k)
			w.walkStruct(f.Type.Elem(), reflect.Value{}, entryKey(key, f.Type), k.Field+"[].", inList)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			k.Default = entries(fv)
			k.Env = ""
			w.keys = append(w.keys, k)
			w.walkStruct(f.Type.Elem(), reflect.Value{}, entryKey(key, f.Type), k.Field+"[].", true)
		default:
			switch key { // the list items the environment reaches
			case "agents[].token":
				k.Env = EnvPrefix + "_AGENT_<ID>_TOKEN"
			case "ari.servers[].password":
				k.Env = EnvPrefix + "_ARI_SERVER_<NAME>_PASSWORD"
			}
			w.keys = append(w.keys, k)
		}
	}
}

// typeDoc is the doc comment of struct type t, its own name replaced by key.
func (w *refWalker) typeDoc(t reflect.Type, key string) string {
	td := w.docs[t.Name()]
	doc := td.doc
	if rest, ok := strings.CutPrefix(doc, t.Name()+" "); ok {
		doc = "`" + key + "` " + rest
	}
	return goNamesToKeys(doc, t)
}

// entryKey is the key of one entry of a map or list field:
// "routing.queues.<queue>", "lines[]".
func entryKey(key string, t reflect.Type) string {
	switch t.Kind() {
	case reflect.Map:
		return key + ".<" + placeholder(key) + ">"
	case reflect.Slice:
		return key + "[]"
	}
	return key
}

// placeholder names a map's entries after the map: queues → queue,
// region_aliases → region_alias, status_prompts → status.
func placeholder(key string) string {
	name := key[strings.LastIndexAny(key, ".]")+1:]
	switch {
	case name == "status_prompts":
		return "status"
	case name == "prompts":
		return "band"
	case name == "options":
		return "key"
	case strings.HasSuffix(name, "ses"):
		return strings.TrimSuffix(name, "es")
	}
	return strings.TrimSuffix(name, "s")
}

// envFor is the environment variable of a key outside list items. A map
// is set entry by entry (for entries the defaults or the file hold):
// placeholders stay, upper-cased ("TENESA_ROUTING_QUEUES_<QUEUE>_MAX_WAIT").
func envFor(key string, t reflect.Type, tag string) string {
	switch {
	case t.Kind() == reflect.Struct && t != durationType:
		return ""
	case t.Kind() == reflect.Map:
		return EnvName(key) + "_<" + strings.ToUpper(placeholder(tag)) + ">"
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.String:
		return ""
	}
	return EnvName(key)
}

// typeName is a field's type as a YAML writer sees it.
func typeName(t reflect.Type, tag string) string {
	if t == durationType {
		return "duration"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "int"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct && t.Elem() != durationType {
			return "list of entries"
		}
		return "list of " + typeName(t.Elem(), tag)
	case reflect.Map:
		if t.Elem().Kind() == reflect.Struct && t.Elem() != durationType {
			return "map: <" + placeholder(tag) + "> → entry"
		}
		return "map: <" + placeholder(tag) + "> → " + typeName(t.Elem(), tag)
	case reflect.Struct:
		return "section"
	}
	return t.String()
}

// formatValue writes a default in YAML notation.
func formatValue(v reflect.Value) string {
	if v.Type() == durationType {
		return formatDuration(time.Duration(v.Int()))
	}
	switch v.Kind() {
	case reflect.String:
		if v.String() == "" {
			return `""`
		}
		return v.String()
	case reflect.Bool:
		return fmt.Sprint(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprint(v.Int())
	case reflect.Slice:
		if v.Len() == 0 {
			return "[]"
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatValue(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		if v.Len() == 0 {
			return "{}"
		}
		var parts []string
		for _, k := range sortedKeys(v) {
			parts = append(parts, k.String()+": "+formatValue(v.MapIndex(k)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v.Interface())
}

// formatDuration writes 5m rather than 5m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func sortedKeys(m reflect.Value) []reflect.Value {
	keys := m.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	return keys
}

// mapKeys is the default of a map of entries: the names of its entries.
func mapKeys(m reflect.Value) string {
	if !m.IsValid() {
		return ""
	}
	if m.Len() == 0 {
		return "{}"
	}
	names := make([]string, 0, m.Len())
	for _, k := range sortedKeys(m) {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}

// entries is the default of a list of entries: how many there are.
func entries(l reflect.Value) string {
	switch {
	case !l.IsValid():
		return ""
	case l.Len() == 1:
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", l.Len())
}

// goNamesToKeys replaces, in a description, the Go names of struct t's
// fields by their keys in backquotes ("MaxWait" → "`max_wait`"), so the
// reference speaks the language of the YAML file.
func goNamesToKeys(desc string, t reflect.Type) string {
	if t.Kind() != reflect.Struct || desc == "" {
		return desc
	}
	names := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]; tag != "" && tag != "-" {
			names[f.Name] = tag
		}
	}
	var b strings.Builder
	for i := 0; i < len(desc); {
		if !isIdentStart(desc[i]) || i > 0 && isIdentPart(desc[i-1]) {
			b.WriteByte(desc[i])
			i++
			continue
		}
		j := i
		for j < len(desc) && isIdentPart(desc[j]) {
			j++
		}
		word := desc[i:j]
		tag, ok := names[word]
		// not inside a path, a variable or a placeholder: ari.url, <ID>
		inPath := j+1 < len(desc) && desc[j] == '.' && isIdentPart(desc[j+1])
		if ok && !inPath && (i == 0 || !strings.ContainsRune("._<`", rune(desc[i-1]))) &&
			(j == len(desc) || !strings.ContainsRune("_>`", rune(desc[j]))) {
			b.WriteString("`" + tag + "`")
		} else {
			b.WriteString(word)
		}
		i = j
	}
	return b.String()
}

func isIdentStart(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '_'
}

// WriteReference writes the configuration reference as Markdown: one
// table per top-level key.
func WriteReference(w io.Writer) error {
	keys, err := Reference()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(referenceIntro)
	b.WriteString("\nSections:")
	for i, s := range sections(keys) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " [`%s`](#%s)", s, s)
	}
	b.WriteString(".\n")
	var top string
	for _, k := range keys {
		if section := topKey(k.Key); section != top {
			top = section
			fmt.Fprintf(&b, "\n## `%s`\n\n", section)
			b.WriteString("| Key | Type | Default | Environment | Description |\n|---|---|---|---|---|\n")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
			code(k.Key), cell(k.Type), code(k.Default), code(k.Env), cell(k.Description))
	}
	_, err = w.Write(b.Bytes())
	return err
}

// code puts a value in backquotes for a table cell ("" stays empty).
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// cell escapes text for a table cell: pipes everywhere, angle brackets
// outside `code` (where Markdown would take them for HTML).
func cell(s string) string {
	parts := strings.Split(strings.ReplaceAll(s, "|", `\|`), "`")
	for i := 0; i < len(parts); i += 2 {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(parts[i], "<", "&lt;"), ">", "&gt;")
	}
	return strings.Join(parts, "`")
}

// topKey is the top-level key of a path: "routing" of "routing.queues".
func topKey(key string) string {
	if i := strings.IndexAny(key, ".["); i >= 0 {
		return key[:i]
	}
	return key
}

// sections lists the top-level keys in the reference's order, for the
// table of contents.
func sections(keys []ConfigKey) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range keys {
		if s := topKey(k.Key); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

const referenceIntro = `# Configuration reference

<!-- Generated by ` + "`go run ./cmd/tenesa-ivr config-reference > docs/configuration.md`" + ` from
configs/config.go (descriptions: the fields' doc comments) and configs/tenesa.yaml
(defaults). Do not edit: change the code and regenerate; a test fails while this
file is out of date. -->

tenesa-ivr reads the defaults embedded from ` + "`configs/tenesa.yaml`" + `, then the file given
with ` + "`--config FILE`" + ` (keys it sets replace the defaults; ` + "`ivr.menus`" + ` and
` + "`routing.queues`" + ` are replaced as a whole), then the environment. ` + "`tenesa-ivr check-config`" + `
checks a file and the environment without serving; unknown keys are errors.

- **Environment**: every key the defaults or the file set can be overridden as
  ` + "`TENESA_<SECTION>_<KEY>`" + ` (the dotted path upper-cased, dots as underscores):
  ` + "`TENESA_ARI_URL`" + `, ` + "`TENESA_ACD_QUEUE_DEFAULTS_RING_TIMEOUT`" + `. A list of strings is written
  comma-separated (` + "`TENESA_SEGMENTATION_LANGUAGES=id,en`" + `). An entry of a map can be
  overridden when the defaults or the file hold it (` + "`TENESA_SEGMENTATION_TIERS_GOLD=8`" + `).
  Lists of entries (` + "`lines`" + `, ` + "`agents`" + `, ` + "`routing.rules`" + `) are set in a file only, except
  each agent's token: ` + "`TENESA_AGENT_<ID>_TOKEN`" + `.
- **Values** are decoded strictly: a duration has its unit (` + "`5s`" + `, ` + "`150ms`" + `, ` + "`24h`" + `), a count
  is a whole number, a flag is ` + "`true`" + ` or ` + "`false`" + `.
- **Keys** inside a map show the entry's name as a placeholder
  (` + "`routing.queues.<queue>.max_wait`" + `) and inside a list as ` + "`[]`" + ` (` + "`lines[].number`" + `); their
  defaults are per entry, in ` + "`configs/tenesa.yaml`" + `.
- Secrets (` + "`ari.password`" + `, ` + "`redis.password`" + `, ` + "`agents[].token`" + `) belong in the environment; they are
  never logged.
`
