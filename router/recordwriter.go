package router

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// RecordSink takes the handling record of a call that has ended. Submit
// never blocks the call: the caller has been (or is being) released.
type RecordSink interface {
	Submit(r *Record)
}

// RecordObserver is told the result of every write attempt and of every
// record dropped from a full buffer (metrics.Metrics implements it).
type RecordObserver interface {
	RecordWritten(err error)
	RecordDropped()
}

// RecordWriterOptions configures a RecordWriter. Zero values take the
// defaults noted.
type RecordWriterOptions struct {
	// Sink is where records are written, e.g. a StreamRecorder (required).
	Sink Recorder
	// Log gets one line per record, at submit time, with the whole record:
	// a record the sink never takes is still in the log.
	Log      zerolog.Logger
	Observer RecordObserver // nil: none
	// Buffer bounds the records waiting to be written; when full the oldest
	// is dropped (it stays in the log). Default 10000.
	Buffer int
	// WriteTimeout bounds one write attempt. Default 2s.
	WriteTimeout time.Duration
	// Retry is the pause after a failed write. Default 1s.
	Retry time.Duration
	// BreakerFailures consecutive failures open the breaker: then one trial
	// write per BreakerCooldown until one succeeds. Defaults 3 and 10s.
	BreakerFailures int
	BreakerCooldown time.Duration
	// FlushTimeout bounds the last writes once Run's context ends. Default 5s.
	FlushTimeout time.Duration
	// RewriteWindow: when the sink is an EpochRecorder and its epoch
	// changes (a Redis failover), the records written this long before are
	// written again. Default 2m.
	RewriteWindow time.Duration
}

// RecordWriter writes handling records in the background, in order, behind
// a circuit breaker, so that a slow or dead Redis never holds a caller:
// the flow releases the caller (continue, hang-up, redirect) and submits
// the record; the writer retries it until the sink takes it.
type RecordWriter struct {
	o    RecordWriterOptions
	wake chan struct{}

	mu      sync.Mutex
	pending []*Record
	failing int // consecutive failed writes

	// epoch of the sink's last write and the records written within
	// RewriteWindow (EpochRecorder sinks only); owned by Run.
	epoch  string
	recent []written
}

type written struct {
	at time.Time
	r  *Record
}

