package sounds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func TestManifestBothLanguages(t *testing.T) {
	prompts, err := Prompts()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prompts {
		for _, lang := range Languages {
			if p.Text(lang) == "" {
				t.Errorf("prompt %s: no %s text", p.Name, lang)
			}
		}
		if p.Note == "" {
			t.Errorf("prompt %s: no note (when it plays)", p.Name)
		}
	}
}

// The prompts other parts of the project name: the dialplan fallback
// (extensions.conf), the greeting bands and closing (configs/tenesa.yaml),
// the CONSUMER redirect.
func TestManifestHasReferencedPrompts(t *testing.T) {
	prompts, err := Prompts()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, p := range prompts {
		have[p.Name] = true
	}
	for _, name := range []string{
		"fallback-apology", "fallback-sorry",
		"greeting-pagi", "greeting-siang", "greeting-sore", "greeting-malam",
		"closing", "redirect-consumer",
	} {
		if !have[name] {
			t.Errorf("prompt %s is referenced elsewhere but missing from prompts.yaml", name)
		}
	}
}

func TestParseManifestRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"no english":    "prompts:\n  a:\n    id: halo\n    en: \"\"\n",
		"unknown field": "prompts:\n  a:\n    id: halo\n    en: hello\n    fr: salut\n",
		"bad id":        "prompts:\n  Greeting_Pagi:\n    id: halo\n    en: hello\n",
		"empty":         "prompts: {}\n",
	} {
		if _, err := ParseManifest([]byte(doc)); err == nil {
			t.Errorf("%s: ParseManifest accepted %q", name, doc)
		}
	}
}

// Every prompt x language has a duration > 0 and every duration belongs to a
// prompt: the manifest and the rendered files cannot drift apart.
func TestDurationsMatchManifest(t *testing.T) {
	prompts, err := Prompts()
	if err != nil {
		t.Fatal(err)
	}
	durs, err := Durations()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, p := range prompts {
		for _, lang := range Languages {
			key := Key(lang, p.Name)
			want[key] = true
			d, ok := durs[key]
			switch {
			case !ok:
				t.Errorf("%s: no entry in durations.json (run scripts/render-prompts.sh)", key)
			case d <= 0:
				t.Errorf("%s: duration %v in durations.json", key, d)
			}
		}
	}
	var extra []string
	for key := range durs {
		if !want[key] {
			extra = append(extra, key)
		}
	}
	sort.Strings(extra)
	for _, key := range extra {
		t.Errorf("%s: in durations.json but not in prompts.yaml (run scripts/render-prompts.sh)", key)
	}
}

// The rendered WAVs (make sounds; make test renders them first): each prompt x
// language exists as an 8 kHz mono 16-bit WAV whose length agrees with
// durations.json.
func TestWAVFiles(t *testing.T) {
	if _, err := os.Stat(Prefix); errors.Is(err, os.ErrNotExist) {
		t.Fatal("no rendered prompts under " + Prefix + ": run make sounds (scripts/render-prompts.sh), which make test does first")
	}
	prompts, err := Prompts()
	if err != nil {
		t.Fatal(err)
	}
	durs, err := Durations()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prompts {
		for _, lang := range Languages {
			key := Key(lang, p.Name)
			path := filepath.FromSlash(key + ".wav")
			h, err := readWAVHeader(path)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			if h.format != 1 || h.rate != 8000 || h.channels != 1 || h.bits != 16 {
				t.Errorf("%s: %d Hz, %d channel(s), %d bit, format %d; want 8000 Hz mono 16-bit PCM",
					path, h.rate, h.channels, h.bits, h.format)
				continue
			}
			got := h.duration()
			if d, ok := durs[key]; ok {
				if diff := got - d; diff > 20*time.Millisecond || diff < -20*time.Millisecond {
					t.Errorf("%s: %v long, durations.json says %v (run scripts/render-prompts.sh)", path, got, d)
				}
			}
		}
	}
}

type wavHeader struct {
	format, channels, bits uint16
	rate                   uint32
	dataBytes              uint32
}

func (h wavHeader) duration() time.Duration {
	frame := uint64(h.channels) * uint64(h.bits) / 8
	if frame == 0 || h.rate == 0 {
		return 0
	}
	frames := uint64(h.dataBytes) / frame
	return time.Duration(frames * uint64(time.Second) / uint64(h.rate))
}

// readWAVHeader walks the RIFF chunks of a WAV file up to the data chunk.
func readWAVHeader(path string) (wavHeader, error) {
	var h wavHeader
	f, err := os.Open(path)
	if err != nil {
		return h, err
	}
	defer f.Close()
	var riff [12]byte
	if _, err := io.ReadFull(f, riff[:]); err != nil {
		return h, fmt.Errorf("RIFF header: %w", err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return h, errors.New("not a RIFF/WAVE file")
	}
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(f, ch[:]); err != nil {
			return h, fmt.Errorf("no data chunk: %w", err)
		}
		id, size := string(ch[0:4]), binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if size < 16 {
				return h, fmt.Errorf("fmt chunk of %d bytes", size)
			}
			b := make([]byte, size)
			if _, err := io.ReadFull(f, b); err != nil {
				return h, fmt.Errorf("fmt chunk: %w", err)
			}
			h.format = binary.LittleEndian.Uint16(b[0:2])
			h.channels = binary.LittleEndian.Uint16(b[2:4])
			h.rate = binary.LittleEndian.Uint32(b[4:8])
			h.bits = binary.LittleEndian.Uint16(b[14:16])
			if h.format == 0xFFFE && size >= 26 { // WAVE_FORMAT_EXTENSIBLE: sub-format GUID
				h.format = binary.LittleEndian.Uint16(b[24:26])
			}
			haveFmt = true
			if size%2 == 1 {
				if _, err := f.Seek(1, io.SeekCurrent); err != nil {
					return h, err
				}
			}
		case "data":
			if !haveFmt {
				return h, errors.New("data chunk before fmt chunk")
			}
			h.dataBytes = size
			return h, nil
		default:
			if _, err := f.Seek(int64(size)+int64(size%2), io.SeekCurrent); err != nil {
				return h, err
			}
		}
	}
}
