package redisha_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// TestRedisClusterServesLookupsQueueAndRecords: on a real Redis Cluster of
// three masters, through the Cluster client redis.addr with several
// addresses builds, the multi-key scripts find their keys in one slot: a
// customer look-up by caller number, the acd's enqueue → reserve (offer,
// confirmed) → answered → ended → wrap-up path, and a handling record
// written once. The key prefix carries the hash tag Cluster needs
// ("{tenesa}:"); the acd's keys are in the pool's slot with a plain prefix
// too ("tenesa:acd:{pool}:…").
func TestRedisClusterServesLookupsQueueAndRecords(t *testing.T) {
	c := redistest.StartCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, prefix := range []string{"{tenesa}:", "tenesa:"} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			rc := configs.Redis{Addr: c.Addrs(), KeyPrefix: prefix}
			rdb, err := seg.NewRedisClient(rc)
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			if _, ok := rdb.(*redis.ClusterClient); !ok {
				t.Fatalf("client %T, want a Cluster client", rdb)
			}
			log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)

			// Segmentation refuses a Cluster without a hash-tagged prefix.
			keys, err := seg.NewKeyspace(prefix)
			if err != nil {
				t.Fatal(err)
			}
			repo, err := seg.NewRepository(rdb, keys)
			if !keys.HasHashTag() {
				if err == nil {
					t.Fatal("a Cluster repository without a hash tag in the prefix was accepted")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				rules, err := seg.NewRules(redistest.SegmentationConfig())
				if err != nil {
					t.Fatal(err)
				}
				importSample(t, repo, rules)
				res, err := seg.NewResolver(seg.OptionsFromConfig(redistest.SegmentationConfig(), repo, rules, log))
				if err != nil {
					t.Fatal(err)
				}
				lk, err := res.ByANI(ctx, "021-555-1234")
				if err != nil || lk.Degraded || lk.Customer == nil || lk.Customer.ID != "DES-0001" {
					t.Fatalf("look-up: %+v, %v; want DES-0001 from Redis", lk, err)
				}
				sid, err := res.BySID(ctx, "470301000201")
				if err != nil || sid.Customer == nil || sid.Customer.ID != "DES-0002" {
					t.Fatalf("look-up by service ID: %+v, %v; want DES-0002", sid, err)
				}
			}

			q := acd.QueueConfig{Name: "general", Strategy: "longest_idle", WrapUp: 50 * time.Millisecond,
				RingTimeout: 20 * time.Second}
			svc, err := acd.New(acd.Options{Client: rdb, KeyPrefix: prefix, Pool: pool, Instance: "ctl-a", Log: log},
				&acd.Settings{Queues: map[string]acd.QueueConfig{"general": q}, LoginAtStart: map[string]bool{}})
			if err != nil {
				t.Fatal(err)
			}
			sctx, stop := context.WithCancel(ctx)
			if err := svc.Start(sctx); err != nil {
				t.Fatal(err)
			}
			defer func() { stop(); svc.Wait() }()
			if err := svc.UpsertAgent(ctx, acd.Agent{ID: "4001", Name: "Agent 4001", Endpoint: "PJSIP/4001",
				Role: acd.RoleAgent, Queues: []string{"general"}}); err != nil {
				t.Fatal(err)
			}
			if err := svc.Login(ctx, "4001"); err != nil {
				t.Fatal(err)
			}
			w, err := svc.Enqueue(ctx, acd.CallEntry{CallID: "call-c1", Queue: "general", Priority: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			var n acd.Notice
			select {
			case n = <-w.Notices():
			case <-ctx.Done():
				t.Fatal("no offer")
			}
			if n.Kind != acd.NoticeOffer || n.Offer.Agents[0].ID != "4001" {
				t.Fatalf("notice %+v, want an offer of 4001", n)
			}
			if err := svc.ConfirmOffer(ctx, n); err != nil {
				t.Fatal(err)
			}
			if err := svc.Answered(ctx, "call-c1", "4001"); err != nil {
				t.Fatal(err)
			}
			if err := svc.Ended(ctx, "call-c1", acd.PartyCaller); err != nil {
				t.Fatal(err)
			}
			redistest.WaitFor(t, "agent 4001 available after wrap-up", time.Minute, func() bool {
				a, err := svc.Agent(ctx, "4001")
				return err == nil && a.State == acd.Available
			})

			if keys.HasHashTag() {
				rec := router.StreamRecorder{Client: rdb, Key: prefix + "records"}
				r := &router.Record{CallID: "call-c1", Outcome: router.OutcomeAgentAnswered}
				for range 2 {
					if err := rec.Write(ctx, r); err != nil {
						t.Fatal(err)
					}
				}
				if n, err := rdb.XLen(ctx, rec.Key).Result(); err != nil || n != 1 {
					t.Fatalf("records: %d, %v; want 1", n, err)
				}
			}
		})
	}
}
