package segmentation_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// luaBucket is the look-up script's bucket function on its own.
const luaBucket = `
local n = tonumber(ARGV[1])
local out = {}
for j = 2, #ARGV do
  local s, h = ARGV[j], 0
  for i = 1, #s do h = (h * 31 + string.byte(s, i)) % n end
  out[#out + 1] = h
end
return out
`

// TestBucketSameInGoAndLua: the importer (Go) and the look-up script (Lua)
// must put a field in the same bucket, for every bucket count.
func TestBucketSameInGoAndLua(t *testing.T) {
	rdb := redistest.Client(t)
	rnd := rand.New(rand.NewPCG(3, 4))
	fields := []string{"", "+6281100000042", "C10000042", "470301000101", "DBS-0001", "\xff\xfe\x00\x80"}
	for range 200 {
		b := make([]byte, 1+rnd.IntN(40))
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		fields = append(fields, string(b))
	}
	for _, n := range []int{1, 2, 32, 1000, seg.BucketsFor(1000000), seg.MaxBuckets - 1, seg.MaxBuckets} {
		args := []any{n}
		for _, f := range fields {
			args = append(args, f)
		}
		got, err := rdb.Eval(context.Background(), luaBucket, nil, args...).Int64Slice()
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range fields {
			if want := seg.Bucket(f, n); got[i] != int64(want) || want < 0 || want >= n {
				t.Fatalf("n=%d field %q: Lua %d, Go %d", n, f, got[i], want)
			}
		}
	}
	for _, n := range []int64{0, 1, 24, 25, 31 * 24, 1000000, 1 << 40} {
		if b := seg.BucketsFor(n); b < 1 || b > seg.MaxBuckets+1 || b%31 == 0 {
			t.Fatalf("BucketsFor(%d) = %d", n, b)
		}
	}
}

func TestCustomerRecordRoundTrip(t *testing.T) {
	for _, c := range []seg.Customer{
		{ID: "C1", Name: "PT Maju", Segment: "DES", Tier: "gold", Language: "id", Region: "jakarta", Products: []string{"indihome", "wifi_id"}, AccountManager: "Budi S"},
		{ID: "C2", Name: "Siti", Segment: "CONSUMER", Tier: "regular", Language: "en", Region: "medan"},
		{ID: "C3"},
	} {
		got := seg.DecodeCustomer(c.ID, string(seg.EncodeCustomer(nil, &c)))
		if got.ID != c.ID || got.Name != c.Name || got.Segment != c.Segment || got.Tier != c.Tier ||
			got.Language != c.Language || got.Region != c.Region || got.AccountManager != c.AccountManager ||
			!slices.Equal(got.Products, c.Products) {
			t.Fatalf("%+v came back as %+v", c, got)
		}
	}
	// A short record (fields missing at the end) decodes with them empty.
	if c := seg.DecodeCustomer("X", "Nama\x1fDES"); c.Name != "Nama" || c.Segment != "DES" || c.Tier != "" || c.Products != nil {
		t.Fatalf("short record: %+v", c)
	}
}

// TestLegacyLayoutStillServes: a version written before the buckets (no
// meta; cust:/ani:/sid: keys) is still read, so an upgrade keeps serving
// until the next import.
func TestLegacyLayoutStillServes(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	v, err := f.repo.NewVersion(ctx, seg.DatasetCustomers)
	if err != nil {
		t.Fatal(err)
	}
	base := f.keys.Base(seg.DatasetCustomers, v)
	f.rdb.HSet(ctx, seg.CustomerKey(base, "OLD-1"), "name", "PT Lama", "segment", "DES", "tier", "gold",
		"language", "id", "region", "jakarta", "products", "indihome;data_internet")
	f.rdb.Set(ctx, seg.ANIKey(base, "+62215550001"), "OLD-1", 0)
	f.rdb.Set(ctx, seg.SIDKey(base, "555000111"), "OLD-1", 0)
	f.rdb.Set(ctx, seg.SIDKey(base, "555000222"), "GONE", 0)
	if _, err := f.repo.Switch(ctx, seg.DatasetCustomers, v); err != nil {
		t.Fatal(err)
	}
	r, err := f.res.ByANI(ctx, "021-555-0001")
	if err != nil || !r.Found || r.Customer.ID != "OLD-1" || r.Customer.Tier != "gold" || !r.Customer.HasProduct("data_internet") || r.Version != v {
		t.Fatalf("by number: %+v, %v", r, err)
	}
	if r, err := f.res.BySID(ctx, "555000111"); err != nil || !r.Found || r.Customer.Name != "PT Lama" {
		t.Fatalf("by service ID: %+v, %v", r, err)
	}
	if r, err := f.res.BySID(ctx, "555000222"); err != nil || r.Found || r.Outcome != seg.ResultUnknown {
		t.Fatalf("dangling service ID: %+v, %v", r, err)
	}
	if r, err := f.res.ByANI(ctx, "021-555-0002"); err != nil || r.Found || r.Outcome != seg.ResultUnknown {
		t.Fatalf("unknown number: %+v, %v", r, err)
	}
}
