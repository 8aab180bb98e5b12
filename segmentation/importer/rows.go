package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Format is an input file format.
type Format string

// Formats.
const (
	FormatCSV   Format = "csv"
	FormatJSONL Format = "jsonl"
)

// FormatOf picks the format from a file name: .jsonl, .ndjson and .json
// are JSON Lines, anything else CSV.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	}
	return FormatCSV
}

// ParseFormat validates a --format value ("" means detect from the name).
func ParseFormat(s, path string) (Format, error) {
	switch strings.ToLower(s) {
	case "":
		return FormatOf(path), nil
	case "csv":
		return FormatCSV, nil
	case "jsonl", "ndjson", "json":
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("--format: %q is neither csv nor jsonl", s)
}

// rawRow is one input row, its fields in the dataset's column order.
type rawRow struct {
	line int
	f    []string
	err  string // a row the reader could not split into fields
}

// rowReader reads rows of one dataset from CSV or JSON Lines.
type rowReader interface {
	next() (rawRow, error) // io.EOF at the end
}

// csvReader reads a CSV file whose header names the dataset's columns in any
// order; a missing or unknown column is an error before any row is read.
type csvReader struct {
	r     *csv.Reader
	index []int // input column → dataset column, -1 for none
	width int
}

func newCSVReader(r io.Reader, columns, required []string) (*csvReader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("line 1: empty file, expected a header")
	}
	if err != nil {
		return nil, fmt.Errorf("line 1: header: %w", err)
	}
	index, err := mapHeader(header, columns, required)
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	cr.FieldsPerRecord = len(header)
	return &csvReader{r: cr, index: index, width: len(columns)}, nil
}

func mapHeader(header, columns, required []string) ([]int, error) {
	pos := make(map[string]int, len(columns))
	for i, c := range columns {
		pos[c] = i
	}
	index := make([]int, len(header))
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		j, ok := pos[h]
		if !ok {
			return nil, fmt.Errorf("unknown column %s (columns: %s)", echo(h), strings.Join(columns, ","))
		}
		if seen[h] {
			return nil, fmt.Errorf("column %s twice", echo(h))
		}
		seen[h] = true
		index[i] = j
	}
	for _, c := range required {
		if !seen[c] {
			return nil, fmt.Errorf("missing column %q", c)
		}
	}
	return index, nil
}

func (c *csvReader) next() (rawRow, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return rawRow{line: pe.StartLine, err: pe.Err.Error()}, nil
		}
		return rawRow{}, err
	}
	line, _ := c.r.FieldPos(0) // valid only after a successful Read
	row := rawRow{line: line, f: make([]string, c.width)}
	for i, v := range rec {
		row.f[c.index[i]] = strings.TrimSpace(v)
	}
	return row, nil
}

// MaxJSONLine is the longest JSON Lines row read, in bytes.
const MaxJSONLine = 4 << 20

// jsonlReader reads one JSON object per line; list fields may be arrays or
// ";"-separated strings, numbers are taken as their text.
type jsonlReader struct {
	s       *bufio.Scanner
	line    int
	columns map[string]int
	width   int
}

func newJSONLReader(r io.Reader, columns []string) *jsonlReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), MaxJSONLine)
	pos := make(map[string]int, len(columns))
	for i, c := range columns {
		pos[c] = i
	}
	return &jsonlReader{s: s, columns: pos, width: len(columns)}
}

func (j *jsonlReader) next() (rawRow, error) {
	for j.s.Scan() {
		j.line++
		b := bytes.TrimSpace(j.s.Bytes())
		if len(b) == 0 {
			continue
		}
		row := rawRow{line: j.line, f: make([]string, j.width)}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			row.err = capReason("not a JSON object: " + err.Error())
			return row, nil
		}
		for k, raw := range obj {
			i, ok := j.columns[strings.ToLower(k)]
			if !ok {
				row.err = fmt.Sprintf("unknown field %s", echo(k))
				return row, nil
			}
			v, err := jsonText(raw)
			if err != nil {
				row.err = capReason(fmt.Sprintf("field %s: %v", echo(k), err))
				return row, nil
			}
			row.f[i] = strings.TrimSpace(v)
		}
		return row, nil
	}
	if err := j.s.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return rawRow{}, fmt.Errorf("line %d: longer than %d bytes (%d MiB), the limit of a JSON Lines row", j.line+1, MaxJSONLine, MaxJSONLine>>20)
		}
		return rawRow{}, fmt.Errorf("line %d: %w", j.line+1, err)
	}
	return rawRow{}, io.EOF
}

// jsonText turns a JSON string, number, null or array of those into the
// CSV text of the field.
func jsonText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", err
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			if len(it) > 0 && it[0] == '[' {
				return "", errors.New("nested array")
			}
			s, err := jsonText(it)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ";"), nil
	case '{':
		return "", errors.New("object where a value was expected")
	case 't', 'f':
		return "", errors.New("boolean where a value was expected")
	default:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	}
}

func newRowReader(r io.Reader, f Format, columns, required []string) (rowReader, error) {
	switch f {
	case FormatCSV, "":
		return newCSVReader(r, columns, required)
	case FormatJSONL:
		return newJSONLReader(r, columns), nil
	}
	return nil, fmt.Errorf("unknown format %q", f)
}
