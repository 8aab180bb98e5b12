// Package importer loads CRM exports (customers, tickets, incidents) into
// Redis as a new dataset version and switches to it atomically; see the
// segmentation package documentation for the key layout.
package importer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// Errors an import ends with; the previous dataset keeps serving after each.
var (
	ErrTooManyErrors = errors.New("too many bad rows")
	ErrEmpty         = errors.New("no valid row: refusing to replace the serving dataset with an empty one")
	ErrShrink        = errors.New("the new dataset is much smaller than the serving one")
)

// DefaultMaxShrink is the share of the serving customers a new dataset may
// lose without --force.
const DefaultMaxShrink = 0.5

// Options configures an Importer.
type Options struct {
	Repository *seg.Repository
	Rules      *seg.Rules
	// MaxErrors is how many bad rows are skipped before the import aborts;
	// negative means never abort for bad rows.
	MaxErrors int
	// BatchSize is the rows per pipelined write (default 1000).
	BatchSize int
	// Workers validate and write batches concurrently (default 4).
	Workers int
	// BufferEntries bounds the customer entries (record, number or service
	// ID) held in memory to be written bucket by bucket (default 4,194,304,
	// about 1,300,000 generated customers, some 400 MB of Go memory): the
	// more a bucket gathers before its HSET, the less each entry costs
	// Redis (1.8 µs of Redis CPU per customer when a 1,000,000-customer
	// import is written in one round, 2.5 µs in two).
	BufferEntries int
	// BucketEntries, when positive, writes a bucket as soon as it holds
	// that many entries, so that Redis works while rows are still read;
	// 0 (the default) writes only in rounds of BufferEntries. On two busy
	// cores it did not pay: 16 cost Redis ~15% more CPU per customer
	// (smaller HSETs) for no measurable gain in wall time.
	BucketEntries int
	// KeepErrors bounds the row errors kept in the Summary (default 100);
	// all are counted.
	KeepErrors int
	// AllowEmpty lets an import with no valid row replace the dataset.
	AllowEmpty bool
	// KeepOld skips deleting the replaced versions after the switch.
	KeepOld bool
	// MaxShrink is the share (0 to 1) of the serving customers dataset's
	// rows a new one may lose; a bigger loss is refused unless Force.
	// 0 means DefaultMaxShrink; 1 never refuses. Tickets and incidents
	// shrink legitimately (tickets close, outages end) and are not checked.
	MaxShrink float64
	// Force replaces the dataset however much it shrinks.
	Force bool
	// Prompts is the set of known prompt ids (the prompt manifest); an
	// incident naming another prompt is a bad row. Nil checks only that the
	// prompt is shaped like an id.
	Prompts map[string]bool
	// Regions maps every lower-case region name and alias to the region's
	// name (configs.Config.RegionNames): customer and incident regions are
	// stored under that name, so that a code such as "JAP" finds its time
	// zone. Values it lacks are kept as given and reported in the Summary.
	// Nil leaves regions as given (lower-cased) and reports nothing.
	Regions map[string]string
	// LeaseTTL is the lease of the version being written (default
	// segmentation.DefaultLeaseTTL), renewed every third of it.
	LeaseTTL time.Duration
	// Progress, when set, is called every ProgressInterval (default 200 ms)
	// and once at the end.
	Progress         func(Progress)
	ProgressInterval time.Duration
	Logger           zerolog.Logger
}

// Progress is a snapshot of a running import.
type Progress struct {
	Dataset    seg.Dataset
	Rows       int64 // rows read
	Bad        int64
	Bytes      int64 // input bytes read
	TotalBytes int64 // input size when known, else 0
	TotalRows  int64 // rows expected when known (generation), else 0
	Elapsed    time.Duration
	Done       bool
}

// Fraction is the share done, from rows or bytes; -1 when unknown.
func (p Progress) Fraction() float64 {
	switch {
	case p.TotalRows > 0:
		return float64(p.Rows) / float64(p.TotalRows)
	case p.TotalBytes > 0:
		return float64(p.Bytes) / float64(p.TotalBytes)
	}
	return -1
}

