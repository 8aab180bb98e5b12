package importer

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
)

// maxEcho is the most bytes of an input value an error message quotes.
const maxEcho = 32

// maxReason caps a row error's text (a reader's own message included).
const maxReason = 300

// echo quotes an input value for an error message the way the logs would
// show it: a shifted column can put a customer's number or name in any
// field, so a value with five digits or more is masked as a number
// (logging.MaskNumber), one with a blank as a name (logging.MaskName), and
// anything longer than maxEcho bytes is cut and says its length.
func echo(s string) string {
	n := len(s)
	if n > maxEcho {
		s = s[:maxEcho]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	switch {
	case digits >= 5:
		s = logging.MaskNumber(s)
	case strings.ContainsFunc(s, unicode.IsSpace):
		s = logging.MaskName(s)
	}
	if n > maxEcho {
		return strconv.Quote(s) + "… (" + strconv.Itoa(n) + " bytes)"
	}
	return strconv.Quote(s)
}

// capReason bounds a row error's text.
func capReason(s string) string {
	if len(s) <= maxReason {
		return s
	}
	s = s[:maxReason]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
