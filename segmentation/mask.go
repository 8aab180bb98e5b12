package segmentation

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

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
