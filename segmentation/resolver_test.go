package segmentation_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation/importer"
)

// fixture is one isolated test world on the real Redis.
type fixture struct {
	rdb   *redis.Client
	keys  seg.Keyspace
	repo  *seg.Repository
	rules *seg.Rules
	obs   *recorder
	clock *fakeClock
	res   *seg.Resolver
}

type recorder struct {
	mu   sync.Mutex
	seen []seg.LookupResult
}

func (r *recorder) LookupDone(_ seg.LookupKind, res seg.LookupResult, _ time.Duration) {
	r.mu.Lock()
	r.seen = append(r.seen, res)
	r.mu.Unlock()
}

func (r *recorder) count(res seg.LookupResult) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.seen {
		if s == res {
			n++
		}
	}
	return n
}

type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func newFixture(t testing.TB, addr string, tweak func(*seg.Options)) *fixture {
	t.Helper()
	prefix := redistest.Prefix(t)
	f := &fixture{rdb: redistest.Client(t, addr), obs: &recorder{}, clock: &fakeClock{}}
	f.clock.ns.Store(time.Now().UnixNano())
	var err error
	if f.keys, err = seg.NewKeyspace(prefix); err != nil {
		t.Fatal(err)
	}
	if f.repo, err = seg.NewRepository(f.rdb, f.keys); err != nil {
		t.Fatal(err)
	}
	if f.rules, err = seg.NewRules(redistest.SegmentationConfig()); err != nil {
		t.Fatal(err)
	}
	o := seg.OptionsFromConfig(redistest.SegmentationConfig(), f.repo, f.rules, zerolog.Nop())
	o.Observer, o.Now = f.obs, f.clock.Now
	if tweak != nil {
		tweak(&o)
	}
	if f.res, err = seg.NewResolver(o); err != nil {
		t.Fatal(err)
	}
	return f
}

func sampleDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "configs", "sample")
}

// importFile loads a sample file through the importer (the same path as the
// command) with its own client, so that it works while f.rdb is proxied.
func importFile(t testing.TB, f *fixture, kind, path string) importer.Summary {
	t.Helper()
	repo, err := seg.NewRepository(redistest.Client(t), f.keys)
	if err != nil {
		t.Fatal(err)
	}
	im, err := importer.New(importer.Options{Repository: repo, Rules: f.rules, MaxErrors: 0})
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	src := importer.Source{R: fh, Format: importer.FormatOf(path)}
	var sum importer.Summary
	switch kind {
	case "customers":
		sum, err = im.Customers(context.Background(), src)
	case "tickets":
		sum, err = im.Tickets(context.Background(), src)
	case "incidents":
		sum, err = im.Incidents(context.Background(), src)
	}
	if err != nil {
		t.Fatalf("import %s: %v (%v)", path, err, sum.Errors)
	}
	return sum
}

func loadSample(t testing.TB, f *fixture) {
	t.Helper()
	dir := sampleDir(t)
	importFile(t, f, "customers", filepath.Join(dir, "customers.csv"))
	importFile(t, f, "tickets", filepath.Join(dir, "tickets.csv"))
	importFile(t, f, "incidents", filepath.Join(dir, "incidents.csv"))
}

func TestEveryNumberFormResolvesToTheSameCustomer(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	ctx := context.Background()
	// DES-0001 owns +62 21 5551234 and 0812-3456-7890 in customers.csv.
	for _, c := range []struct{ name, raw, e164 string }{
		{"international spaced", "+62 21 5551234", "+62215551234"},
		{"national dashes", "021-555-1234", "+62215551234"},
		{"parenthesised area code", "(021) 5551234", "+62215551234"},
		{"dots", "021.555.1234", "+62215551234"},
		{"trunk zero in brackets", "+62 (0)21 5551234", "+62215551234"},
		{"international prefix", "0062215551234", "+62215551234"},
		{"asterisk national significant number", "215551234", "+62215551234"},
		{"sip uri", "sip:+62215551234@10.1.2.3;user=phone", "+62215551234"},
		{"mobile country code without plus", "62 812 3456 7890", "+6281234567890"},
		{"mobile national", "0812-3456-7890", "+6281234567890"},
		{"mobile e164", "+6281234567890", "+6281234567890"},
		{"mobile trunk form", "6281234567890", "+6281234567890"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for i, wantSource := range []seg.Source{"", seg.SourceCache} {
				r, err := f.res.ByANI(ctx, c.raw)
				if err != nil {
					t.Fatal(err)
				}
				if !r.Found || r.Customer == nil || r.Customer.ID != "DES-0001" {
					t.Fatalf("ByANI(%q) = %+v, want DES-0001", c.raw, r)
				}
				if r.Key != c.e164 || !r.Served || r.Customer.Segment != "DES" || r.Customer.Tier != "platinum" || r.Priority != 4 {
					t.Fatalf("ByANI(%q) = %+v", c.raw, r)
				}
				if i == 1 && r.Source != wantSource {
					t.Fatalf("second look-up of %q came from %q, want the cache", c.raw, r.Source)
				}
			}
		})
	}
}

