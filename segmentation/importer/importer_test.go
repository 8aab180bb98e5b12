package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

type env struct {
	rdb   *redis.Client
	repo  *seg.Repository
	rules *seg.Rules
	res   *seg.Resolver
}

func newEnv(t testing.TB) *env {
	t.Helper()
	prefix := redistest.Prefix(t)
	e := &env{rdb: redistest.Client(t)}
	keys, err := seg.NewKeyspace(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if e.repo, err = seg.NewRepository(e.rdb, keys); err != nil {
		t.Fatal(err)
	}
	if e.rules, err = seg.NewRules(redistest.SegmentationConfig()); err != nil {
		t.Fatal(err)
	}
	// No cache: these tests look at what Redis serves; a budget no loaded
	// machine exceeds, so that a slow look-up never reads as "not there".
	if e.res, err = seg.NewResolver(seg.Options{Repository: e.repo, Rules: e.rules, Budget: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) importer(t testing.TB, maxErrors int) *Importer {
	t.Helper()
	im, err := New(Options{Repository: e.repo, Rules: e.rules, MaxErrors: maxErrors, BatchSize: 3, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func samplePath(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "configs", "sample", name)
}

func TestImportSampleData(t *testing.T) {
	e := newEnv(t)
	im := e.importer(t, 0)
	ctx := context.Background()
	for _, c := range []struct {
		file string
		run  func(context.Context, Source) (Summary, error)
		rows int64
	}{
		{"customers.csv", im.Customers, 30},
		{"tickets.csv", im.Tickets, 8},
		{"incidents.csv", im.Incidents, 4},
	} {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(samplePath(c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sum, err := c.run(ctx, Source{R: f, Format: FormatCSV})
			if err != nil {
				t.Fatalf("%v: %v", err, sum.Errors)
			}
			if sum.Rows != c.rows || sum.Imported != c.rows || sum.Bad != 0 || !sum.Switched || sum.Version != 1 || sum.Previous != 0 {
				t.Fatalf("summary: %+v", sum)
			}
		})
	}
	r, err := e.res.ByANI(ctx, "(0967) 555123")
	if err != nil || r.Customer == nil || r.Customer.ID != "DGS-0001" {
		t.Fatalf("look-up after import: %+v, %v", r, err)
	}
}

const badCSV = `customer_id,name,segment,tier,language,region,products,phones,service_ids,account_manager
OK-1,PT Satu,DES,gold,id,jakarta,data_internet,021-555-0001,900000000001,
BAD-2,PT Dua,RETAIL,gold,id,jakarta,data_internet,021-555-0002,900000000002,
BAD-3,,DBS,gold,id,jakarta,data_internet,021-555-0003,900000000003,
BAD-4,PT Empat,DBS,diamond,id,jakarta,data_internet,021-555-0004,900000000004,
BAD-5,PT Lima,DBS,gold,id,jakarta,data_internet,+65 6123 4567,900000000005,
OK-6,PT Enam,DWS,silver,en,medan,data_internet;telephony,061 5550006,900000000006,
BAD-7,PT Tujuh,DBS,gold,id,jakarta,data_internet,(021) 5550001,900000000007,
BAD-8,PT Delapan,DBS,gold,id,jakarta
BAD-9,PT Sembilan,DBS,gold,id,jakarta,satellite,021-555-0009,900000000009,
BAD-10,PT Sepuluh,DBS,gold,id,jakarta,data_internet,,,
OK-11,"PT Sebelas, Tbk",DGS,platinum,id,jayapura,telephony,0967-555-011,900000000011,
`

func TestImportReportsBadRowsWithLineNumbers(t *testing.T) {
	e := newEnv(t)
	sum, err := e.importer(t, 10).Customers(context.Background(), Source{R: strings.NewReader(badCSV)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 11 || sum.Imported != 3 || sum.Bad != 8 || !sum.Switched {
		t.Fatalf("summary: %+v", sum)
	}
	want := []struct {
		line  int
		field string
		has   string
	}{
		{3, "segment", `unknown segment "RETAIL"`},
		{4, "name", "required"},
		{5, "tier", `unknown tier "diamond"`},
		{6, "phones[1]", "country code +65"},
		{8, "phones", "duplicate: already on line 2"},
		{9, "", "wrong number of fields"},
		{10, "products", `unknown product "satellite"`},
		{11, "phones", "neither phones nor service_ids"},
	}
	if len(sum.Errors) != len(want) {
		t.Fatalf("errors: %v", sum.Errors)
	}
	for i, w := range want {
		got := sum.Errors[i]
		if got.Line != w.line || got.Field != w.field || !strings.Contains(got.Reason, w.has) {
			t.Errorf("error %d = %q, want line %d field %q containing %q", i, got.Error(), w.line, w.field, w.has)
		}
		if strings.Contains(got.Error(), "6123") || strings.Contains(got.Error(), "PT ") {
			t.Errorf("error %d leaks personal data: %q", i, got.Error())
		}
	}
	for sid, want := range map[string]bool{"900000000001": true, "900000000006": true, "900000000011": true, "900000000002": false} {
		r, err := e.res.BySID(context.Background(), sid)
		if err != nil || r.Found != want {
			t.Errorf("BySID(%s) = %+v, %v; want found=%v", sid, r, err, want)
		}
	}
}

func TestAbortedImportLeavesPreviousDataServing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f, err := os.Open(samplePath("customers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first, err := e.importer(t, 0).Customers(ctx, Source{R: f})
	if err != nil {
		t.Fatal(err)
	}

	// An export where OK-1 is fine and then too many rows are bad.
	sum, err := e.importer(t, 2).Customers(ctx, Source{R: strings.NewReader(badCSV)})
	if !errors.Is(err, ErrTooManyErrors) || sum.Switched {
		t.Fatalf("want ErrTooManyErrors, got %v, %+v", err, sum)
	}
	if !strings.Contains(sum.String(), "ABORTED") {
		t.Fatalf("summary line: %s", sum)
	}
	cur, err := e.repo.CurrentVersion(ctx, seg.DatasetCustomers)
	if err != nil || cur != first.Version {
		t.Fatalf("serving version %d, want %d (%v)", cur, first.Version, err)
	}
	r, err := e.res.ByANI(ctx, "+62 21 5551234")
	if err != nil || !r.Found || r.Customer.ID != "DES-0001" {
		t.Fatalf("previous data: %+v, %v", r, err)
	}
	if r, _ := e.res.BySID(ctx, "900000000001"); r.Found {
		t.Fatalf("a row of the aborted import is visible: %+v", r)
	}
	// The partial version was deleted.
	n := 0
	iter := e.rdb.Scan(ctx, 0, e.repo.Keys().Base(seg.DatasetCustomers, sum.Version)+"*", 1000).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if n != 0 {
		t.Fatalf("%d keys of the aborted version %d left", n, sum.Version)
	}

	// A cancelled import (Ctrl-C) aborts the same way.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.importer(t, 0).GenerateCustomers(cctx, 5000, 1); err == nil {
		t.Fatal("cancelled import succeeded")
	}
	if cur, _ := e.repo.CurrentVersion(ctx, seg.DatasetCustomers); cur != first.Version {
		t.Fatalf("serving version %d after a cancelled import, want %d", cur, first.Version)
	}
}

func TestEmptyImportIsRefused(t *testing.T) {
	e := newEnv(t)
	_, err := e.importer(t, 0).Customers(context.Background(), Source{R: strings.NewReader(strings.Join(CustomerColumns, ",") + "\n")})
	if !errors.Is(err, ErrEmpty) {
		t.Fatalf("err = %v, want ErrEmpty", err)
	}
}

func TestHeaderErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ name, in, want string }{
		{"empty file", "", "empty file"},
		{"unknown column", "customer_id,name,segmen\n", `unknown column "segmen"`},
		{"missing column", "customer_id,name\n", `missing column "segment"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.importer(t, 0).Customers(context.Background(), Source{R: strings.NewReader(c.in)})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "line 1") {
				t.Fatalf("err = %v, want line 1 … %s", err, c.want)
			}
		})
	}
}

const jsonl = `{"customer_id":"J-1","name":"PT Json","segment":"dbs","tier":"Gold","language":"en","region":"Surabaya","products":["data_internet","wifi_id"],"phones":["031-555-0101", 6281330000101],"service_ids":"900000000101","account_manager":"Eko"}

{"customer_id":"J-2","name":"PT Rusak","segment":"DBS","tier":"gold","region":"jakarta","phones":"0812","service_ids":[]}
not json
{"customer_id":"J-4","name":"X","segment":"DBS","tier":"gold","region":"jakarta","phones":"021-555-0104","colour":"red"}
`

func TestImportJSONLines(t *testing.T) {
	e := newEnv(t)
	sum, err := e.importer(t, 5).Customers(context.Background(), Source{R: strings.NewReader(jsonl), Format: FormatJSONL})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 1 || sum.Bad != 3 {
		t.Fatalf("summary %+v", sum)
	}
	lines := []int{3, 4, 5}
	for i, l := range lines {
		if sum.Errors[i].Line != l {
			t.Errorf("error %d on line %d, want %d: %v", i, sum.Errors[i].Line, l, sum.Errors[i])
		}
	}
	r, err := e.res.ByANI(context.Background(), "+62 813 3000 0101")
	if err != nil || !r.Found || r.Customer.Tier != "gold" || r.Customer.Segment != "DBS" || r.Customer.Region != "surabaya" ||
		strings.Join(r.Customer.Products, ",") != "data_internet,wifi_id" || r.Customer.Language != "en" {
		t.Fatalf("%+v %+v, %v", r, r.Customer, err)
	}
}

func TestBadTicketsAndIncidents(t *testing.T) {
	e := newEnv(t)
	tickets := "service_id,ticket_id,status,updated_at,eta\n" +
		"470301000101,IN1,open,2026-11-27T08:00:00+07:00,\n" +
		"470301000102,IN2,lost,2026-11-27T08:00:00+07:00,\n" +
		"470301000103,IN3,open,yesterday,\n"
	sum, err := e.importer(t, 5).Tickets(context.Background(), Source{R: strings.NewReader(tickets)})
	if err != nil || sum.Imported != 1 || len(sum.Errors) != 2 || sum.Errors[0].Line != 3 || sum.Errors[1].Field != "updated_at" {
		t.Fatalf("tickets: %+v, %v", sum, err)
	}
	incidents := "product,region,prompt,started_at,expected_end\n" +
		"indihome,jakarta,p1,2026-11-27T08:00:00+07:00,2026-11-27T07:00:00+07:00\n" +
		"satellite,jakarta,p2,2026-11-27T08:00:00+07:00,\n" +
		"indihome,*,p3,2026-11-27T08:00:00+07:00,\n"
	sum, err = e.importer(t, 5).Incidents(context.Background(), Source{R: strings.NewReader(incidents)})
	if err != nil || sum.Imported != 1 || len(sum.Errors) != 2 || sum.Errors[0].Field != "expected_end" || sum.Errors[1].Field != "product" {
		t.Fatalf("incidents: %+v, %v", sum, err)
	}
}

func TestGeneratedCustomersAreValid(t *testing.T) {
	e := newEnv(t)
	im, err := New(Options{Repository: e.repo, Rules: e.rules, MaxErrors: 0})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := im.GenerateCustomers(context.Background(), 20000, 7)
	if err != nil {
		t.Fatalf("%v: %v", err, sum.Errors)
	}
	if sum.Imported != 20000 || sum.Keys != 20000*3+5000 {
		t.Fatalf("summary %+v", sum)
	}
	r, err := e.res.ByANI(context.Background(), "0811-0000-0042")
	if err != nil || !r.Customer.HasProduct(r.Customer.Products[0]) || r.Customer.ID != "C10000042" {
		t.Fatalf("%+v, %v", r, err)
	}
	var a, b strings.Builder
	if err := NewGenerator(50, 3).WriteCSV(&a); err != nil {
		t.Fatal(err)
	}
	_ = NewGenerator(50, 3).WriteCSV(&b)
	if a.String() != b.String() || strings.Count(a.String(), "\n") != 51 {
		t.Fatal("generator is not deterministic")
	}
}

func TestSameNumberTwiceInOneRow(t *testing.T) {
	e := newEnv(t)
	in := strings.Join(CustomerColumns, ",") + "\n" +
		"A-1,PT Satu,DES,gold,id,jakarta,data_internet,021-555-0001;+62 21 5550001,900000000001;900000000001,\n"
	sum, err := e.importer(t, 0).Customers(context.Background(), Source{R: strings.NewReader(in)})
	if err != nil || sum.Imported != 1 || sum.Bad != 0 {
		t.Fatalf("%+v, %v", sum, err)
	}
}