// NewRecordWriter returns a writer; start it with Run.
func NewRecordWriter(o RecordWriterOptions) *RecordWriter {
	if o.Buffer <= 0 {
		o.Buffer = 10000
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 2 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.BreakerFailures <= 0 {
		o.BreakerFailures = 3
	}
	if o.BreakerCooldown <= 0 {
		o.BreakerCooldown = 10 * time.Second
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = 5 * time.Second
	}
	if o.RewriteWindow <= 0 {
		o.RewriteWindow = 2 * time.Minute
	}
	return &RecordWriter{o: o, wake: make(chan struct{}, 1)}
}

// Submit logs the record and queues it for the sink. It never blocks.
func (w *RecordWriter) Submit(r *Record) {
	w.o.Log.Info().Str("call_id", r.CallID).Str("outcome", string(r.Outcome)).
		Str("abandon_stage", string(r.AbandonStage)).Interface("record", r).Msg("handling record")
	w.mu.Lock()
	var dropped *Record
	if len(w.pending) >= w.o.Buffer {
		dropped = w.pending[0]
		w.pending = w.pending[1:]
	}
	w.pending = append(w.pending, r)
	w.mu.Unlock()
	if dropped != nil {
		w.o.Log.Error().Str("call_id", dropped.CallID).Int("buffer", w.o.Buffer).
			Msg("handling record buffer full: oldest record dropped (its full record is in the log)")
		if w.o.Observer != nil {
			w.o.Observer.RecordDropped()
		}
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Pending is the number of records waiting to be written.
func (w *RecordWriter) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// Run writes records until ctx ends, then tries the remaining ones for at
// most FlushTimeout (stopping at the first failure). Records still not
// written are reported in the log (each record is there in full already).
func (w *RecordWriter) Run(ctx context.Context) {
	for {
		r := w.head()
		if r == nil {
			select {
			case <-ctx.Done():
				w.flush(ctx)
				return
			case <-w.wake:
				continue
			}
		}
		wait := w.write(ctx, r)
		if wait == 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			w.flush(ctx)
			return
		case <-t.C:
		}
	}
}

func (w *RecordWriter) head() *Record {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return nil
	}
	return w.pending[0]
}

// write tries the oldest record once; it returns how long to wait before
// the next attempt (0: go on).
func (w *RecordWriter) write(ctx context.Context, r *Record) time.Duration {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.o.WriteTimeout)
	var err error
	if es, ok := w.o.Sink.(EpochRecorder); ok {
		var epoch string
		if epoch, err = es.WriteEpoch(wctx, r); err == nil {
			w.noteEpoch(epoch, r)
		}
	} else {
		err = w.o.Sink.Write(wctx, r)
	}
	cancel()
	if w.o.Observer != nil {
		w.o.Observer.RecordWritten(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		if len(w.pending) > 0 && w.pending[0] == r {
			w.pending = w.pending[1:]
		}
		if w.failing >= w.o.BreakerFailures {
			w.o.Log.Info().Int("pending", len(w.pending)).Msg("handling records: sink back, breaker closed")
		}
		w.failing = 0
		return 0
	}
	w.failing++
	switch {
	case w.failing == w.o.BreakerFailures:
		w.o.Log.Error().Err(err).Int("pending", len(w.pending)).Dur("cooldown", w.o.BreakerCooldown).
			Msg("handling records not written: breaker open, records kept and retried")
	case w.failing < w.o.BreakerFailures:
		w.o.Log.Warn().Err(err).Str("call_id", r.CallID).Msg("handling record not written: will retry")
	}
	if w.failing >= w.o.BreakerFailures {
		return w.o.BreakerCooldown
	}
	return w.o.Retry
}

// noteEpoch keeps r among the recent records and, when the sink's epoch
// changed (a failover), queues the recent records written under the old
// one again, first: the idempotent sink adds those the new master lacks.
func (w *RecordWriter) noteEpoch(epoch string, r *Record) {
	now := time.Now()
	keep := w.recent[:0]
	for _, x := range w.recent {
		if now.Sub(x.at) <= w.o.RewriteWindow {
			keep = append(keep, x)
		}
	}
	w.recent = keep
	if w.epoch != "" && epoch != "" && epoch != w.epoch && len(w.recent) > 0 {
		again := make([]*Record, 0, len(w.recent))
		for _, x := range w.recent {
			again = append(again, x.r)
		}
		w.recent = w.recent[:0]
		w.o.Log.Warn().Int("records", len(again)).Str("old_epoch", w.epoch).Str("epoch", epoch).
			Msg("handling records: the store failed over; the last records are written again (no-ops where present)")
		w.mu.Lock()
		// r is pending[0] (removed by write once this returns); the
		// records written again go right after it.
		rest := append(again, w.pending[min(1, len(w.pending)):]...)
		w.pending = append(w.pending[:min(1, len(w.pending))], rest...)
		w.mu.Unlock()
	}
	if epoch != "" {
		w.epoch = epoch
	}
	w.recent = append(w.recent, written{at: now, r: r})
}

// flush writes what is left once ctx ended, bounded by FlushTimeout.
func (w *RecordWriter) flush(ctx context.Context) {
	deadline := time.Now().Add(w.o.FlushTimeout)
	for time.Now().Before(deadline) {
		r := w.head()
		if r == nil {
			return
		}
		if w.write(ctx, r) != 0 {
			break
		}
	}
	if n := w.Pending(); n > 0 {
		w.o.Log.Error().Int("records", n).
			Msg("stopping with handling records not written to the sink (each is in the log in full)")
	}
}
