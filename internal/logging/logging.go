// Package logging builds the zerolog loggers of tenesa-ivr: JSON by default,
// console format on a terminal, one child logger per call carrying call_id,
// and masking helpers so phone numbers and names never appear whole.
// Credentials are never passed to a logger: config values are logged through
// Redact, which drops every key that looks like a secret.
package logging

import (
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// Options selects level and format.
type Options struct {
	Level  string // trace|debug|info|warn|error
	Format string // auto|json|console
}

// New returns the root logger writing to w. Format "auto" uses the
// human-readable console writer when w is a terminal and JSON otherwise.
func New(w io.Writer, opts Options) zerolog.Logger {
	level, err := zerolog.ParseLevel(opts.Level)
	if err != nil || opts.Level == "" {
		level = zerolog.InfoLevel
	}
	out := w
	if opts.Format == "console" || (opts.Format == "auto" && isTerminal(w)) {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// ForCall returns the child logger of one call: every line carries call_id.
func ForCall(l zerolog.Logger, callID string) zerolog.Logger {
	return CallContext(l, callID).Logger()
}

// CallContext is ForCall's context, to add a call's other fixed fields
// in the same step: each With() copies the context into a new 500-byte
// buffer, so ForCall(l, id).With().Str(...) allocates two where one does.
func CallContext(l zerolog.Logger, callID string) zerolog.Context {
	return l.With().Str("call_id", callID)
}

// MaskNumber hides a phone number for logs: the country code and the last
// three digits stay, every other digit becomes '*' ("+62*******890"). Input
// that is not E.164 keeps only its last three characters.
func MaskNumber(e164 string) string {
	if e164 == "" {
		return ""
	}
	keepHead := 0
	if strings.HasPrefix(e164, "+") {
		keepHead = 1 + ccLen(e164[1:])
	}
	tail := len(e164) - 3
	if tail < keepHead {
		tail = keepHead
	}
	b := make([]byte, 0, len(e164))
	b = append(b, e164[:keepHead]...)
	for i := keepHead; i < tail; i++ {
		b = append(b, '*')
	}
	return string(append(b, e164[tail:]...))
}

// ccLen is the length of the calling code at the start of digits: 62 for
// Indonesia and the other two-digit codes; a rough rule is enough to mask.
func ccLen(d string) int {
	if strings.HasPrefix(d, "62") {
		return 2
	}
	switch {
	case len(d) >= 1 && (d[0] == '1' || d[0] == '7'):
		return 1
	case len(d) >= 2:
		return 2
	}
	return len(d)
}

// MaskName keeps the first letter of each word of a name: "Budi Santoso" →
// "B. S.". Used wherever a customer name would reach a log.
func MaskName(name string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return unicode.IsSpace(r) }) {
		r, _ := utf8.DecodeRuneInString(w)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		b.WriteByte('.')
	}
	return b.String()
}

// Redact returns a copy of a flat key→value view of the configuration with
// every secret replaced, for start-up logs.
func Redact(kv map[string]any) map[string]any {
	out := make(map[string]any, len(kv))
	for k, v := range kv {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") {
			if s, ok := v.(string); ok && s == "" {
				out[k] = ""
			} else {
				out[k] = "[redacted]"
			}
			continue
		}
		out[k] = v
	}
	return out
}
