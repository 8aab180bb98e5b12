package importer

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// readAll parses and validates every row the way an import does, checking
// the invariants the report relies on.
func readAll(t *testing.T, rr rowReader, minLine int) {
	rules, err := seg.NewRules(redistest.SegmentationConfig())
	if err != nil {
		t.Fatal(err)
	}
	num := rules.Numbering()
	last := 0
	for range 100000 {
		r, err := rr.next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			return // an I/O-level error ends the import with a message
		}
		if r.line < minLine || r.line < last {
			t.Fatalf("row on line %d after line %d", r.line, last)
		}
		last = r.line
		if r.err != "" {
			continue
		}
		if len(r.f) != len(CustomerColumns) {
			t.Fatalf("row of %d fields", len(r.f))
		}
		it, rerr := validateCustomer(rules, num, r)
		if rerr != nil {
			if rerr.Line != r.line || rerr.Reason == "" {
				t.Fatalf("row error %+v for line %d", rerr, r.line)
			}
			continue
		}
		if !strings.HasPrefix(it.hash, seg.CustPrefix) || len(it.strs)%2 != 0 || len(it.strs) == 0 {
			t.Fatalf("item %+v", it)
		}
		for i := 0; i < len(it.strs); i += 2 {
			k := it.strs[i]
			if strings.HasPrefix(k, seg.ANIPrefix) {
				if e := strings.TrimPrefix(k, seg.ANIPrefix); !strings.HasPrefix(e, "+62") {
					t.Fatalf("phone key %q", k)
				}
			} else if !strings.HasPrefix(k, seg.SIDPrefix) {
				t.Fatalf("key %q", k)
			}
			if strings.ContainsAny(k, " *?[]{}") {
				t.Fatalf("key %q would break the key layout", k)
			}
		}
	}
}

func FuzzCustomersCSV(f *testing.F) {
	sample, err := os.ReadFile(samplePath("customers.csv"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(sample))
	f.Add(badCSV)
	f.Add("customer_id,name,segment,tier,region,phones,service_ids\n\"a\n,b\",x\n")
	f.Add("phones,customer_id,name,segment,tier,region,service_ids\n0812;;+62,1,n,DES,gold,jkt,\n")
	f.Fuzz(func(t *testing.T, data string) {
		rr, err := newCSVReader(strings.NewReader(data), CustomerColumns, customerSpec.required)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line 1:") {
				t.Fatalf("header error without its line: %v", err)
			}
			return
		}
		readAll(t, rr, 2)
	})
}

func FuzzCustomersJSONL(f *testing.F) {
	f.Add(jsonl)
	f.Add(`{"customer_id":"A","name":"N","segment":"DES","tier":"gold","region":"r","phones":[["x"]]}`)
	f.Add(`{"phones":{"a":1}}` + "\n" + `{"phones":true}` + "\n[]\n")
	f.Fuzz(func(t *testing.T, data string) {
		readAll(t, newJSONLReader(strings.NewReader(data), CustomerColumns), 1)
	})
}