// Rate is rows per second so far.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Rows) / p.Elapsed.Seconds()
}

// Summary reports a finished (or aborted) import.
type Summary struct {
	Dataset  seg.Dataset `json:"dataset"`
	Version  int64       `json:"version"`
	Previous int64       `json:"previous_version"`
	// Serving is the version serving when the import ended: this one when
	// switched, else whichever another import switched to meanwhile.
	Serving  int64      `json:"serving_version"`
	Switched bool       `json:"switched"`
	Rows     int64      `json:"rows"`
	Imported int64      `json:"imported"`
	Bad      int64      `json:"bad"`
	Errors   []RowError `json:"errors,omitempty"` // the first KeepErrors, by line
	// Keys counts the entries written: hash fields of the customer buckets
	// (a record, a number or a service ID each), ticket or incident hashes.
	Keys int64 `json:"keys_written"`
	// Buckets is the bucket count of a customers version (see segmentation).
	Buckets int           `json:"buckets,omitempty"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// UnmappedRegions counts the rows whose region is in no region or alias
	// of the config (their callers are greeted in the line's time zone);
	// UnmappedRegionValues lists a few of those values, quoted as errors are.
	UnmappedRegions      int64    `json:"unmapped_regions,omitempty"`
	UnmappedRegionValues []string `json:"unmapped_region_values,omitempty"`
	// Collected is how many old versions (and keys) were deleted.
	CollectedVersions int   `json:"collected_versions"`
	CollectedKeys     int64 `json:"collected_keys"`
}

// Rate is imported rows per second.
func (s Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Imported) / s.Elapsed.Seconds()
}

// String is the one-line summary.
func (s Summary) String() string {
	state := fmt.Sprintf("switched %s to version %d (was %d)", s.Dataset, s.Version, s.Previous)
	if !s.Switched {
		state = fmt.Sprintf("ABORTED, %s version %d serving", s.Dataset, s.Serving)
	}
	regions := ""
	if s.UnmappedRegions > 0 {
		regions = fmt.Sprintf("; %d rows with a region not in regions or region_aliases (%s)", s.UnmappedRegions, strings.Join(s.UnmappedRegionValues, ", "))
	}
	return fmt.Sprintf("%s: %d rows, %d imported, %d bad, %d entries in %s (%.0f rows/s); %s%s",
		s.Dataset, s.Rows, s.Imported, s.Bad, s.Keys, s.Elapsed.Round(time.Millisecond), s.Rate(), state, regions)
}

// Importer writes datasets.
type Importer struct {
	o   Options
	num *seg.Numbering
}

// New checks the options.
func New(o Options) (*Importer, error) {
	if o.Repository == nil || o.Rules == nil {
		return nil, errors.New("importer: Repository and Rules are required")
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.BufferEntries <= 0 {
		o.BufferEntries = 1 << 22
	}
	if o.KeepErrors <= 0 {
		o.KeepErrors = 100
	}
	if o.MaxShrink == 0 {
		o.MaxShrink = DefaultMaxShrink
	}
	if o.MaxShrink < 0 || o.MaxShrink > 1 {
		return nil, fmt.Errorf("importer: max shrink %v is not a share between 0 and 1", o.MaxShrink)
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = seg.DefaultLeaseTTL
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 200 * time.Millisecond
	}
	return &Importer{o: o, num: o.Rules.Numbering()}, nil
}

// Source is an input file.
type Source struct {
	R      io.Reader
	Format Format
	Size   int64 // for progress; 0 if unknown
}

// Customers imports a customers export.
func (im *Importer) Customers(ctx context.Context, src Source) (Summary, error) {
	return im.importFile(ctx, customerSpec, src)
}

// Tickets imports a tickets export.
func (im *Importer) Tickets(ctx context.Context, src Source) (Summary, error) {
	return im.importFile(ctx, ticketSpec, src)
}

// Incidents imports an incidents list.
func (im *Importer) Incidents(ctx context.Context, src Source) (Summary, error) {
	return im.importFile(ctx, incidentSpec, src)
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (im *Importer) importFile(ctx context.Context, sp spec, src Source) (Summary, error) {
	cr := &countingReader{r: src.R}
	rr, err := newRowReader(cr, src.Format, sp.columns, sp.required)
	if err != nil {
		return Summary{Dataset: sp.dataset}, fmt.Errorf("%s: %w", sp.dataset, err)
	}
	return im.run(ctx, sp, rr, &cr.n, src.Size, 0)
}

// run is the pipeline: one reader cuts rows into batches; Workers validate
// them in parallel; one committer takes the batches back in input order,
// rejects duplicate keys (the first occurrence wins), counts errors and
// hands batches to the writers; Workers write pipelined batches into the
// new version. Then the switch, then the collection of old versions.
func (im *Importer) run(ctx context.Context, sp spec, rr rowReader, bytesRead *atomic.Int64, totalBytes, totalRows int64) (sum Summary, err error) {
	start := time.Now()
	sum.Dataset = sp.dataset
	repo := im.o.Repository
	log := im.o.Logger.With().Str("dataset", string(sp.dataset)).Logger()

	// What killed imports left behind goes first: under maxmemory it would
	// make this import fail too.
	sum.CollectedVersions, sum.CollectedKeys, err = repo.CollectOrphans(ctx, sp.dataset, !im.o.KeepOld)
	if err != nil {
		return sum, fmt.Errorf("%s: collect orphaned versions: %w", sp.dataset, err)
	}
	if sum.CollectedVersions > 0 {
		log.Info().Int("versions", sum.CollectedVersions).Int64("keys", sum.CollectedKeys).Msg("orphaned dataset versions collected")
	}
	prev, err := repo.CurrentVersion(ctx, sp.dataset)
	if err != nil {
		return sum, fmt.Errorf("%s: read serving version: %w", sp.dataset, err)
	}
	sum.Previous, sum.Serving = prev, prev
	version, err := repo.NewVersion(ctx, sp.dataset, im.o.LeaseTTL)
	if err != nil {
		return sum, err
	}
	sum.Version = version
	stopLease := im.keepLease(context.WithoutCancel(ctx), sp.dataset, version, log)
	defer stopLease()
	base := repo.Keys().Base(sp.dataset, version)
	buckets := 0
	if sp.dataset == seg.DatasetCustomers {
		n := totalRows
		if n == 0 && totalBytes > 0 {
			n = totalBytes / 64 // rows are longer: more and smaller buckets, never fewer
		}
		if n == 0 {
			n = 1 << 20
		}
		buckets = seg.BucketsFor(n)
		sum.Buckets = buckets
		if err := repo.Client().HSet(ctx, base+seg.MetaSuffix, seg.MetaBuckets, buckets, "format", 2).Err(); err != nil {
			im.abort(context.WithoutCancel(ctx), sp.dataset, version, log)
			return sum, fmt.Errorf("%s: write version %d: %w", sp.dataset, version, err)
		}
	}
	var services serviceCheck
	if sp.dataset == seg.DatasetTickets {
		if services, err = im.serviceCheck(ctx); err != nil {
			im.abort(context.WithoutCancel(ctx), sp.dataset, version, log)
			return sum, fmt.Errorf("%s: %w", sp.dataset, err)
		}
		if services.version == 0 {
			log.Warn().Msg("no bucketed customers dataset serving: tickets' service IDs not checked")
		}
	}
	log.Info().Int64("version", version).Int64("serving", prev).Msg("import started")

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var rows, bad, imported, keys atomic.Int64
	unmapped := &unmappedRegions{}
	var errMu sync.Mutex
	var rowErrs []RowError
	// Only the committer adds errors, in input order: keeping the first
	// KeepErrors keeps the lowest line numbers.
	addErr := func(e RowError) {
		bad.Add(1)
		errMu.Lock()
		if len(rowErrs) < im.o.KeepErrors {
			rowErrs = append(rowErrs, e)
		}
		errMu.Unlock()
	}

	// Progress reporter.
	progress := func(done bool) {
		if im.o.Progress == nil {
			return
		}
		p := Progress{Dataset: sp.dataset, Rows: rows.Load(), Bad: bad.Load(), TotalBytes: totalBytes,
			TotalRows: totalRows, Elapsed: time.Since(start), Done: done}
		if bytesRead != nil {
			p.Bytes = bytesRead.Load()
		}
		im.o.Progress(p)
	}
	progStop := make(chan struct{})
	progDone := make(chan struct{})
	go func() {
		defer close(progDone)
		t := time.NewTicker(im.o.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-progStop:
				return
			case <-t.C:
				progress(false)
			}
		}
	}()

	type validated struct {
		items []item
		errs  []RowError
	}
	type job struct {
		rows []rawRow
		fut  chan validated
	}
	jobs := make(chan job, im.o.Workers)
	futures := make(chan chan validated, 2*im.o.Workers)
	writes := make(chan writeJob, im.o.Workers)
	seed := maphash.MakeSeed()

	var wg sync.WaitGroup
	fail := func(err error) { cancel(err) }

	// Reader.
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		defer close(futures)
		batch := make([]rawRow, 0, im.o.BatchSize)
		flush := func() bool {
			if len(batch) == 0 {
				return true
			}
			fut := make(chan validated, 1)
			select {
			case jobs <- job{rows: batch, fut: fut}:
			case <-ctx.Done():
				return false
			}
			select {
			case futures <- fut:
			case <-ctx.Done():
				return false
			}
			batch = make([]rawRow, 0, im.o.BatchSize)
			return true
		}
		for {
			r, err := rr.next()
			if errors.Is(err, io.EOF) {
				flush()
				return
			}
			if err != nil {
				fail(fmt.Errorf("%s: read: %w", sp.dataset, err))
				return
			}
			rows.Add(1)
			batch = append(batch, r)
			if len(batch) == cap(batch) && !flush() {
				return
			}
		}
	}()

	// Validators.
	for range im.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			val := &validator{rules: im.o.Rules, num: im.num, seed: seed, buckets: buckets, prompts: im.o.Prompts,
				regions: im.o.Regions, unmapped: unmapped}
			for j := range jobs {
				var v validated
				v.items = make([]item, 0, len(j.rows))
				for _, r := range j.rows {
					if r.err != "" {
						v.errs = append(v.errs, RowError{Line: r.line, Reason: r.err})
						continue
					}
					it, rerr := sp.validate(val, r)
					if rerr != nil {
						v.errs = append(v.errs, *rerr)
						continue
					}
					v.items = append(v.items, it)
				}
				if services.version > 0 && len(v.items) > 0 {
					var err error
					if v.items, err = services.filter(ctx, repo, v.items, &v.errs); err != nil {
						fail(fmt.Errorf("%s: check services against customers version %d: %w", sp.dataset, services.version, err))
					}
				}
				j.fut <- v
			}
		}()
	}

	// Committer: input order, duplicates, error budget. Customers are
	// gathered per bucket (up to BufferEntries) so that one HSET carries
	// many entries of a bucket; tickets and incidents go out per batch.
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(writes)
		hint := totalRows * 13 / 4 // 3.25 keys per generated customer; a file: ~40 bytes per key
		if hint == 0 {
			hint = totalBytes / 40
		}
		owner := newClaims(min(hint, 1<<26)) // key hash → line of its first row
		// kind → bucket → entries, each field and value a uvarint length
		// and the bytes: contiguous, so that the writers read them at
		// memory speed rather than chasing a string per field.
		var bufs [len(kindPrefix)][]bucketBuf
		if buckets > 0 {
			for k := kindID; k <= kindSID; k++ {
				bufs[k] = make([]bucketBuf, buckets)
			}
		}
		buffered := 0
		full := im.o.BucketEntries
		if full <= 0 {
			full = math.MaxInt
		}
		send := func(w writeJob) bool {
			select {
			case writes <- w:
				return true
			case <-ctx.Done():
				return false
			}
		}
		// Buckets go out in pipelines of about chunk entries: a bucket on
		// its own when it has BucketEntries, every bucket when BufferEntries
		// are held, and at the end.
		const chunk = 8192
		var pending writeJob
		pendingN := 0
		emit := func(k keyKind, b int) bool {
			bb := bufs[k][b]
			pending.buckets = append(pending.buckets, bucketWrite{kind: k, bucket: int32(b), buf: bb})
			bufs[k][b] = bucketBuf{}
			buffered -= int(bb.n)
			if pendingN += int(bb.n); pendingN < chunk {
				return true
			}
			w := pending
			pending, pendingN = writeJob{}, 0
			return send(w)
		}
		flush := func() bool {
			for k := kindID; k <= kindSID; k++ {
				for b := range bufs[k] {
					if bufs[k][b].n > 0 && !emit(k, b) {
						return false
					}
				}
			}
			w := pending
			pending, pendingN = writeJob{}, 0
			return len(w.buckets) == 0 || send(w)
		}
		for fut := range futures {
			var v validated
			select {
			case v = <-fut:
			case <-ctx.Done():
				return
			}
			for _, e := range v.errs {
				addErr(e)
			}
			if buckets > 0 {
				touch(owner, &bufs, v.items)
			}
			kept := v.items[:0]
			for _, it := range v.items {
				dup := false
				for i := range it.keys {
					k := &it.keys[i]
					if l, ok := owner.claim(k.h, int32(it.line)); !ok {
						if int(l) == it.line {
							k.s = "" // the same number twice in one row: written once
							continue
						}
						for j := range i { // release what this row claimed
							if it.keys[j].s != "" {
								owner.release(it.keys[j].h)
							}
						}
						field := k.kind.field()
						if k.kind == kindHash {
							field = sp.keyField
						}
						addErr(RowError{Line: it.line, Field: field, Reason: fmt.Sprintf("duplicate: already on line %d", l)})
						dup = true
						break
					}
				}
				if dup {
					continue
				}
				if buckets == 0 {
					kept = append(kept, it)
					continue
				}
				for _, k := range it.keys {
					if k.s == "" {
						continue
					}
					bb := &bufs[k.kind][k.bucket]
					if k.kind == kindID {
						bb.add(it.id, it.rec)
					} else {
						bb.add(k.s, it.id)
					}
					buffered++
					if int(bb.n) >= full && !emit(k.kind, int(k.bucket)) {
						return
					}
				}
				imported.Add(1)
			}
			if limit := im.o.MaxErrors; limit >= 0 && bad.Load() > int64(limit) {
				fail(fmt.Errorf("%s: %w: %d bad rows, --max-errors is %d", sp.dataset, ErrTooManyErrors, bad.Load(), limit))
				return
			}
			if buffered >= im.o.BufferEntries && !flush() {
				return
			}
			if len(kept) > 0 && !send(writeJob{items: kept}) {
				return
			}
		}
		if buffered > 0 && ctx.Err() == nil {
			flush()
		}
	}()

	// Writers.
	for range im.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc scratch
			for w := range writes {
				n, err := im.write(ctx, base, w, &sc)
				if err != nil {
					fail(fmt.Errorf("%s: write version %d: %w", sp.dataset, version, err))
					return
				}
				keys.Add(n)
				imported.Add(int64(len(w.items)))
			}
		}()
	}

	wg.Wait()
	close(progStop)
	<-progDone

	sort.SliceStable(rowErrs, func(i, j int) bool { return rowErrs[i].Line < rowErrs[j].Line })
	sum.Rows, sum.Bad, sum.Imported, sum.Keys = rows.Load(), bad.Load(), imported.Load(), keys.Load()
	sum.Errors = rowErrs
	sum.UnmappedRegions, sum.UnmappedRegionValues = unmapped.report()

	err = context.Cause(ctx)
	if err == nil && sum.Imported == 0 && !im.o.AllowEmpty {
		err = fmt.Errorf("%s: %w", sp.dataset, ErrEmpty)
	}
	if err == nil {
		err = im.checkShrink(context.WithoutCancel(ctx), sp.dataset, prev, sum.Imported)
	}
	if err == nil {
		err = repo.Client().HSet(context.WithoutCancel(ctx), base+seg.MetaSuffix, seg.MetaRows, sum.Imported).Err()
	}
	if err == nil {
		_, err = repo.Switch(context.WithoutCancel(ctx), sp.dataset, version)
	}
	sum.Elapsed = time.Since(start)
	progress(true)
	if err != nil {
		im.abort(context.WithoutCancel(ctx), sp.dataset, version, log)
		// Another import may have switched meanwhile: name what serves now.
		if cur, cerr := repo.CurrentVersion(context.WithoutCancel(ctx), sp.dataset); cerr == nil {
			sum.Serving = cur
		}
		log.Warn().Err(err).Int64("version", version).Int64("serving", sum.Serving).Msg("import aborted, dataset not switched")
		return sum, err
	}
	sum.Switched, sum.Serving = true, version
	log.Info().Int64("version", version).Int64("previous", prev).Int64("rows", sum.Imported).Int64("bad", sum.Bad).Msg("dataset switched")
	if !im.o.KeepOld {
		n, k, err := repo.CollectOld(context.WithoutCancel(ctx), sp.dataset)
		sum.CollectedVersions += n
		sum.CollectedKeys += k
		if err != nil { // the new data serves; old keys wait for the next import
			log.Warn().Err(err).Msg("old dataset versions not fully deleted")
		}
	}
	return sum, nil
}

// keepLease renews the lease of the version being written until the
// returned stop is called, which also releases it.
func (im *Importer) keepLease(ctx context.Context, d seg.Dataset, v int64, log zerolog.Logger) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(im.o.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := im.o.Repository.Heartbeat(ctx, d, v, im.o.LeaseTTL); err != nil {
					log.Warn().Err(err).Int64("version", v).Msg("lease not renewed: a collector may take this version for an orphan")
				}
			}
		}
	}()
	return func() {
		close(done)
		<-exited
		if err := im.o.Repository.ReleaseLease(ctx, d, v); err != nil {
			log.Debug().Err(err).Int64("version", v).Msg("lease not released; it expires")
		}
	}
}

// checkShrink refuses a customers dataset that loses more than MaxShrink
// of the serving one's rows, unless Force. A serving version written before
// row counts were recorded is not checked.
func (im *Importer) checkShrink(ctx context.Context, d seg.Dataset, serving, rows int64) error {
	if d != seg.DatasetCustomers || serving == 0 || im.o.Force {
		return nil
	}
	repo := im.o.Repository
	had, err := repo.Client().HGet(ctx, repo.Keys().Base(d, serving)+seg.MetaSuffix, seg.MetaRows).Int64()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: read the row count of serving version %d: %w", d, serving, err)
	}
	if float64(rows) >= float64(had)*(1-im.o.MaxShrink) {
		return nil
	}
	return fmt.Errorf("%s: %w: %d rows would replace the %d of serving version %d, a loss of more than %.0f%% (--max-shrink %g); rerun with --force to replace it anyway",
		d, ErrShrink, rows, had, serving, 100*im.o.MaxShrink, im.o.MaxShrink)
}

// unmappedRegions gathers the region values the region table lacks.
type unmappedRegions struct {
	mu     sync.Mutex
	n      int64
	values []string
}

// maxUnmappedValues is how many distinct unmapped region values a Summary lists.
const maxUnmappedValues = 5

func (u *unmappedRegions) add(region string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n++
	if len(u.values) < maxUnmappedValues {
		if e := echo(region); !slices.Contains(u.values, e) {
			u.values = append(u.values, e)
		}
	}
}

func (u *unmappedRegions) report() (int64, []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n, slices.Clone(u.values)
}

// serviceCheck tests tickets' service IDs against the serving customers
// dataset: a ticket for a service no customer owns could never be read out
// to a caller. version 0: nothing to check against (no customers imported,
// or a version written before buckets), the check is skipped.
type serviceCheck struct {
	version int64
	buckets int
}

func (im *Importer) serviceCheck(ctx context.Context) (serviceCheck, error) {
	repo := im.o.Repository
	v, err := repo.CurrentVersion(ctx, seg.DatasetCustomers)
	if err != nil || v == 0 {
		return serviceCheck{}, err
	}
	n, err := repo.CustomerBuckets(ctx, v)
	if err != nil || n == 0 {
		return serviceCheck{}, err
	}
	return serviceCheck{version: v, buckets: n}, nil
}

// filter drops the tickets whose service ID is in no customer of the
// serving version, with a row error each; one pipeline per batch.
func (sc serviceCheck) filter(ctx context.Context, repo *seg.Repository, items []item, errs *[]RowError) ([]item, error) {
	base := repo.Keys().Base(seg.DatasetCustomers, sc.version)
	pipe := repo.Client().Pipeline()
	cmds := make([]*redis.BoolCmd, len(items))
	for i, it := range items {
		sid := strings.TrimPrefix(it.hash, seg.TicketPrefix)
		cmds[i] = pipe.HExists(ctx, seg.BucketKey(base, seg.SIDBucketPrefix, seg.Bucket(sid, sc.buckets)), sid)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return items, err
	}
	kept := items[:0]
	for i, it := range items {
		if cmds[i].Val() {
			kept = append(kept, it)
			continue
		}
		*errs = append(*errs, RowError{Line: it.line, Field: "service_id",
			Reason: fmt.Sprintf("unknown service: no customer of the serving customers version %d has it", sc.version)})
	}
	return kept, nil
}

// abort deletes the partial version; on failure the next successful import
// collects it.
func (im *Importer) abort(ctx context.Context, d seg.Dataset, v int64, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if n, err := im.o.Repository.DropVersion(ctx, d, v); err != nil {
		log.Warn().Err(err).Int64("version", v).Msg("partial version not deleted; the next import collects it")
	} else {
		log.Debug().Int64("version", v).Int64("keys", n).Msg("partial version deleted")
	}
}

// writeJob is one pipeline: ticket or incident rows, or customer buckets.
type writeJob struct {
	items   []item
	buckets []bucketWrite
}

// bucketWrite is the entries gathered for one bucket.
type bucketWrite struct {
	kind   keyKind
	bucket int32
	buf    bucketBuf
}

// bucketBuf holds n entries (field, value) of one bucket, each string a
// uvarint length and its bytes.
type bucketBuf struct {
	b []byte
	n int32
}

func (bb *bucketBuf) add(field, value string) {
	if bb.b == nil {
		// About what a bucket gathers between flushes: fewer regrowths.
		bb.b = make([]byte, 0, 16*(len(field)+len(value)+2))
	}
	bb.b = binary.AppendUvarint(bb.b, uint64(len(field)))
	bb.b = append(bb.b, field...)
	bb.b = binary.AppendUvarint(bb.b, uint64(len(value)))
	bb.b = append(bb.b, value...)
	bb.n++
}

// span is one argument of a bucket's HSET: a slice of its buffer. go-redis
// writes a BinaryMarshaler's bytes, and a *span in an interface costs no
// allocation (a string or a []byte would cost one per argument).
type span []byte

func (s *span) MarshalBinary() ([]byte, error) { return *s, nil }

// scratch is a writer's reusable argument slabs.
type scratch struct {
	args  []any
	spans []span
}

// write sends one job in one pipeline: an HSET per row or per bucket.
func (im *Importer) write(ctx context.Context, base string, w writeJob, sc *scratch) (int64, error) {
	pipe := im.o.Repository.Client().Pipeline()
	var n int64
	for _, it := range w.items {
		pipe.HSet(ctx, base+it.hash, it.fields...)
		n++
	}
	// One slab of arguments for the whole pipeline: the commands keep
	// slices of it until Exec returns.
	size := 0
	for _, bw := range w.buckets {
		size += int(bw.buf.n)
	}
	if cap(sc.args) < 2*len(w.buckets)+2*size {
		sc.args = make([]any, 0, 2*len(w.buckets)+2*size)
	}
	if cap(sc.spans) < 2*size {
		sc.spans = make([]span, 0, 2*size)
	}
	args, spans := sc.args[:0], sc.spans[:0]
	for _, bw := range w.buckets {
		start := len(args)
		args = append(args, "hset", seg.BucketKey(base, kindPrefix[bw.kind], int(bw.bucket)))
		for b := bw.buf.b; len(b) > 0; {
			l, k := binary.Uvarint(b)
			spans = append(spans, span(b[k:k+int(l)]))
			args = append(args, &spans[len(spans)-1])
			b = b[k+int(l):]
		}
		pipe.Do(ctx, args[start:len(args):len(args)]...)
		n += int64(bw.buf.n)
	}
	_, err := pipe.Exec(ctx)
	clear(args)
	clear(spans)
	return n, err
}

// touchSink keeps touch's loads from being optimised away.
var touchSink atomic.Uint64

// touch reads, for every key of a batch, the claims slot and the bucket
// buffer it is about to update: independent loads the CPU overlaps, so
// that the committer's claims and appends that follow, one at a time and
// each a cache miss in tables of tens of megabytes, find them in cache.
func touch(c *claims, bufs *[len(kindPrefix)][]bucketBuf, items []item) {
	var x uint64
	mask := uint64(len(c.h) - 1)
	for i := range items {
		for _, k := range items[i].keys {
			x += c.h[(k.h^k.h>>29)&mask]
			if k.kind != kindHash {
				x += uint64(cap(bufs[k.kind][k.bucket].b))
			}
		}
	}
	touchSink.Add(x)
}

// claims maps a key hash to the line of the row that first had it: an
// open-addressing table (linear probing), one probe of two flat arrays in
// the common case, where a map[uint64]int32 of millions of keys cost more.
// A released key keeps its slot with line -1.
type claims struct {
	h    []uint64
	line []int32
	n    int
}

func newClaims(hint int64) *claims {
	size := 1 << 10
	for int64(size) < 2*hint {
		size <<= 1
	}
	return &claims{h: make([]uint64, size), line: make([]int32, size)}
}

func (c *claims) slot(h uint64) int {
	mask := uint64(len(c.h) - 1)
	i := (h ^ h>>29) & mask
	for c.h[i] != 0 && c.h[i] != h {
		i = (i + 1) & mask
	}
	return int(i)
}

// claim records line for h; when h is already held it returns the holder.
func (c *claims) claim(h uint64, line int32) (int32, bool) {
	if h == 0 {
		h = 1
	}
	if 2*(c.n+1) > len(c.h) {
		c.grow()
	}
	i := c.slot(h)
	switch {
	case c.h[i] == 0:
		c.h[i], c.line[i] = h, line
		c.n++
		return 0, true
	case c.line[i] < 0:
		c.line[i] = line
		return 0, true
	}
	return c.line[i], false
}

func (c *claims) release(h uint64) {
	if h == 0 {
		h = 1
	}
	if i := c.slot(h); c.h[i] == h {
		c.line[i] = -1
	}
}

func (c *claims) grow() {
	old, oldLine := c.h, c.line
	c.h, c.line = make([]uint64, 2*len(old)), make([]int32, 2*len(old))
	for i, h := range old {
		if h != 0 {
			j := c.slot(h)
			c.h[j], c.line[j] = h, oldLine[i]
		}
	}
}
