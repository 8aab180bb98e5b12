package segmentation_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// commandCounter counts the commands a client sends.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// TestCountryCodeWithoutPlusTriesBothReadings: "62…" without "+" whose
// national part is 9 digits (Bandung's 022, Jayapura's 0967) is also a valid
// national 062x number. The customer exists under the international reading
// only; the look-up finds it, in one round trip, and the second look-up comes
// from the cache.
func TestCountryCodeWithoutPlusTriesBothReadings(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	ctx := context.Background()
	if err := f.repo.Preload(ctx); err != nil {
		t.Fatal(err)
	}
	cmds := &commandCounter{}
	f.rdb.AddHook(cmds)
	// customers.csv: DBS-0004 owns (022) 5550432, DGS-0001 (0967) 555123,
	// DBS-0008 0967-555-321.
	for _, c := range []struct {
		name, raw, e164, id string
		cmds                int64 // Redis commands of the first look-up
	}{
		{"bandung landline", "62225550432", "+62225550432", "DBS-0004", 1},
		{"bandung landline spaced: the same digits, from the cache", "62 22 555 0432", "+62225550432", "DBS-0004", 0},
		{"jayapura landline", "62967555123", "+62967555123", "DGS-0001", 1},
		{"jayapura landline dashes", "62-967-555-321", "+62967555321", "DBS-0008", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := cmds.n.Load()
			r, err := f.res.ByANI(ctx, c.raw)
			if err != nil || !r.Found || r.Customer.ID != c.id || r.Key != c.e164 {
				t.Fatalf("ByANI(%q) = %+v, %v; want %s under %s", c.raw, r, err, c.id, c.e164)
			}
			if n := cmds.n.Load() - before; n != c.cmds {
				t.Fatalf("%d Redis commands for the look-up, want %d (one EVALSHA for both readings)", n, c.cmds)
			}
			r, err = f.res.ByANI(ctx, c.raw)
			if err != nil || !r.Found || r.Customer.ID != c.id || r.Key != c.e164 || r.Source != seg.SourceCache {
				t.Fatalf("second ByANI(%q) = %+v, %v; want %s from the cache", c.raw, r, err, c.id)
			}
		})
	}
	// The national reading is a different number: it must not be answered
	// from the cache entry of the ambiguous form.
	r, err := f.res.ByANI(ctx, "+6262225550432")
	if err != nil || r.Found || r.Outcome != seg.ResultUnknown {
		t.Fatalf("the national 0622 reading alone: %+v, %v", r, err)
	}
}

// TestBothReadingsExistNormalizeReadingWins: when both readings of "62…"
// have a customer, the defined order decides: Normalize's reading (here the
// national 0622 number) first.
func TestBothReadingsExistNormalizeReadingWins(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	ctx := context.Background()
	v, err := f.repo.CurrentVersion(ctx, seg.DatasetCustomers)
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.repo.CustomerBuckets(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	const national = "+6262225550432"
	base := f.keys.Base(seg.DatasetCustomers, v)
	if err := f.rdb.HSet(ctx, seg.BucketKey(base, seg.ANIBucketPrefix, seg.Bucket(national, n)), national, "DBS-0001").Err(); err != nil {
		t.Fatal(err)
	}
	r, err := f.res.ByANI(ctx, "62225550432")
	if err != nil || !r.Found || r.Customer.ID != "DBS-0001" || r.Key != national {
		t.Fatalf("%+v, %v; want DBS-0001 under %s", r, err, national)
	}
	r, err = f.res.ByANI(ctx, "+62225550432")
	if err != nil || !r.Found || r.Customer.ID != "DBS-0004" {
		t.Fatalf("the international reading alone: %+v, %v", r, err)
	}
}

func TestReadingsOfAmbiguousNumbers(t *testing.T) {
	n := seg.Indonesia()
	for _, c := range []struct {
		name, raw string
		want      []string
	}{
		{"bandung 022 without plus", "62225550432", []string{"+6262225550432", "+62225550432"}},
		{"jayapura 0967 without plus", "62967555123", []string{"+6262967555123", "+62967555123"}},
		{"mobile without plus has one valid reading", "6281234567890", []string{"+6281234567890"}},
		{"with plus is unambiguous", "+62225550432", []string{"+62225550432"}},
		{"national form is unambiguous", "022-555-0432", []string{"+62225550432"}},
		{"international prefix is unambiguous", "0062225550432", []string{"+62225550432"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := n.Readings(c.raw)
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("Readings(%q) = %q, %v; want %q", c.raw, got, err, c.want)
			}
		})
	}
}