func TestLookupByServiceID(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	r, err := f.res.BySID(context.Background(), "470302000101")
	if err != nil {
		t.Fatal(err)
	}
	c := r.Customer
	if !r.Found || c.ID != "DGS-0001" || c.Segment != "DGS" || c.Region != "jayapura" || c.Language != "id" ||
		len(c.Products) != 2 || c.Products[0] != "data_internet" || c.AccountManager != "Yohanes Wonda" || r.Source != seg.SourceRedis {
		t.Fatalf("BySID = %+v customer %+v", r, c)
	}
	if _, err := f.res.BySID(context.Background(), "47 03"); !errors.Is(err, seg.ErrInvalidServiceID) {
		t.Fatalf("BySID with a blank: err %v, want ErrInvalidServiceID", err)
	}
	r, err = f.res.BySID(context.Background(), "999999999999")
	if err != nil || r.Found || r.Outcome != seg.ResultUnknown {
		t.Fatalf("unknown service ID: %+v, %v", r, err)
	}
}

func TestUnknownNumberAndNegativeCache(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	ctx := context.Background()
	const stranger = "0811-7777-0001"
	r, err := f.res.ByANI(ctx, stranger)
	if err != nil || r.Found || r.Degraded || r.Outcome != seg.ResultUnknown || r.Source != seg.SourceRedis {
		t.Fatalf("first look-up: %+v, %v", r, err)
	}
	// The number appears in Redis behind the cache's back: the negative
	// entry still answers until its TTL passes, so Redis is not asked.
	base := f.keys.Base(seg.DatasetCustomers, r.Version)
	n, err := f.repo.CustomerBuckets(ctx, r.Version)
	if err != nil || n == 0 {
		t.Fatalf("buckets of version %d: %d, %v", r.Version, n, err)
	}
	const e164 = "+6281177770001"
	if err := f.rdb.HSet(ctx, seg.BucketKey(base, seg.ANIBucketPrefix, seg.Bucket(e164, n)), e164, "DBS-0001").Err(); err != nil {
		t.Fatal(err)
	}
	r, err = f.res.ByANI(ctx, "+62 811 7777 0001")
	if err != nil || r.Found || r.Source != seg.SourceCache || r.Outcome != seg.ResultUnknown {
		t.Fatalf("second look-up: %+v, %v; want unknown from the negative cache", r, err)
	}
	f.clock.Advance(redistest.SegmentationConfig().Cache.NegativeTTL + time.Millisecond)
	r, err = f.res.ByANI(ctx, stranger)
	if err != nil || !r.Found || r.Customer.ID != "DBS-0001" || r.Source != seg.SourceRedis {
		t.Fatalf("after the negative TTL: %+v, %v", r, err)
	}
	// A malformed number is an error that says why, and Redis is not asked.
	_, err = f.res.ByANI(ctx, "+65 6123 4567")
	if !errors.Is(err, seg.ErrNumberForeign) {
		t.Fatalf("foreign number: %v", err)
	}
	if f.obs.count(seg.ResultInvalid) != 1 {
		t.Fatalf("invalid not observed once: %v", f.obs.seen)
	}
}

func TestConsumerIsRedirected(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	r, err := f.res.ByANI(context.Background(), "0813-1000-2001")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Found || r.Served || r.Redirect == nil || r.Redirect.Target != "147" || r.Redirect.Prompt != "redirect-consumer-147" || r.Customer.ID != "CON-0001" {
		t.Fatalf("consumer: %+v", r)
	}
}

func TestUnknownOrMissingSegmentIsUnidentified(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	ctx := context.Background()
	v, err := f.repo.CurrentVersion(ctx, seg.DatasetCustomers)
	if err != nil {
		t.Fatal(err)
	}
	base := f.keys.Base(seg.DatasetCustomers, v)
	// Written behind the importer's back, as an old import under another
	// config would have.
	n, err := f.repo.CustomerBuckets(ctx, v)
	if err != nil || n == 0 {
		t.Fatalf("buckets of version %d: %d, %v", v, n, err)
	}
	put := func(prefix, field, value string) {
		t.Helper()
		if err := f.rdb.HSet(ctx, seg.BucketKey(base, prefix, seg.Bucket(field, n)), field, value).Err(); err != nil {
			t.Fatal(err)
		}
	}
	put(seg.CustBucketPrefix, "X-1", string(seg.EncodeCustomer(nil, &seg.Customer{Name: "PT Lama", Segment: "RETIRED", Tier: "gold"})))
	put(seg.SIDBucketPrefix, "777000111", "X-1")
	put(seg.CustBucketPrefix, "X-2", "Tanpa Segmen") // a record of the name alone
	put(seg.SIDBucketPrefix, "777000222", "X-2")
	put(seg.SIDBucketPrefix, "777000333", "NO-SUCH-CUSTOMER")
	for _, c := range []struct {
		name, sid string
		want      seg.LookupResult
	}{
		{"unknown segment", "777000111", seg.ResultUnknownSegment},
		{"missing segment", "777000222", seg.ResultUnknownSegment},
		{"dangling service ID", "777000333", seg.ResultUnknown},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := f.res.BySID(ctx, c.sid)
			if err != nil || r.Found || r.Served || r.Redirect != nil || r.Outcome != c.want {
				t.Fatalf("%+v, %v", r, err)
			}
		})
	}
}

