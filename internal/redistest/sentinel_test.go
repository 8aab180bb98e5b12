package redistest_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

// The harness gives a Sentinel setup whose failover a go-redis failover
// client follows: a key written before a SENTINEL FAILOVER (and
// replicated) is read back from the new master, and writes go on.
func TestSentinelFailoverIsFollowedByTheFailoverClient(t *testing.T) {
	s := redistest.StartSentinel(t, redistest.SentinelOptions{})
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: redistest.SentinelMaster,
		SentinelAddrs: []string{s.Sentinels[0].Addr, s.Sentinels[1].Addr, s.Sentinels[2].Addr}})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1: %d, %v", n, err)
	}
	old := s.Master()
	s.Failover()
	nm := s.WaitNewMaster(old, 30*time.Second)
	if nm == old {
		t.Fatal("the master did not change")
	}
	redistest.WaitFor(t, "a write through the failover client", 30*time.Second, func() bool {
		return c.Set(ctx, "k2", "after", 0).Err() == nil
	})
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "before" {
		t.Fatalf("k after failover = %q, %v", v, err)
	}
}
