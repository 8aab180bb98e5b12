package redistest

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a private Redis Cluster of three masters (no replicas) on
// free loopback ports, made with redis-cli --cluster create, killed when
// the test ends.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts the three masters, joins them into a cluster that
// covers every slot and waits until the cluster is ok. Without
// redis-server or redis-cli it skips, or fails when CI is set (NeedBinary).
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	server := NeedBinary(tb, "redis-server", "redis-server")
	cli := NeedBinary(tb, "redis-cli", "redis-tools")
	c := &Cluster{}
	args := []string{"--cluster", "create"}
	for _, name := range []string{"node1", "node2", "node3"} {
		n := startServer(tb, server, name, append([]string{"cluster-enabled yes",
			"cluster-config-file nodes.conf", "cluster-node-timeout 2000"}, noPersistence...))
		c.Nodes = append(c.Nodes, n)
		args = append(args, n.Addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range c.Nodes {
		WaitFor(tb, "cluster ok at "+n.Addr, time.Minute, func() bool {
			return clusterInfo(n.Addr, "cluster_state") == "ok"
		})
	}
	return c
}

// Addrs is the nodes' addresses as redis.addr takes them ("a,b,c").
func (c *Cluster) Addrs() string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr
	}
	return strings.Join(out, ",")
}

func clusterInfo(addr, field string) string {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := c.ClusterInfo(ctx).Result()
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	return ""
}
