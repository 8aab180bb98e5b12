package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name the private sentinels monitor.
const SentinelMaster = "tenesa-test"

// Sentinel is a private Redis master, its replicas and three sentinels
// watching them (quorum 2), on free loopback ports: what Debian's
// redis-server and redis-sentinel run in production, scaled down.
type Sentinel struct {
	tb        testing.TB
	Nodes     []*Server // the master first, then the replicas (as started)
	Sentinels []*Server
	// DownAfter is the sentinels' down-after-milliseconds: how long a
	// master must not answer before the failover starts.
	DownAfter time.Duration
}

// SentinelOptions shape the private setup.
type SentinelOptions struct {
	Replicas  int           // default 1
	DownAfter time.Duration // default 1s
}

// StartSentinel starts the master, the replicas (synced) and three
// sentinels that agree on the master and its replicas; everything is
// killed when the test ends. Without redis-server or redis-sentinel it
// skips, or fails when CI is set (NeedBinary).
func StartSentinel(tb testing.TB, o SentinelOptions) *Sentinel {
	tb.Helper()
	server := NeedBinary(tb, "redis-server", "redis-server")
	sentinelBin := NeedBinary(tb, "redis-sentinel", "redis-sentinel")
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.DownAfter <= 0 {
		o.DownAfter = time.Second
	}
	s := &Sentinel{tb: tb, DownAfter: o.DownAfter}
	master := startServer(tb, server, "master", noPersistence)
	s.Nodes = append(s.Nodes, master)
	for i := range o.Replicas {
		r := startServer(tb, server, fmt.Sprintf("replica%d", i+1),
			append([]string{"replicaof 127.0.0.1 " + strconv.Itoa(master.Port)}, noPersistence...))
		s.Nodes = append(s.Nodes, r)
		WaitFor(tb, "replica "+r.Addr+" in sync", 20*time.Second, func() bool {
			return info(r.Addr, "replication", "master_link_status") == "up"
		})
	}
	for i := range 3 {
		sn := startServer(tb, sentinelBin, fmt.Sprintf("sentinel%d", i+1), []string{
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", SentinelMaster, master.Port),
			fmt.Sprintf("sentinel down-after-milliseconds %s %d", SentinelMaster, o.DownAfter.Milliseconds()),
			fmt.Sprintf("sentinel failover-timeout %s %d", SentinelMaster, 10*o.DownAfter.Milliseconds()),
			fmt.Sprintf("sentinel parallel-syncs %s 1", SentinelMaster),
		})
		s.Sentinels = append(s.Sentinels, sn)
	}
	for _, sn := range s.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr, MaxRetries: -1})
		WaitFor(tb, "sentinel "+sn.Addr+" sees the replicas and the other sentinels", 60*time.Second, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			reps, err := sc.Replicas(ctx, SentinelMaster).Result()
			if err != nil || len(reps) < o.Replicas {
				return false
			}
			others, err := sc.Sentinels(ctx, SentinelMaster).Result()
			return err == nil && len(others) >= 2
		})
		sc.Close()
	}
	return s
}

// Addrs is the sentinels' addresses as redis.addr takes them ("a,b,c").
func (s *Sentinel) Addrs() string {
	out := make([]string, len(s.Sentinels))
	for i, sn := range s.Sentinels {
		out[i] = sn.Addr
	}
	return strings.Join(out, ",")
}

// MasterAddr is the master as the first sentinel that answers knows it.
func (s *Sentinel) MasterAddr() string {
	for _, sn := range s.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr, MaxRetries: -1})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		a, err := sc.GetMasterAddrByName(ctx, SentinelMaster).Result()
		cancel()
		sc.Close()
		if err == nil && len(a) == 2 {
			return a[0] + ":" + a[1]
		}
	}
	return ""
}

// Master is the node the sentinels name master now.
func (s *Sentinel) Master() *Server {
	a := s.MasterAddr()
	for _, n := range s.Nodes {
		if n.Addr == a {
			return n
		}
	}
	s.tb.Fatalf("sentinels name master %q, not one of the nodes", a)
	return nil
}

// KillMaster SIGKILLs the current master and returns it.
func (s *Sentinel) KillMaster() *Server {
	m := s.Master()
	m.Kill()
	return m
}

// Failover asks a sentinel for a failover (SENTINEL FAILOVER: the master
// is demoted to a replica once a replica is promoted).
func (s *Sentinel) Failover() {
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinels[0].Addr, MaxRetries: -1})
	defer sc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sc.Failover(ctx, SentinelMaster).Err(); err != nil {
		s.tb.Fatalf("SENTINEL FAILOVER: %v", err)
	}
}

// PlannedFailover switches the master the safe way for a planned change:
// writes on the master are paused for pause (CLIENT PAUSE WRITE), and
// SENTINEL FAILOVER promotes a replica meanwhile. The sentinels' demotion
// of the old master is itself a write (a MULTI … EXEC with REPLICAOF), so
// it runs when the pause ends, ahead of the clients' writes that waited
// (the clients have switched to the new master or get READONLY): nothing
// is written on the old master in the window where it would be lost. The
// pause must outlast the promotion (a few seconds). It returns the old
// master once it is a replica.
func (s *Sentinel) PlannedFailover(pause, limit time.Duration) *Server {
	s.tb.Helper()
	old := s.Master()
	c := redis.NewClient(&redis.Options{Addr: old.Addr, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Do(ctx, "CLIENT", "PAUSE", pause.Milliseconds(), "WRITE").Err(); err != nil {
		s.tb.Fatalf("CLIENT PAUSE: %v", err)
	}
	s.Failover()
	s.WaitNewMaster(old, limit)
	WaitFor(s.tb, "the old master "+old.Addr+" demoted to a replica", limit, func() bool {
		return info(old.Addr, "replication", "role") == "slave"
	})
	return old
}

// WaitNewMaster waits until every sentinel names a master other than old
// and that node answers as a master; it returns the new master.
func (s *Sentinel) WaitNewMaster(old *Server, limit time.Duration) *Server {
	s.tb.Helper()
	var m *Server
	WaitFor(s.tb, "a new master after "+old.Addr, limit, func() bool {
		a := s.MasterAddr()
		if a == "" || a == old.Addr || info(a, "replication", "role") != "master" {
			return false
		}
		for _, n := range s.Nodes {
			if n.Addr == a {
				m = n
			}
		}
		return m != nil
	})
	return m
}
