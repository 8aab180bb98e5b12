// Package importer loads CRM exports (customers, tickets, incidents) into
// Redis as a new dataset version and switches to it atomically; see the
// segmentation package documentation for the key layout.
package importer

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// Errors an import ends with; the previous dataset keeps serving after each.
var (
	ErrTooManyErrors = errors.New("too many bad rows")
	ErrEmpty         = errors.New("no valid row: refusing to replace the serving dataset with an empty one")
)

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
	// KeepErrors bounds the row errors kept in the Summary (default 100);
	// all are counted.
	KeepErrors int
	// AllowEmpty lets an import with no valid row replace the dataset.
	AllowEmpty bool
	// KeepOld skips deleting the replaced versions after the switch.
	KeepOld bool
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
	Dataset  seg.Dataset   `json:"dataset"`
	Version  int64         `json:"version"`
	Previous int64         `json:"previous_version"`
	Switched bool          `json:"switched"`
	Rows     int64         `json:"rows"`
	Imported int64         `json:"imported"`
	Bad      int64         `json:"bad"`
	Errors   []RowError    `json:"errors,omitempty"` // the first KeepErrors, by line
	Keys     int64         `json:"keys_written"`
	Elapsed  time.Duration `json:"elapsed_ns"`
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
		state = fmt.Sprintf("ABORTED, %s version %d still serving", s.Dataset, s.Previous)
	}
	return fmt.Sprintf("%s: %d rows, %d imported, %d bad, %d keys in %s (%.0f rows/s); %s",
		s.Dataset, s.Rows, s.Imported, s.Bad, s.Keys, s.Elapsed.Round(time.Millisecond), s.Rate(), state)
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
	if o.KeepErrors <= 0 {
		o.KeepErrors = 100
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

	prev, err := repo.CurrentVersion(ctx, sp.dataset)
	if err != nil {
		return sum, fmt.Errorf("%s: read serving version: %w", sp.dataset, err)
	}
	sum.Previous = prev
	version, err := repo.NewVersion(ctx, sp.dataset)
	if err != nil {
		return sum, err
	}
	sum.Version = version
	base := repo.Keys().Base(sp.dataset, version)
	log.Info().Int64("version", version).Int64("serving", prev).Msg("import started")

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var rows, bad, imported, keys atomic.Int64
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
	writes := make(chan []item, im.o.Workers)

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
			for j := range jobs {
				var v validated
				v.items = make([]item, 0, len(j.rows))
				for _, r := range j.rows {
					if r.err != "" {
						v.errs = append(v.errs, RowError{Line: r.line, Reason: r.err})
						continue
					}
					it, rerr := sp.validate(im.o.Rules, im.num, r)
					if rerr != nil {
						v.errs = append(v.errs, *rerr)
						continue
					}
					v.items = append(v.items, it)
				}
				j.fut <- v
			}
		}()
	}

	// Committer: input order, duplicates, error budget.
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(writes)
		seed := maphash.MakeSeed()
		hint := totalRows * 3 // about 3 keys per customer; a file: ~40 bytes per key
		if hint == 0 {
			hint = totalBytes / 40
		}
		owner := make(map[uint64]int32, min(hint, 1<<26)) // key hash → line of its first row
		claim := func(line int, suffix string) (int32, bool) {
			h := maphash.String(seed, suffix)
			if l, dup := owner[h]; dup {
				return l, false
			}
			owner[h] = int32(line)
			return 0, true
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
			kept := v.items[:0]
			for _, it := range v.items {
				// The row's keys: its hash, then every other entry of strs.
				nkeys := 1 + len(it.strs)/2
				key := func(i int) string {
					if i == 0 {
						return it.hash
					}
					return it.strs[2*(i-1)]
				}
				dup := false
				for i := range nkeys {
					if l, ok := claim(it.line, key(i)); !ok {
						if int(l) == it.line {
							continue // the same number twice in one row
						}
						for j := range i { // release what this row claimed
							delete(owner, maphash.String(seed, key(j)))
						}
						addErr(RowError{Line: it.line, Field: fieldOfKey(key(i)), Reason: fmt.Sprintf("duplicate: already on line %d", l)})
						dup = true
						break
					}
				}
				if !dup {
					kept = append(kept, it)
				}
			}
			if limit := im.o.MaxErrors; limit >= 0 && bad.Load() > int64(limit) {
				fail(fmt.Errorf("%s: %w: %d bad rows, --max-errors is %d", sp.dataset, ErrTooManyErrors, bad.Load(), limit))
				return
			}
			if len(kept) == 0 {
				continue
			}
			select {
			case writes <- kept:
			case <-ctx.Done():
				return
			}
		}
	}()

	// Writers.
	for range im.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for items := range writes {
				n, err := im.write(ctx, base, items)
				if err != nil {
					fail(fmt.Errorf("%s: write version %d: %w", sp.dataset, version, err))
					return
				}
				keys.Add(n)
				imported.Add(int64(len(items)))
			}
		}()
	}

	wg.Wait()
	close(progStop)
	<-progDone

	sort.SliceStable(rowErrs, func(i, j int) bool { return rowErrs[i].Line < rowErrs[j].Line })
	sum.Rows, sum.Bad, sum.Imported, sum.Keys = rows.Load(), bad.Load(), imported.Load(), keys.Load()
	sum.Errors = rowErrs

	err = context.Cause(ctx)
	if err == nil && sum.Imported == 0 && !im.o.AllowEmpty {
		err = fmt.Errorf("%s: %w", sp.dataset, ErrEmpty)
	}
	if err == nil {
		_, err = repo.Switch(context.WithoutCancel(ctx), sp.dataset, version)
	}
	sum.Elapsed = time.Since(start)
	progress(true)
	if err != nil {
		im.abort(context.WithoutCancel(ctx), sp.dataset, version, log)
		log.Warn().Err(err).Int64("version", version).Int64("serving", prev).Msg("import aborted, previous dataset still serving")
		return sum, err
	}
	sum.Switched = true
	log.Info().Int64("version", version).Int64("previous", prev).Int64("rows", sum.Imported).Int64("bad", sum.Bad).Msg("dataset switched")
	if !im.o.KeepOld {
		sum.CollectedVersions, sum.CollectedKeys, err = repo.CollectOld(context.WithoutCancel(ctx), sp.dataset)
		if err != nil { // the new data serves; old keys wait for the next import
			log.Warn().Err(err).Msg("old dataset versions not fully deleted")
		}
	}
	return sum, nil
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

