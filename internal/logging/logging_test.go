package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestMaskNumber(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"e164 mobile", "+6281234567890", "+62********890"},
		{"e164 landline", "+62215551234", "+62******234"},
		{"only the country code", "+62", "+62"},
		{"national form", "081234567890", "*********890"},
		{"short extension", "1001", "*001"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskNumber(tt.in); got != tt.want {
				t.Errorf("MaskNumber(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"three words, double space", "Budi  Santoso Wijaya", "B. S. W."},
		{"one word", "Sari", "S."},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskName(tt.in); got != tt.want {
				t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestForCallCarriesCallID(t *testing.T) {
	var buf bytes.Buffer
	l := ForCall(New(&buf, Options{Level: "info", Format: "json"}), "1795779664.277")
	l.Info().Str("caller", MaskNumber("+6281234567890")).Msg("call started")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %q", buf.String())
	}
	if line["call_id"] != "1795779664.277" {
		t.Errorf("call_id missing: %v", line)
	}
	if strings.Contains(buf.String(), "81234567") {
		t.Errorf("number leaked: %s", buf.String())
	}
}

func TestRedact(t *testing.T) {
	got := Redact(map[string]any{"ari.password": "s3cret", "redis.password": "", "ari.url": "http://x"})
	if got["ari.password"] != "[redacted]" || got["redis.password"] != "" || got["ari.url"] != "http://x" {
		t.Errorf("Redact = %v", got)
	}
}

func TestLevelAndFormat(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, Options{Level: "warn", Format: "auto"}) // a buffer is not a terminal: JSON
	l.Info().Msg("hidden")
	l.Warn().Msg("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.HasPrefix(buf.String(), "{") {
		t.Errorf("level/format wrong: %q", buf.String())
	}
}

func TestCallContextCarriesCallIDAndStageField(t *testing.T) {
	var buf bytes.Buffer
	l := CallContext(New(&buf, Options{Level: "info", Format: "json"}), "1795779664.278").
		Str("queue", "enterprise-data").Logger()
	l.Info().Msg("enqueued")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %q", buf.String())
	}
	if line["call_id"] != "1795779664.278" || line["queue"] != "enterprise-data" {
		t.Errorf("call_id or queue missing: %v", line)
	}
}

// BenchmarkStageLogger compares a call stage's logger built as
// ForCall(...).With().Str(...) (two context buffers) with CallContext
// (one): B/op and allocs/op, independent of machine load.
func BenchmarkStageLogger(b *testing.B) {
	base := New(&bytes.Buffer{}, Options{Level: "info", Format: "json"})
	var sink zerolog.Logger
	b.Run("ForCall+With", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sink = ForCall(base, "1795779664.277").With().Str("queue", "enterprise-data").Logger()
		}
	})
	b.Run("CallContext", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sink = CallContext(base, "1795779664.277").Str("queue", "enterprise-data").Logger()
		}
	})
	_ = sink
}
