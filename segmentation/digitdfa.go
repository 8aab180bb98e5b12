package segmentation

import (
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// digitDFA is a deterministic automaton equivalent to an anchored
// libphonenumber pattern over inputs of ASCII digits (all a national
// significant number is by the time it is checked). Built once per
// pattern by subset construction of the regexp's program; a match is one
// table step per digit, where the regexp package's backtracker took about
// half a microsecond per pattern — the largest cost of an import's row.
type digitDFA struct {
	next   [][10]int32 // state → digit → state, -1: no match possible
	accept []bool
}

// maxDFAStates bounds the construction; a pattern needing more keeps the
// regexp.
const maxDFAStates = 4096

// compileDigitDFA builds the automaton of "^(?:pattern)$"; ok is false
// when the pattern uses something it does not model (word boundaries) or
// needs too many states, and the caller keeps the regexp.
func compileDigitDFA(pattern string) (*digitDFA, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, false
	}
	type state struct {
		pcs   []uint32 // program counters to continue from, sorted
		begin bool     // at the beginning of the text
	}
	// closure follows the empty transitions of pcs: the rune instructions
	// reached, and whether Match is reached (end: at the end of the text).
	var visited []bool
	var stack []uint32
	closure := func(s state, end bool) (runes []uint32, match, ok bool) {
		visited = make([]bool, len(prog.Inst))
		stack = append(stack[:0], s.pcs...)
		for len(stack) > 0 {
			pc := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if visited[pc] {
				continue
			}
			visited[pc] = true
			in := &prog.Inst[pc]
			switch in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				stack = append(stack, in.Out, in.Arg)
			case syntax.InstCapture, syntax.InstNop:
				stack = append(stack, in.Out)
			case syntax.InstEmptyWidth:
				op := syntax.EmptyOp(in.Arg)
				if op&^(syntax.EmptyBeginText|syntax.EmptyBeginLine|syntax.EmptyEndText|syntax.EmptyEndLine) != 0 {
					return nil, false, false
				}
				if op&(syntax.EmptyBeginText|syntax.EmptyBeginLine) != 0 && !s.begin ||
					op&(syntax.EmptyEndText|syntax.EmptyEndLine) != 0 && !end {
					continue
				}
				stack = append(stack, in.Out)
			case syntax.InstMatch:
				match = true
			case syntax.InstFail:
			case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
				runes = append(runes, pc)
			default:
				return nil, false, false
			}
		}
		return runes, match, true
	}
	key := func(s state) string {
		var b strings.Builder
		if s.begin {
			b.WriteByte('^')
		}
		for _, pc := range s.pcs {
			b.WriteString(strconv.FormatUint(uint64(pc), 10))
			b.WriteByte(',')
		}
		return b.String()
	}
	d := &digitDFA{}
	ids := map[string]int32{}
	var queue []state
	add := func(s state) int32 {
		k := key(s)
		if id, ok := ids[k]; ok {
			return id
		}
		id := int32(len(d.next))
		ids[k] = id
		d.next = append(d.next, [10]int32{})
		d.accept = append(d.accept, false)
		queue = append(queue, s)
		return id
	}
	add(state{pcs: []uint32{uint32(prog.Start)}, begin: true})
	for id := int32(0); int(id) < len(queue); id++ {
		if len(queue) > maxDFAStates {
			return nil, false
		}
		s := queue[id]
		_, match, ok := closure(s, true)
		if !ok {
			return nil, false
		}
		d.accept[id] = match
		runes, _, ok := closure(s, false)
		if !ok {
			return nil, false
		}
		for c := range 10 {
			var out []uint32
			for _, pc := range runes {
				if in := &prog.Inst[pc]; in.MatchRune(rune('0' + c)) {
					out = append(out, in.Out)
				}
			}
			if len(out) == 0 {
				d.next[id][c] = -1
				continue
			}
			slices.Sort(out)
			out = slices.Compact(out)
			d.next[id][c] = add(state{pcs: out})
		}
	}
	return d, true
}

// match reports whether s, which must be all ASCII digits, matches.
func (d *digitDFA) match(s string) bool {
	st := int32(0)
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return false
		}
		if st = d.next[st][c]; st < 0 {
			return false
		}
	}
	return d.accept[st]
}
