package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// TestBucketsFlushedInRounds: with a small BufferEntries the buckets are
// written in several rounds; every customer is found by each of its keys,
// and a duplicate far after its first occurrence (in another round) is
// still caught with the first line.
func TestBucketsFlushedInRounds(t *testing.T) {
	e := newEnv(t)
	var in strings.Builder
	if err := NewGenerator(3000, 5).WriteCSV(&in); err != nil {
		t.Fatal(err)
	}
	// Line 3002 reuses the number of line 3 (customer C10000001).
	in.WriteString("DUP-1,PT Ganda,DES,gold,id,jakarta,indihome,0811-0000-0001,999000000001,\n")
	in.WriteString("SEP-1,PT \x1f Pisah,DES,gold,id,jakarta,indihome,0811-9999-0001,999000000002,\n")
	for _, bucketEntries := range []int{0, 3} {
		t.Run(fmt.Sprintf("BucketEntries=%d", bucketEntries), func(t *testing.T) {
			importInRounds(t, e, in.String(), bucketEntries)
		})
	}
}

func importInRounds(t *testing.T, e *env, in string, bucketEntries int) {
	im, err := New(Options{Repository: e.repo, Rules: e.rules, MaxErrors: 5, BatchSize: 64, Workers: 3,
		BufferEntries: 500, BucketEntries: bucketEntries})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := im.Customers(context.Background(), Source{R: strings.NewReader(in), Size: int64(len(in))})
	if err != nil {
		t.Fatalf("%v: %v", err, sum.Errors)
	}
	if sum.Imported != 3000 || sum.Bad != 2 || sum.Keys != 3000*3+750 || sum.Buckets != seg.BucketsFor(int64(len(in))/64) {
		t.Fatalf("summary %+v", sum)
	}
	if got := sum.Errors[0]; got.Line != 3002 || got.Field != "phones" || !strings.Contains(got.Reason, "already on line 3") {
		t.Fatalf("duplicate: %v", got)
	}
	if got := sum.Errors[1]; got.Line != 3003 || got.Field != "name" || !strings.Contains(got.Reason, "control character") {
		t.Fatalf("separator: %v", got)
	}
	if n, err := e.repo.CustomerBuckets(context.Background(), sum.Version); err != nil || n != sum.Buckets {
		t.Fatalf("meta buckets %d, %v; want %d", n, err, sum.Buckets)
	}
	ctx := context.Background()
	for i := 0; i < 3000; i += 7 {
		id := fmt.Sprintf("C%d", 10000000+i)
		num := fmt.Sprintf("0811%08d", i)
		r, err := e.res.ByANI(ctx, num)
		if err != nil || !r.Found || r.Customer.ID != id {
			t.Fatalf("ByANI(%s) = %+v, %v", num, r, err)
		}
		if i%4 == 0 {
			if r, err := e.res.ByANI(ctx, fmt.Sprintf("+62812%08d", i)); err != nil || r.Customer == nil || r.Customer.ID != id {
				t.Fatalf("second number of %s: %+v, %v", id, r, err)
			}
		}
		if r, err := e.res.BySID(ctx, fmt.Sprintf("1%08d001", i)); err != nil || r.Customer == nil || r.Customer.ID != id || r.Customer.Name == "" {
			t.Fatalf("service ID of %s: %+v, %v", id, r, err)
		}
	}
	if r, _ := e.res.BySID(ctx, "999000000001"); r.Found {
		t.Fatalf("the duplicate row was written: %+v", r)
	}
}

// TestBucketsStaySmall: for the generator's keys (sequential IDs, numbers
// and service IDs, the hard case for a simple hash) no bucket of a
// 1,000,000-customer version comes near hash-max-listpack-entries (128).
func TestBucketsStaySmall(t *testing.T) {
	const n = 1000000
	b := seg.BucketsFor(n)
	var counts [3][]int
	for k := range counts {
		counts[k] = make([]int, b)
	}
	var buf []byte
	for i := range n {
		buf = appendPad8(append(buf[:0], "C1"...), i)
		counts[0][seg.Bucket(string(buf), b)]++
		buf = appendPad8(append(buf[:0], "+62811"...), i)
		counts[1][seg.Bucket(string(buf), b)]++
		if i%4 == 0 {
			buf = appendPad8(append(buf[:0], "+62812"...), i)
			counts[1][seg.Bucket(string(buf), b)]++
		}
		buf = append(appendPad8(append(buf[:0], '1'), i), "001"...)
		counts[2][seg.Bucket(string(buf), b)]++
	}
	for k, c := range counts {
		top := 0
		for _, x := range c {
			top = max(top, x)
		}
		t.Logf("%s: %d buckets, the largest %d entries", kindPrefix[k+1], b, top)
		if top > 100 {
			t.Errorf("%s: a bucket of %d entries", kindPrefix[k+1], top)
		}
	}
}

func TestClaims(t *testing.T) {
	c := newClaims(0)
	const n = 5000 // grows several times from 1024 slots
	for i := range n {
		if _, ok := c.claim(uint64(i)*0x9e3779b97f4a7c15, int32(i+1)); !ok {
			t.Fatalf("claim %d refused", i)
		}
	}
	for i := range n {
		if l, ok := c.claim(uint64(i)*0x9e3779b97f4a7c15, 99999); ok || l != int32(i+1) {
			t.Fatalf("claim %d again: %d, %v", i, l, ok)
		}
	}
	mul := uint64(0x9e3779b97f4a7c15)
	h7 := 7 * mul
	c.release(h7)
	if _, ok := c.claim(h7, 42); !ok {
		t.Fatal("released key not claimable")
	}
	if l, ok := c.claim(h7, 43); ok || l != 42 {
		t.Fatalf("re-claimed key: %d, %v", l, ok)
	}
	if l, ok := c.claim(0, 77); ok || l != 1 { // key 0 (i == 0) holds it, claimed by line 1
		t.Fatalf("hash 0: %d, %v", l, ok)
	}
}