// write sends one batch in one pipeline: an HSET per row and one MSET for
// every string key of the batch.
func (im *Importer) write(ctx context.Context, base string, items []item) (int64, error) {
	rdb := im.o.Repository.Client()
	pipe := rdb.Pipeline()
	mset := make([]any, 0, 6*len(items))
	var n int64
	for _, it := range items {
		pipe.HSet(ctx, base+it.hash, it.fields...)
		n++
		for i := 0; i+1 < len(it.strs); i += 2 {
			mset = append(mset, base+it.strs[i], it.strs[i+1])
			n++
		}
	}
	if len(mset) > 0 { // one slot in Cluster: the prefix carries the hash tag
		pipe.MSet(ctx, mset...)
	}
	_, err := pipe.Exec(ctx)
	return n, err
}

func fieldOfKey(k string) string {
	switch {
	case len(k) > len(seg.ANIPrefix) && k[:len(seg.ANIPrefix)] == seg.ANIPrefix:
		return "phones"
	case len(k) > len(seg.SIDPrefix) && k[:len(seg.SIDPrefix)] == seg.SIDPrefix:
		return "service_ids"
	case len(k) > len(seg.CustPrefix) && k[:len(seg.CustPrefix)] == seg.CustPrefix:
		return "customer_id"
	}
	return "key"
}
