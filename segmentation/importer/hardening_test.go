package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// TestErrorsNeverEchoPersonalDataOrHugeValues: a shifted column puts a
// customer's name in segment and a phone number in products; a 1 MB garbage
// field lands in tier. The errors mask the name and the number as the logs
// do and cap what they quote.
func TestErrorsNeverEchoPersonalDataOrHugeValues(t *testing.T) {
	e := newEnv(t)
	huge := strings.Repeat("x", 1<<20)
	csv := "customer_id,name,segment,tier,language,region,products,phones,service_ids,account_manager\n" +
		"S-1,PT Satu,Budi Santoso,gold,id,jakarta,data_internet,021-555-0001,900000000001,\n" +
		"S-2,PT Dua,DES,gold,id,jakarta,0812-3456-7890,021-555-0002,900000000002,\n" +
		"S-3,PT Tiga,DES," + huge + ",id,jakarta,data_internet,021-555-0003,900000000003,\n" +
		"S-4,PT Empat,DES,gold,id,jakarta,data_internet,021-555-0004,900000000004,\n"
	sum, err := e.importer(t, 10).Customers(context.Background(), Source{R: strings.NewReader(csv)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Bad != 3 || len(sum.Errors) != 3 {
		t.Fatalf("summary %+v", sum)
	}
	for _, leak := range []string{"Budi", "Santoso", "3456", "0812", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"} {
		for _, re := range sum.Errors {
			if strings.Contains(re.Error(), leak) {
				t.Errorf("error %q echoes %q", re.Error(), leak)
			}
		}
	}
	for i, want := range []string{`unknown segment "B. S."`, `unknown product "***********890"`, "longer than 64"} {
		if got := sum.Errors[i].Error(); !strings.Contains(got, want) || len(got) > 400 {
			t.Errorf("error %d = %.500q, want it to contain %q and be short", i, got, want)
		}
	}
}

// TestEchoCapsAndMasks: the quoting rule itself.
func TestEchoCapsAndMasks(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"a code is quoted as is", "RETAIL", `"RETAIL"`},
		{"a name is masked", "Budi Santoso", `"B. S."`},
		{"a number is masked", "+6281234567890", `"+62********890"`},
		{"a long value is cut and says its length", strings.Repeat("a", 100), `"` + strings.Repeat("a", 32) + `"… (100 bytes)`},
		{"a cut never splits a rune", strings.Repeat("a", 31) + "é" + "b", `"` + strings.Repeat("a", 31) + `"… (34 bytes)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := echo(c.in); got != c.want {
				t.Fatalf("echo(%.40q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestOverlongFieldsAreRejectedWithTheirRow: a 1 MB name or a list of 1,000
// products is not imported; the row is reported with its field and line.
func TestOverlongFieldsAreRejectedWithTheirRow(t *testing.T) {
	e := newEnv(t)
	csv := "customer_id,name,segment,tier,language,region,products,phones,service_ids,account_manager\n" +
		"L-1," + strings.Repeat("N", 1<<20) + ",DES,gold,id,jakarta,data_internet,021-555-0001,900000000001,\n" +
		"L-2,PT Dua,DES,gold,id,jakarta," + strings.Repeat("telephony;", 1000) + ",021-555-0002,900000000002,\n" +
		"L-3,PT Tiga,DES,gold,id,jakarta,data_internet,021-555-0003,900000000003," + strings.Repeat("M", MaxNameLen+1) + "\n" +
		"L-4,PT Empat,DES,gold,id,jakarta,data_internet,021-555-0004,900000000004,\n"
	sum, err := e.importer(t, 10).Customers(context.Background(), Source{R: strings.NewReader(csv)})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		field string
	}{{2, "name"}, {3, "products"}, {4, "account_manager"}}
	if sum.Imported != 1 || len(sum.Errors) != len(want) {
		t.Fatalf("summary %+v", sum)
	}
	for i, w := range want {
		if got := sum.Errors[i]; got.Line != w.line || got.Field != w.field {
			t.Errorf("error %d = %q, want line %d field %s", i, got.Error(), w.line, w.field)
		}
	}
}

func sampleHead(t *testing.T, rows int) string {
	t.Helper()
	b, err := os.ReadFile(samplePath("customers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	return strings.Join(lines[:1+rows], "")
}

func importSample(t *testing.T, im *Importer) Summary {
	t.Helper()
	f, err := os.Open(samplePath("customers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err := im.Customers(context.Background(), Source{R: f})
	if err != nil {
		t.Fatalf("%v: %v", err, sum.Errors)
	}
	return sum
}

// TestShrinkingDatasetIsRefusedUnlessForced: 6 rows do not replace 30
// silently; the refusal names both counts and --force, the old data keeps
// serving, and Force replaces it.
func TestShrinkingDatasetIsRefusedUnlessForced(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := importSample(t, e.importer(t, 0))
	sum, err := e.importer(t, 0).Customers(ctx, Source{R: strings.NewReader(sampleHead(t, 6))})
	if !errors.Is(err, ErrShrink) || sum.Switched {
		t.Fatalf("6 rows over 30: %+v, %v", sum, err)
	}
	for _, want := range []string{"6 rows", "the 30 of serving version", "--force", "--max-shrink 0.5"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if cur, _ := e.repo.CurrentVersion(ctx, seg.DatasetCustomers); cur != first.Version {
		t.Fatalf("serving %d after the refusal, want %d", cur, first.Version)
	}
	// Within the configured share: 20 of 30 loses a third.
	im, err := New(Options{Repository: e.repo, Rules: e.rules, MaxShrink: 0.4})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := im.Customers(ctx, Source{R: strings.NewReader(sampleHead(t, 20))}); err != nil || !sum.Switched {
		t.Fatalf("20 rows over 30 with max shrink 0.4: %+v, %v", sum, err)
	}
	im, err = New(Options{Repository: e.repo, Rules: e.rules, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := im.Customers(ctx, Source{R: strings.NewReader(sampleHead(t, 6))}); err != nil || !sum.Switched || sum.Imported != 6 {
		t.Fatalf("forced: %+v, %v", sum, err)
	}
}

// TestKilledImportIsCollectedButALiveOneIsNot: a version whose writer was
// killed (its lease gone) is collected before the next import writes, while
// a version another import is writing right now (lease alive) stays.
func TestKilledImportIsCollectedButALiveOneIsNot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := seg.DatasetCustomers
	partial := func() int64 {
		v, err := e.repo.NewVersion(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		base := e.repo.Keys().Base(d, v)
		for b := range 50 {
			e.rdb.HSet(ctx, seg.BucketKey(base, seg.CustBucketPrefix, b), "X", "partial")
		}
		return v
	}
	killed := partial()
	if err := e.rdb.Del(ctx, e.repo.Keys().Lease(d, killed)).Err(); err != nil { // SIGKILL: no heartbeat
		t.Fatal(err)
	}
	live := partial()

	versions, keys, err := e.repo.CollectOrphans(ctx, d, false)
	if err != nil || versions != 1 || keys != 50 {
		t.Fatalf("CollectOrphans = %d versions, %d keys, %v; want the killed one only", versions, keys, err)
	}
	if n, _ := e.rdb.Exists(ctx, seg.BucketKey(e.repo.Keys().Base(d, live), seg.CustBucketPrefix, 0)).Result(); n != 1 {
		t.Fatal("the version being written was collected")
	}

	// An import collects a killed one before it writes.
	killed2 := partial()
	e.rdb.Del(ctx, e.repo.Keys().Lease(d, killed2))
	e.rdb.Del(ctx, e.repo.Keys().Lease(d, live)) // that writer died too
	im := e.importer(t, 0)
	im.o.KeepOld = true
	sum := importSample(t, im)
	if sum.CollectedVersions != 2 || sum.CollectedKeys != 100 {
		t.Fatalf("import collected %d versions, %d keys; want the 2 orphans", sum.CollectedVersions, sum.CollectedKeys)
	}
	if n, _ := e.rdb.Exists(ctx, e.repo.Keys().Lease(d, sum.Version)).Result(); n != 0 {
		t.Fatal("the finished import kept its lease")
	}
}

// switchOnRead switches another version of the dataset in the middle of an
// import's reading: two imports at once, the other one winning.
type switchOnRead struct {
	e     *env
	won   int64
	fired bool
}

func (s *switchOnRead) Read([]byte) (int, error) {
	if !s.fired {
		s.fired = true
		ctx := context.Background()
		v, err := s.e.repo.NewVersion(ctx, seg.DatasetCustomers)
		if err == nil {
			_, err = s.e.repo.Switch(ctx, seg.DatasetCustomers, v+1000) // far ahead of the loser
		}
		if err != nil {
			return 0, err
		}
		s.won = v + 1000
	}
	return 0, io.EOF
}

// TestConcurrentImportLoserNamesTheWinner: the import that loses the race
// reports the version actually serving, not the one it started from.
func TestConcurrentImportLoserNamesTheWinner(t *testing.T) {
	e := newEnv(t)
	first := importSample(t, e.importer(t, 0))
	other := &switchOnRead{e: e}
	im, err := New(Options{Repository: e.repo, Rules: e.rules, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := im.Customers(context.Background(), Source{R: io.MultiReader(strings.NewReader(sampleHead(t, 30)), other)})
	if !errors.Is(err, seg.ErrStaleVersion) || sum.Switched {
		t.Fatalf("loser: %+v, %v", sum, err)
	}
	if sum.Previous != first.Version || sum.Serving != other.won {
		t.Fatalf("loser's summary: previous %d serving %d; want %d and the winner %d", sum.Previous, sum.Serving, first.Version, other.won)
	}
	if want := fmt.Sprintf("version %d serving", other.won); !strings.Contains(sum.String(), want) {
		t.Fatalf("summary %q does not say %q", sum.String(), want)
	}
}

// TestTicketsAreCheckedAgainstCustomersAndTime: a ticket for a service no
// serving customer owns, or with its eta before its last update, is a bad
// row; a duplicate ticket is reported under service_id.
func TestTicketsAreCheckedAgainstCustomersAndTime(t *testing.T) {
	e := newEnv(t)
	importSample(t, e.importer(t, 0))
	tickets := "service_id,ticket_id,status,updated_at,eta\n" +
		"470301000101,IN1,open,2026-11-27T08:00:00+07:00,2026-11-27T12:00:00+07:00\n" +
		"999999999999,IN2,open,2026-11-27T08:00:00+07:00,\n" +
		"470301000201,IN3,open,2026-11-27T08:00:00+07:00,2026-11-27T07:59:00+07:00\n" +
		"470301000101,IN4,open,2026-11-27T09:00:00+07:00,\n"
	sum, err := e.importer(t, 5).Tickets(context.Background(), Source{R: strings.NewReader(tickets)})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line       int
		field, has string
	}{
		{3, "service_id", "unknown service"},
		{4, "eta", "before updated_at"},
		{5, "service_id", "duplicate: already on line 2"},
	}
	if sum.Imported != 1 || len(sum.Errors) != len(want) {
		t.Fatalf("tickets: %+v", sum)
	}
	for i, w := range want {
		if got := sum.Errors[i]; got.Line != w.line || got.Field != w.field || !strings.Contains(got.Reason, w.has) {
			t.Errorf("error %d = %q, want line %d field %s with %q", i, got.Error(), w.line, w.field, w.has)
		}
	}
}

// TestIncidentPromptMustBeInTheManifest: a path or an unknown prompt id
// would be played as a sound name; both are bad rows.
func TestIncidentPromptMustBeInTheManifest(t *testing.T) {
	e := newEnv(t)
	im, err := New(Options{Repository: e.repo, Rules: e.rules, MaxErrors: 5,
		Prompts: map[string]bool{"incident-indihome-jakarta-olt": true}})
	if err != nil {
		t.Fatal(err)
	}
	incidents := "product,region,prompt,started_at,expected_end\n" +
		"indihome,jakarta,incident-indihome-jakarta-olt,2026-11-27T08:00:00+07:00,\n" +
		"indihome,bandung,../../../../etc/passwd,2026-11-27T08:00:00+07:00,\n" +
		"indihome,medan,incident-not-recorded,2026-11-27T08:00:00+07:00,\n" +
		"indihome,jakarta,incident-indihome-jakarta-olt,2026-11-27T09:00:00+07:00,\n"
	sum, err := im.Incidents(context.Background(), Source{R: strings.NewReader(incidents)})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line       int
		field, has string
	}{
		{3, "prompt", "is not a prompt id"},
		{4, "prompt", "not in the prompt manifest"},
		{5, "region", "duplicate: already on line 2"},
	}
	if sum.Imported != 1 || len(sum.Errors) != len(want) {
		t.Fatalf("incidents: %+v", sum)
	}
	for i, w := range want {
		if got := sum.Errors[i]; got.Line != w.line || got.Field != w.field || !strings.Contains(got.Reason, w.has) {
			t.Errorf("error %d = %q, want line %d field %s with %q", i, got.Error(), w.line, w.field, w.has)
		}
	}
}

// TestOverlongJSONLineNamesTheLimit: a row longer than the reader takes
// says which line and what the limit is, not "token too long".
func TestOverlongJSONLineNamesTheLimit(t *testing.T) {
	e := newEnv(t)
	data := `{"service_id":"470301000101","ticket_id":"` + strings.Repeat("x", MaxJSONLine) + `"}` + "\n"
	_, err := e.importer(t, 5).Tickets(context.Background(), Source{R: strings.NewReader(data), Format: FormatJSONL})
	if err == nil || !strings.Contains(err.Error(), "line 1: longer than 4194304 bytes (4 MiB)") || strings.Contains(err.Error(), "token too long") {
		t.Fatalf("%v", err)
	}
}

// TestRegionCodesResolveToTheirRegion: CRM exports carry codes ("JAP",
// "Bdg"); with the default config's regions and region_aliases they are
// stored under the region's name, whose zone the greeting finds (a
// Jayapura customer is greeted in WIT, not in the line's WIB). Values in no
// region or alias are counted and a few listed.
func TestRegionCodesResolveToTheirRegion(t *testing.T) {
	e := newEnv(t)
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	im, err := New(Options{Repository: e.repo, Rules: e.rules, Regions: cfg.RegionNames()})
	if err != nil {
		t.Fatal(err)
	}
	csv := "customer_id,name,segment,tier,language,region,products,phones,service_ids,account_manager\n" +
		"R-1,PT Satu,DES,gold,id,JAP,data_internet,0967-555-001,900000000001,\n" +
		"R-2,PT Dua,DES,gold,id,Bdg,data_internet,022-555-0002,900000000002,\n" +
		"R-3,PT Tiga,DES,gold,id,Jakarta,data_internet,021-555-0003,900000000003,\n" +
		"R-4,PT Empat,DES,gold,id,Atlantis,data_internet,021-555-0004,900000000004,\n" +
		"R-5,PT Lima,DES,gold,id,Mordor,data_internet,021-555-0005,900000000005,\n" +
		"R-6,PT Enam,DES,gold,id,atlantis,data_internet,021-555-0006,900000000006,\n"
	sum, err := im.Customers(context.Background(), Source{R: strings.NewReader(csv)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 6 || sum.UnmappedRegions != 3 || !slices.Equal(sum.UnmappedRegionValues, []string{`"atlantis"`, `"mordor"`}) {
		t.Fatalf("summary %+v", sum)
	}
	if !strings.Contains(sum.String(), `3 rows with a region not in regions or region_aliases ("atlantis", "mordor")`) {
		t.Fatalf("summary line %q", sum.String())
	}
	for _, c := range []struct{ sid, region, zone string }{
		{"900000000001", "jayapura", "WIT"},
		{"900000000002", "bandung", "WIB"},
		{"900000000003", "jakarta", "WIB"},
	} {
		r, err := e.res.BySID(context.Background(), c.sid)
		if err != nil || r.Customer == nil || r.Customer.Region != c.region || cfg.Regions[r.Customer.Region] != c.zone {
			t.Fatalf("%s: %+v, %v; want region %s in %s", c.sid, r.Customer, err, c.region, c.zone)
		}
	}
}
