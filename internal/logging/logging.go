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
	return l.With().Str("call_id", callID).Logger()
}

// MaskNumber hides a phone number but its first three and last three
// characters: "+6281234567890" → "+62********890". Short input is hidden whole.
func MaskNumber(n string) string {
	if len(n) <= 6 {
		return strings.Repeat("*", len(n))
	}
	return n[:3] + strings.Repeat("*", len(n)-6) + n[len(n)-3:]
}

// MaskName keeps the first letter of each word: "Budi Santoso" → "B*** S******".
func MaskName(name string) string {
	var b strings.Builder
	first := true
	for _, r := range name {
		switch {
		case r == ' ':
			b.WriteRune(r)
			first = true
		case first:
			b.WriteRune(r)
			first = false
		default:
			b.WriteByte('*')
		}
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
