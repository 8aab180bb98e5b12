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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// demoRedis is the Redis the demo runs on: the one given with --redis, the
// configured (local) one when it answers, or a private redis-server the
// demo started in a temporary folder and stops itself.
type demoRedis struct {
	addr string
	// what says which one, for the newcomer ("local Redis at ...").
	what string
	// stop stops a private server and removes its folder (nil otherwise).
	stop func()
}

// redisPrivate is the --redis value that always starts a private server.
const redisPrivate = "private"

// openDemoRedis picks the demo's Redis and returns the redis config the
// demo runs with. flag is --redis: "" = the configured redis.addr (with its
// credentials) when it answers, else a private server; "private" = always
// a private server; HOST:PORT = that Redis, without credentials unless
// configured.
func openDemoRedis(ctx context.Context, flag string, rc configs.Redis) (*demoRedis, configs.Redis, error) {
	private := func() (*demoRedis, configs.Redis, error) {
		r, err := startPrivateRedis(ctx)
		if err != nil {
			return nil, rc, err
		}
		rc.Addr, rc.Username, rc.Password, rc.MasterName, rc.DB = r.addr, "", "", "", 0
		return r, rc, nil
	}
	switch flag {
	case redisPrivate:
		return private()
	case "":
	default:
		rc.Addr, rc.MasterName = flag, ""
		if err := pingConfigured(ctx, rc); err != nil {
			return nil, rc, fmt.Errorf("--redis %s: %w", flag, err)
		}
		return &demoRedis{addr: flag, what: "Redis at " + flag + " (--redis)"}, rc, nil
	}
	if err := pingConfigured(ctx, rc); err == nil {
		return &demoRedis{addr: rc.Addr, what: "local Redis at " + rc.Addr + " (redis.addr)"}, rc, nil
	}
	r, rc2, err := private()
	if err != nil {
		return nil, rc, fmt.Errorf("no Redis answers at %s (redis.addr, TENESA_REDIS_ADDR) and %w; "+
			"start one (make redis) or pass --redis HOST:PORT", rc.Addr, err)
	}
	r.what += " (nothing answered at " + rc.Addr + ")"
	return r, rc2, nil
}

// pingConfigured checks that the Redis of rc answers, with its credentials.
func pingConfigured(ctx context.Context, rc configs.Redis) error {
	c, err := segmentation.NewRedisClient(rc)
	if err != nil {
		return err
	}
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return c.Ping(pctx).Err()
}

func pingRedis(ctx context.Context, addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 500 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return c.Ping(pctx).Err()
}

// startPrivateRedis runs redis-server on a free loopback port in a new
// temporary folder, without persistence, in its own process group (a
// Ctrl-C at the terminal reaches the demo, which stops it after the report,
// not the server).
func startPrivateRedis(ctx context.Context) (*demoRedis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server is not installed (Debian: apt-get install redis-server)")
	}
	dir, err := os.MkdirTemp("", "tenesa-demo-redis-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "",
		"--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"), "--daemonize", "no")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		os.RemoveAll(dir)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := pingRedis(ctx, addr); err == nil {
			break
		}
		select {
		case err := <-exited:
			os.RemoveAll(dir)
			exited <- err
			return nil, fmt.Errorf("redis-server on %s exited at start: %v", addr, err)
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return nil, fmt.Errorf("redis-server on %s did not answer within 10s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &demoRedis{addr: addr, what: "private redis-server on " + addr + " (temporary folder " + dir +
		", stopped and removed at the end)", stop: stop}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cleanDemoKeys deletes every key under prefix (the demo's own, never
// anything else) and returns how many.
func cleanDemoKeys(ctx context.Context, c redis.UniversalClient, prefix string) (int, error) {
	if prefix == "" {
		return 0, errors.New("refusing to clean an empty key prefix")
	}
	pattern := globEscape(prefix) + "*"
	var n atomic.Int64 // ForEachMaster runs the masters at once
	clean := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		var batch []string
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			for _, k := range batch { // one slot per command on a Cluster
				if err := c.Unlink(ctx, k).Err(); err != nil {
					return err
				}
			}
			n.Add(int64(len(batch)))
			batch = batch[:0]
			return nil
		}
		for iter.Next(ctx) {
			if !strings.HasPrefix(iter.Val(), prefix) {
				continue
			}
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return clean(ctx, m) })
	} else {
		err = clean(ctx, c)
	}
	return int(n.Load()), err
}

// globEscape quotes Redis glob characters in a key prefix.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