func TestDatasetSwitchInvalidatesCache(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	ctx := context.Background()
	r, _ := f.res.ByANI(ctx, "0812 9000 1111") // DBS-0001, gold
	r, _ = f.res.ByANI(ctx, "0812 9000 1111")
	if r.Source != seg.SourceCache || r.Customer.Tier != "gold" {
		t.Fatalf("not cached: %+v", r)
	}
	v1 := r.Version

	// A new export: DBS-0001 is now platinum.
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(sampleDir(t), "customers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	changed := []byte(string(data))
	old := "DBS-0001,CV Maju Bersama,DBS,gold"
	i := indexOf(changed, old)
	if i < 0 {
		t.Fatal("sample row DBS-0001 changed; update the test")
	}
	changed = append(append(append([]byte{}, changed[:i]...), "DBS-0001,CV Maju Bersama,DBS,platinum"...), changed[i+len(old):]...)
	path := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(path, changed, 0o600); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.res.Run(runCtx) }()
	defer func() { stop(); <-done }()
	// Run's first Refresh happens before it listens; wait for it to have
	// seen v1 so that the switch event is what moves it.
	waitFor(t, func() bool { return f.res.Version() == v1 })

	sum := importFile(t, f, "customers", path)
	if sum.Version <= v1 || sum.CollectedVersions != 1 {
		t.Fatalf("import: %+v", sum)
	}
	waitFor(t, func() bool { return f.res.Version() == sum.Version })
	r, err = f.res.ByANI(ctx, "0812 9000 1111")
	if err != nil || r.Customer.Tier != "platinum" || r.Source != seg.SourceRedis || r.Version != sum.Version {
		t.Fatalf("after the switch: %+v, %v", r, err)
	}
	// The old version's keys are gone.
	n := 0
	iter := f.rdb.Scan(ctx, 0, f.keys.Base(seg.DatasetCustomers, v1)+"*", 1000).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if n != 0 {
		t.Fatalf("%d keys of version %d left", n, v1)
	}
}

// waitFor polls cond (the resolver's state changes on another goroutine's
// pub/sub message) for at most 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5 s")
		}
		<-tick.C
	}
}

func indexOf(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

func TestTicketAndIncident(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	ctx := context.Background()
	tr, err := f.res.Ticket(ctx, "470301000101")
	if err != nil || !tr.Found || tr.Ticket.TicketID != "IN100234501" || tr.Ticket.Status != "in_progress" ||
		!tr.Ticket.ETA.Equal(time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("ticket: %+v %+v, %v", tr, tr.Ticket, err)
	}
	tr, err = f.res.Ticket(ctx, "470301000501")
	if err != nil || tr.Found || tr.Outcome != seg.ResultUnknown {
		t.Fatalf("no ticket: %+v, %v", tr, err)
	}
	ir, err := f.res.Incident(ctx, "data_internet", "makassar")
	if err != nil || !ir.Found || ir.Incident.Prompt != "incident-generic" {
		t.Fatalf("incident: %+v, %v", ir, err)
	}
	ir, err = f.res.Incident(ctx, "wifi_id", "medan") // declared for all regions
	if err != nil || !ir.Found || ir.Incident.Region != seg.AllRegions {
		t.Fatalf("national incident: %+v, %v", ir, err)
	}
	ir, err = f.res.Incident(ctx, "data_internet", "medan")
	if err != nil || ir.Found {
		t.Fatalf("no incident: %+v, %v", ir, err)
	}
}

func TestNoDatasetYet(t *testing.T) {
	f := newFixture(t, "", nil)
	r, err := f.res.ByANI(context.Background(), "0812-3456-7890")
	if err != nil || r.Found || r.Degraded || r.Version != 0 || r.Outcome != seg.ResultUnknown {
		t.Fatalf("%+v, %v", r, err)
	}
}

// TestRefreshDropsCacheWithoutEvents: a switch whose pub/sub message was
// missed is picked up by the pointer poll (Refresh).
func TestRefreshDropsCacheWithoutEvents(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	ctx := context.Background()
	r, _ := f.res.ByANI(ctx, "0812 9000 1111")
	v1 := r.Version
	// A new version in which DBS-0001 no longer owns the number, switched
	// directly (no importer, nobody listening).
	v2, err := f.repo.NewVersion(ctx, seg.DatasetCustomers)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.repo.Switch(ctx, seg.DatasetCustomers, v2); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.res.ByANI(ctx, "0812 9000 1111"); r.Source != seg.SourceCache || r.Version != v1 {
		t.Fatalf("before Refresh: %+v", r)
	}
	if err := f.res.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if f.res.CacheLen() != 0 {
		t.Fatalf("%d cached answers after the switch", f.res.CacheLen())
	}
	r, err = f.res.ByANI(ctx, "0812 9000 1111")
	if err != nil || r.Found || r.Version != v2 || r.Source != seg.SourceRedis {
		t.Fatalf("after Refresh: %+v, %v", r, err)
	}
}
