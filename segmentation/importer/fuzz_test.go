package importer

import (
	"errors"
	"hash/maphash"
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
	val := &validator{rules: rules, num: rules.Numbering(), seed: maphash.MakeSeed(), buckets: seg.BucketsFor(1000)}
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
		it, rerr := validateCustomer(val, r)
		if rerr != nil {
			if rerr.Line != r.line || rerr.Reason == "" {
				t.Fatalf("row error %+v for line %d", rerr, r.line)
			}
			continue
		}
		if len(it.keys) < 2 || it.keys[0].kind != kindID || it.keys[0].s != it.id || it.id == "" {
			t.Fatalf("item %+v", it)
		}
		if c := seg.DecodeCustomer(it.id, it.rec); c.Segment == "" || c.Tier == "" || c.Name == "" || c.Region == "" || c.Language == "" {
			t.Fatalf("record %q decodes to %+v", it.rec, c)
		}
		for _, k := range it.keys[1:] {
			switch k.kind {
			case kindANI:
				if !strings.HasPrefix(k.s, "+62") {
					t.Fatalf("phone key %q", k.s)
				}
			case kindSID:
				if seg.CheckServiceID(k.s) != nil {
					t.Fatalf("service ID %q", k.s)
				}
			default:
				t.Fatalf("key %+v", k)
			}
			if k.bucket < 0 || int(k.bucket) >= val.buckets || int(k.bucket) != seg.Bucket(k.s, val.buckets) {
				t.Fatalf("key %q in bucket %d of %d", k.s, k.bucket, val.buckets)
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
