package redisha_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redisha"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// TestOfferNotOnAReplicaIsNotRung: with the replica stuck (SIGSTOP), a
// reservation is on the master only, and a failover now would lose it: its
// agent would be free on the new master while ringing for this call.
// ConfirmOffer refuses it (redisha.ErrNotReplicated), so the hand-off does
// not ring; once the replica has it, the same offer is confirmed. An offer
// whose reservation is gone (the call waits again) is ErrOfferStale.
func TestOfferNotOnAReplicaIsNotRung(t *testing.T) {
	s := redistest.StartSentinel(t, redistest.SentinelOptions{Replicas: 1, DownAfter: 5 * time.Second})
	rdb, err := seg.NewRedisClient(configs.Redis{Addr: s.Addrs(), MasterName: redistest.SentinelMaster})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := acd.QueueConfig{Name: "general", Strategy: "longest_idle", WrapUp: time.Second, RingTimeout: 20 * time.Second}
	svc, err := acd.New(acd.Options{Client: rdb, KeyPrefix: "tenesa:", Pool: pool, Instance: "ctl-a",
		Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), AckTimeout: 200 * time.Millisecond,
		FailoverWait: -1}, &acd.Settings{Queues: map[string]acd.QueueConfig{"general": q}, LoginAtStart: map[string]bool{}})
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	if err := svc.Start(sctx); err != nil {
		t.Fatal(err)
	}
	defer func() { stop(); svc.Wait() }()
	if err := svc.UpsertAgent(ctx, acd.Agent{ID: "3001", Name: "Agent 3001", Endpoint: "PJSIP/3001",
		Role: acd.RoleAgent, Queues: []string{"general"}}); err != nil {
		t.Fatal(err)
	}
	w, err := svc.Enqueue(ctx, acd.CallEntry{CallID: "call-1", Queue: "general"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	replica := s.Nodes[1]
	replica.Freeze()
	thawed := false
	defer func() {
		if !thawed {
			replica.Thaw()
		}
	}()
	if err := svc.Login(ctx, "3001"); err != nil { // reserves 3001 for call-1
		t.Fatal(err)
	}
	var n acd.Notice
	select {
	case n = <-w.Notices():
	case <-ctx.Done():
		t.Fatal("no offer")
	}
	if n.Kind != acd.NoticeOffer {
		t.Fatalf("notice %s, want an offer", n.Kind)
	}
	if err := svc.ConfirmOffer(ctx, n); !errors.Is(err, redisha.ErrNotReplicated) {
		t.Fatalf("confirm with the replica stuck: %v, want ErrNotReplicated", err)
	}
	replica.Thaw()
	thawed = true
	redistest.WaitFor(t, "the offer confirmed once the replica has it", time.Minute, func() bool {
		return svc.ConfirmOffer(ctx, n) == nil
	})

	// The reservation gone (the caller left: the call is abandoned), the
	// old offer is stale.
	if err := svc.Abandoned(ctx, "call-1"); err != nil {
		t.Fatal(err)
	}
	if err := svc.ConfirmOffer(ctx, n); !errors.Is(err, acd.ErrOfferStale) {
		t.Fatalf("confirm after the reservation ended: %v, want ErrOfferStale", err)
	}
}
