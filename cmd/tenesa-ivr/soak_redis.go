package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The soak's Redis: a private master, one replica and three sentinels
// (quorum 2) as real redis-server / redis-sentinel processes on free
// loopback ports under the soak's work folder, never the shared Redis.

const soakMasterName = "tenesa-soak"

// redisProc is one redis-server or redis-sentinel process.
type redisProc struct {
	name, bin, dir string
	port           int
	lines          []string
	mu             sync.Mutex
	cmd            *exec.Cmd
	done           chan struct{}
}

func (p *redisProc) addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// freeLoopbackPort reserves a port the way listeners on :0 do and frees it
// for a child process (another process taking it meanwhile makes the start
// fail, which is reported).
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs the process with its config file (port, dir, log added to
// lines) and waits until it answers PING.
func (p *redisProc) start(ctx context.Context, extra ...string) error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return err
	}
	conf := append([]string{
		"bind 127.0.0.1", "port " + strconv.Itoa(p.port), "dir " + p.dir,
		"logfile " + filepath.Join(p.dir, "redis.log"), "daemonize no", `save ""`, "appendonly no",
	}, append(append([]string(nil), p.lines...), extra...)...)
	cf := filepath.Join(p.dir, "redis.conf")
	if err := os.WriteFile(cf, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(p.bin, cf)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s (%s): %w", p.name, p.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: p.addr(), DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	return pollUntil(ctx, 20*time.Second, p.name+" answering PING at "+p.addr(), func() (bool, error) {
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(p.dir, "redis.log"))
			return false, fmt.Errorf("%s exited at start; its log:\n%s", p.name, log)
		default:
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return c.Ping(pctx).Err() == nil, nil
	})
}

// kill is kill -9 (no shutdown, no save: a crash); it waits for the end.
func (p *redisProc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// redisHA is the master, the replica and the sentinels.
type redisHA struct {
	nodes, sentinels []*redisProc
}

// startRedisHA starts the master, a synced replica and three sentinels
// (down-after downAfter) that see each other and the replica.
func startRedisHA(ctx context.Context, dir string, downAfter time.Duration) (*redisHA, error) {
	server, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server not found (Debian package redis-server; scripts/ensure-test-tools.sh installs it)")
	}
	sentinel, err := exec.LookPath("redis-sentinel")
	if err != nil {
		return nil, errors.New("redis-sentinel not found (Debian package redis-sentinel; scripts/ensure-test-tools.sh installs it)")
	}
	h := &redisHA{}
	newProc := func(bin, name string, lines ...string) (*redisProc, error) {
		port, err := freeLoopbackPort()
		if err != nil {
			return nil, err
		}
		return &redisProc{name: name, bin: bin, dir: filepath.Join(dir, name), port: port, lines: lines}, nil
	}
	master, err := newProc(server, "redis-master")
	if err != nil {
		return nil, err
	}
	h.nodes = append(h.nodes, master)
	if err := master.start(ctx); err != nil {
		return h, err
	}
	replica, err := newProc(server, "redis-replica", "replicaof 127.0.0.1 "+strconv.Itoa(master.port))
	if err != nil {
		return h, err
	}
	h.nodes = append(h.nodes, replica)
	if err := replica.start(ctx); err != nil {
		return h, err
	}
	if err := pollUntil(ctx, 30*time.Second, "replica in sync", func() (bool, error) {
		return redisInfo(ctx, replica.addr(), "replication", "master_link_status") == "up", nil
	}); err != nil {
		return h, err
	}
	for i := range 3 {
		sn, err := newProc(sentinel, fmt.Sprintf("sentinel%d", i+1),
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", soakMasterName, master.port),
			fmt.Sprintf("sentinel down-after-milliseconds %s %d", soakMasterName, downAfter.Milliseconds()),
			fmt.Sprintf("sentinel failover-timeout %s %d", soakMasterName, 10*downAfter.Milliseconds()),
			fmt.Sprintf("sentinel parallel-syncs %s 1", soakMasterName))
		if err != nil {
			return h, err
		}
		h.sentinels = append(h.sentinels, sn)
		if err := sn.start(ctx); err != nil {
			return h, err
		}
	}
	for _, sn := range h.sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: sn.addr(), MaxRetries: -1})
		err := pollUntil(ctx, 60*time.Second, "sentinel "+sn.addr()+" seeing the replica and the other sentinels", func() (bool, error) {
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			reps, err := sc.Replicas(pctx, soakMasterName).Result()
			if err != nil || len(reps) < 1 {
				return false, nil
			}
			others, err := sc.Sentinels(pctx, soakMasterName).Result()
			return err == nil && len(others) >= 2, nil
		})
		sc.Close()
		if err != nil {
			return h, err
		}
	}
	return h, nil
}

// sentinelAddrs is redis.addr for the controllers ("a,b,c").
func (h *redisHA) sentinelAddrs() string {
	out := make([]string, len(h.sentinels))
	for i, s := range h.sentinels {
		out[i] = s.addr()
	}
	return strings.Join(out, ",")
}

// masterAddr is the master as the first answering sentinel names it.
func (h *redisHA) masterAddr(ctx context.Context) string {
	for _, sn := range h.sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: sn.addr(), MaxRetries: -1})
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		a, err := sc.GetMasterAddrByName(pctx, soakMasterName).Result()
		cancel()
		sc.Close()
		if err == nil && len(a) == 2 {
			return a[0] + ":" + a[1]
		}
	}
	return ""
}

// restartMaster kills the master (kill -9), waits until the sentinels have
// promoted the replica and it answers as master, then starts the old
// master again as a replica of the new one. It reports the old and new
// master and how long (wall time) there was no answering master.
func (h *redisHA) restartMaster(ctx context.Context) (oldAddr, newAddr string, down time.Duration, err error) {
	oldAddr = h.masterAddr(ctx)
	var old *redisProc
	for _, n := range h.nodes {
		if n.addr() == oldAddr {
			old = n
		}
	}
	if old == nil {
		return oldAddr, "", 0, fmt.Errorf("sentinels name master %q, not one of the soak's nodes", oldAddr)
	}
	start := time.Now()
	old.kill()
	err = pollUntil(ctx, 60*time.Second, "a new master after "+oldAddr, func() (bool, error) {
		a := h.masterAddr(ctx)
		if a == "" || a == oldAddr || redisInfo(ctx, a, "replication", "role") != "master" {
			return false, nil
		}
		newAddr = a
		return true, nil
	})
	down = time.Since(start)
	if err != nil {
		return oldAddr, "", down, err
	}
	host, port, _ := net.SplitHostPort(newAddr)
	if err := old.start(ctx, "replicaof "+host+" "+port); err != nil {
		return oldAddr, newAddr, down, fmt.Errorf("old master back as replica: %w", err)
	}
	return oldAddr, newAddr, down, nil
}

// close kills every process (sentinels first, so none fails over).
func (h *redisHA) close() {
	if h == nil {
		return
	}
	for _, p := range h.sentinels {
		p.kill()
	}
	for _, p := range h.nodes {
		p.kill()
	}
}

// redisInfo reads one field of an INFO section ("" when unreachable).
func redisInfo(ctx context.Context, addr, section, field string) string {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	s, err := c.Info(pctx, section).Result()
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

// pollUntil checks cond every 50 ms until it holds, fails, ctx ends or
// limit passes (the error names what was awaited).
func pollUntil(ctx context.Context, limit time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", limit, what)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}
