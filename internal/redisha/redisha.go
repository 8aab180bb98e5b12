// Package redisha holds what the Redis users (the acd, the handling
// records) need to stay correct across a master failover (Sentinel) or a
// shard failover (Cluster):
//
//   - Failover tells the errors a failover produces and after which the
//     command must be sent again (to the new master): the connection to the
//     old master refused or cut, READONLY (the old master came back as a
//     replica), LOADING, MASTERDOWN, CLUSTERDOWN, TRYAGAIN.
//   - Retry sends again within a window (the failover time), with backoff.
//   - Durable runs writes on one connection of the master serving a key,
//     then WAITs until a replica has them. Redis replicates asynchronously:
//     a write acknowledged by a master that dies before its replica got it
//     is lost by the failover. A write a replica acknowledged survives it
//     (Sentinel promotes the replica with the most data; see the notes in
//     router/acd/doc.go and router/record.go for what each user does when
//     the acknowledgement does not come).
//
// What a master with no replica at all acknowledges is as durable as it
// gets (there is nothing to fail over to): Durable waits for min(want,
// connected replicas), which the write itself reports (ReplicasLua).
package redisha

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotReplicated: the writes are on the master but no replica
// acknowledged them in time; a failover now could lose them.
var ErrNotReplicated = errors.New("redis: write not acknowledged by a replica")

// Failover reports whether err is one a master failover produces, after
// which the command should be sent again: a refused, reset or closed
// connection, a server reply that says "not the master now" or "not
// ready yet", or ErrNotReplicated. Context errors are not (the caller gave
// up).
func Failover(err error) bool {
	if errors.Is(err, ErrNotReplicated) {
		return true // the replica may catch up, or a new master serve
	}
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, redis.ErrClosed) { // a client closed by us is final
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	if redis.IsReadOnlyError(err) || redis.IsLoadingError(err) || redis.IsMasterDownError(err) ||
		redis.IsClusterDownError(err) || redis.IsTryAgainError(err) || strings.HasPrefix(err.Error(), "NOREPLICAS ") {
		return true
	}
	s := err.Error()
	for _, p := range []string{"READONLY ", "LOADING ", "MASTERDOWN ", "CLUSTERDOWN ", "TRYAGAIN ", "NOREPLICAS ",
		"redis: all sentinels specified in configuration are unreachable", "redis: no replica"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return strings.Contains(s, "connection refused") || strings.Contains(s, "connection reset") ||
		strings.Contains(s, "broken pipe")
}

// Retry calls fn until it succeeds, fails with an error that is not a
// failover's (Failover), ctx ends, or window has passed since the first
// try; it waits 50 ms after the first failure, doubling up to 500 ms. It
// returns fn's last error. window 0 means one try.
func Retry(ctx context.Context, window time.Duration, fn func() error) error {
	err := fn()
	if err == nil || window <= 0 || !Failover(err) {
		return err
	}
	deadline := time.Now().Add(window)
	pause := 50 * time.Millisecond
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return err
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		if err = fn(); err == nil || !Failover(err) {
			return err
		}
		pause = min(2*pause, 500*time.Millisecond)
	}
}

// ReplicasLua defines replicas(), the number of replicas connected to the
// master running the script (INFO replication). A script whose writes go
// through Durable returns it.
const ReplicasLua = `
local function replicas()
  local n = string.match(redis.call('INFO', 'replication'), 'connected_slaves:(%d+)')
  return tonumber(n) or 0
end
`

// Durable runs write on one connection of the master that serves key
// (Cluster: the key's shard; Sentinel and single node: the master), then,
// when want > 0 and the master has replicas, WAITs up to timeout until
// min(want, replicas) of them acknowledged every write of that connection:
// the writes then survive a failover. write returns the master's replica
// count (a script returns replicas() from ReplicasLua). Not acknowledged in
// time: ErrNotReplicated (the writes are on the master). A client that is
// neither a Client nor a ClusterClient runs write without the wait.
func Durable(ctx context.Context, rdb redis.UniversalClient, key string, want int, timeout time.Duration,
	write func(c redis.Scripter) (replicas int, err error)) error {
	var node *redis.Client
	switch c := rdb.(type) {
	case *redis.Client:
		node = c
	case *redis.ClusterClient:
		n, err := c.MasterForKey(ctx, key)
		if err != nil {
			return err
		}
		node = n
	default:
		_, err := write(rdb)
		return err
	}
	conn := node.Conn()
	defer conn.Close()
	replicas, err := write(conn)
	if err != nil || want <= 0 || replicas <= 0 {
		return err
	}
	n := min(want, replicas)
	acked, err := conn.Wait(ctx, n, timeout).Result()
	if err != nil {
		return fmt.Errorf("wait for %d replica(s): %w", n, err)
	}
	if int(acked) < n {
		return fmt.Errorf("%w: %d of %d within %s", ErrNotReplicated, acked, n, timeout)
	}
	return nil
}
