package router_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// flakySink fails while down is set and keeps what it took, in order.
type flakySink struct {
	down atomic.Bool
	mu   sync.Mutex
	got  []string
	took chan struct{}
}

func (s *flakySink) Write(_ context.Context, r *router.Record) error {
	if s.down.Load() {
		return errors.New("redis: i/o timeout")
	}
	s.mu.Lock()
	s.got = append(s.got, r.CallID)
	s.mu.Unlock()
	s.took <- struct{}{}
	return nil
}

type counts struct{ ok, failed, dropped atomic.Int64 }

func (c *counts) RecordWritten(err error) {
	if err != nil {
		c.failed.Add(1)
		return
	}
	c.ok.Add(1)
}
func (c *counts) RecordDropped() { c.dropped.Add(1) }

// TestRecordWriterKeepsRecordsWhileTheSinkFails: records submitted while
// the sink fails are kept (the oldest dropped past the buffer, counted),
// retried behind the breaker, and written in order once the sink is back.
func TestRecordWriterKeepsRecordsWhileTheSinkFails(t *testing.T) {
	sink := &flakySink{took: make(chan struct{}, 10)}
	sink.down.Store(true)
	var c counts
	w := router.NewRecordWriter(router.RecordWriterOptions{Sink: sink, Log: zerolog.Nop(), Observer: &c,
		Buffer: 3, Retry: time.Millisecond, BreakerFailures: 2, BreakerCooldown: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		w.Submit(&router.Record{CallID: id, Outcome: router.OutcomeFailed})
	}
	if c.dropped.Load() != 1 || w.Pending() != 3 {
		t.Fatalf("dropped %d pending %d, want the oldest of 4 dropped from a buffer of 3", c.dropped.Load(), w.Pending())
	}
	for c.failed.Load() < 3 { // past the breaker threshold: the trial writes go on
		select {
		case <-time.After(5 * time.Second):
			t.Fatal("no retries")
		default:
			runtime.Gosched()
		}
	}
	sink.down.Store(false)
	for range 3 {
		select {
		case <-sink.took:
		case <-time.After(5 * time.Second):
			t.Fatal("records not written after the sink came back")
		}
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if got := sink.got; len(got) != 3 || got[0] != "c2" || got[1] != "c3" || got[2] != "c4" {
		t.Errorf("written %v, want [c2 c3 c4] once each, in order", got)
	}
}

// TestHandoverTakeOrSweepOnce: a handed-over record goes to exactly one of
// the adopter (before its due time) or the sweeper (after); an adopter
// coming after the sweep learns it must not record the call again.
func TestHandoverTakeOrSweepOnce(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	h := router.RedisHandover{Client: rdb, Prefix: redistest.Prefix(t) + "handover:", Grace: time.Minute}
	ended := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	for _, id := range []string{"adopted", "orphan"} {
		if err := h.Save(ctx, &router.Record{CallID: id, Outcome: router.OutcomeAgentAnswered, EndedAt: ended}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := h.Take(ctx, "adopted")
	if err != nil || r == nil || r.CallID != "adopted" {
		t.Fatalf("take before the due time: %+v, %v", r, err)
	}
	if recs, err := h.Expired(ctx, ended.Add(59*time.Second), 10); err != nil || len(recs) != 0 {
		t.Fatalf("expired before the due time: %d, %v", len(recs), err)
	}
	recs, err := h.Expired(ctx, ended.Add(61*time.Second), 10)
	if err != nil || len(recs) != 1 || recs[0].CallID != "orphan" || !recs[0].HandoverUnadopted {
		t.Fatalf("expired after the due time: %+v, %v; want the orphan only", recs, err)
	}
	if r, err := h.Take(ctx, "orphan"); !errors.Is(err, router.ErrHandoverSwept) || r != nil {
		t.Errorf("late adopter: %+v, %v; want ErrHandoverSwept", r, err)
	}
	if r, err := h.Take(ctx, "never-handed-over"); err != nil || r != nil {
		t.Errorf("unknown call: %+v, %v", r, err)
	}
	if recs, err := h.Expired(ctx, ended.Add(time.Hour), 10); err != nil || len(recs) != 0 {
		t.Errorf("second sweep: %d, %v", len(recs), err)
	}
}

// TestStreamRecorderWritesACallsRecordOnce: writing the same call's record
// again (the writer's retry after a lost reply) leaves one entry; another
// call gets its own.
func TestStreamRecorderWritesACallsRecordOnce(t *testing.T) {
	prefix := redistest.Prefix(t)
	rdb := redistest.Client(t)
	s := router.StreamRecorder{Client: rdb, Key: prefix + "records"}
	ctx := context.Background()
	a := &router.Record{CallID: "call-a", Outcome: router.OutcomeSelfServed}
	for range 3 {
		if err := s.Write(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Write(ctx, &router.Record{CallID: "call-b", Outcome: router.OutcomeFailed}); err != nil {
		t.Fatal(err)
	}
	entries, err := rdb.XRange(ctx, s.Key, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Values["call_id"].(string))
	}
	if len(ids) != 2 || ids[0] != "call-a" || ids[1] != "call-b" {
		t.Fatalf("stream call ids %v, want [call-a call-b]", ids)
	}
	if ttl := rdb.PTTL(ctx, s.SeenKey("call-a")).Val(); ttl <= 0 {
		t.Fatalf("seen mark TTL %v, want an expiry", ttl)
	}
}

// epochSink is a store that fails over: records taken under an old epoch
// after the failover point are lost with it (the split-brain window), as
// a demoted Redis master loses them; writes are idempotent per call id.
type epochSink struct {
	mu     sync.Mutex
	epoch  string
	stored map[string]string // call id → epoch that took it
	writes chan string
}

func (s *epochSink) Write(ctx context.Context, r *router.Record) error {
	_, err := s.WriteEpoch(ctx, r)
	return err
}

func (s *epochSink) WriteEpoch(_ context.Context, r *router.Record) (string, error) {
	s.mu.Lock()
	if _, ok := s.stored[r.CallID]; !ok {
		s.stored[r.CallID] = s.epoch
	}
	e := s.epoch
	s.mu.Unlock()
	s.writes <- r.CallID
	return e, nil
}

// failOver switches the epoch and loses what the given calls wrote.
func (s *epochSink) failOver(epoch string, lost ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch = epoch
	for _, id := range lost {
		delete(s.stored, id)
	}
}

// TestRecordWriterWritesRecentRecordsAgainAfterAFailover: records the old
// master acknowledged and lost when it was demoted are written again once
// a write lands on the new master (a new epoch), so every call still has
// its record.
func TestRecordWriterWritesRecentRecordsAgainAfterAFailover(t *testing.T) {
	sink := &epochSink{epoch: "A", stored: map[string]string{}, writes: make(chan string, 100)}
	w := router.NewRecordWriter(router.RecordWriterOptions{Sink: sink, Log: zerolog.Nop()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	took := func(id string) {
		t.Helper()
		select {
		case got := <-sink.writes:
			if got != id {
				t.Fatalf("wrote %s, want %s", got, id)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s not written", id)
		}
	}
	for _, id := range []string{"c1", "c2", "c3"} {
		w.Submit(&router.Record{CallID: id})
		took(id)
	}
	sink.failOver("B", "c2", "c3") // c2, c3 were in the window
	w.Submit(&router.Record{CallID: "c4"})
	for _, id := range []string{"c4", "c1", "c2", "c3"} {
		took(id)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		if _, ok := sink.stored[id]; !ok {
			t.Errorf("record of %s lost with the failover", id)
		}
	}
}
