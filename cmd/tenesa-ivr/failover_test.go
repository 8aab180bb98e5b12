package main

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

// TestServeFailoverTakesTheLeaseAndGivesItUp: with ari.failover on, serve's
// failover side takes this controller's lease and registers its
// application before the controller connects, and gives the lease up when
// it stops (survivors then take over at their next look, not after the
// TTL). Off, it does nothing.
func TestServeFailoverTakesTheLeaseAndGivesItUp(t *testing.T) {
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	prefix := redistest.Prefix(t)
	rdb := redistest.Client(t)
	cfg.Redis.KeyPrefix, cfg.Instance = prefix, "bdg-1"
	a := &controllerApp{cfg: cfg, log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), redis: rdb}
	ctx := context.Background()

	off, err := a.startFailover(ctx)
	if err != nil || off != nil {
		t.Fatalf("failover off: %v, %v; want nothing started", off, err)
	}

	cfg.ARI.Broadcast = true
	cfg.ARI.Failover.Enabled, cfg.ARI.Failover.LeaseTTL, cfg.ARI.Failover.RenewEvery = true, 3*time.Second, time.Second
	fo, err := a.startFailover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer fo.stop()
	lease := prefix + "failover:{default}:lease:bdg-1"
	if ttl, err := rdb.PTTL(ctx, lease).Result(); err != nil || ttl <= 0 || ttl > 3*time.Second {
		t.Fatalf("lease %s: ttl %v, %v", lease, ttl, err)
	}
	if app, err := rdb.HGet(ctx, prefix+"failover:{default}:peers", "bdg-1").Result(); err != nil || app != "tenesa-ivr-bdg-1" {
		t.Fatalf("registry: %q, %v; want tenesa-ivr-bdg-1", app, err)
	}
	if err := fo.waitOwnApp(ctx); err != nil {
		t.Fatalf("nobody holds the application, yet: %v", err)
	}
	// a survivor holds the application: the controller waits, not ready
	lock := prefix + "failover:{default}:takeover:bdg-1"
	if err := rdb.Set(ctx, lock, "smg-1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- fo.waitOwnApp(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !fo.waitingForApp() {
		if time.Now().After(deadline) {
			t.Fatal("not waiting for the survivor's release")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition
	}
	rdb.Del(ctx, lock) // the survivor released it
	select {
	case err := <-waited:
		if err != nil || fo.waitingForApp() {
			t.Fatalf("after the release: %v, waiting %v", err, fo.waitingForApp())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting after the release")
	}
	fo.stop()
	if n, err := rdb.Exists(ctx, lease).Result(); err != nil || n != 0 {
		t.Fatalf("lease still there after stop (%d, %v)", n, err)
	}
}
