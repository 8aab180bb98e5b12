// Package redistest gives tests a real Redis: the address from
// TENESA_TEST_REDIS_ADDR (default 127.0.0.1:6379), a unique key prefix per
// test whose keys are deleted at the end, and a TCP proxy that can cut the
// connection to simulate Redis down or hanging. A Redis that cannot be
// reached fails the test; it never skips.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Addr is the test Redis address.
func Addr() string {
	if a := os.Getenv("TENESA_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// Client connects to the test Redis (or to addr when given) and closes at
// the end of the test.
func Client(tb testing.TB, addr ...string) *redis.Client {
	tb.Helper()
	a := Addr()
	if len(addr) > 0 && addr[0] != "" {
		a = addr[0]
	}
	c := redis.NewClient(&redis.Options{Addr: a, ContextTimeoutEnabled: true, MaxRetries: 1})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Prefix returns a fresh "test:<random>:" key prefix and deletes every key
// under it when the test ends. It fails the test if Redis is unreachable.
func Prefix(tb testing.TB) string {
	tb.Helper()
	c := Client(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("test Redis at %s (TENESA_TEST_REDIS_ADDR) not reachable: %v", Addr(), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	p := "test:" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() { DeletePrefix(tb, c, p) })
	return p
}

// DeletePrefix unlinks every key under prefix (SCAN + UNLINK).
func DeletePrefix(tb testing.TB, c *redis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 5000).Result()
		if err != nil {
			tb.Errorf("clean up %s*: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := c.Unlink(ctx, keys...).Err(); err != nil {
				tb.Errorf("clean up %s*: %v", prefix, err)
				return
			}
		}
		if next == 0 {
			return
		}
		cursor = next
	}
}

// Mode is what the proxy does with traffic.
type Mode int

// Proxy modes.
const (
	Pass      Mode = iota // forward both ways
	Blackhole             // accept and read, never answer: a hung Redis
	Refuse                // close every connection at once: a Redis that is down
)

// Proxy is a TCP proxy in front of Redis that a test can cut and restore.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	mode   Mode
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	nconn  atomic.Int64
}

// Accepted counts the client connections accepted so far.
func (p *Proxy) Accepted() int64 { return p.nconn.Load() }

// StartProxy listens on a free loopback port and forwards to target.
func StartProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.Close)
	return p
}

// Addr is the proxy's address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetMode switches the mode; leaving Pass drops the open connections so that
// clients meet the new behaviour on their next request.
func (p *Proxy) SetMode(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	if m != Pass {
		for c := range p.conns {
			c.Close()
		}
	}
}

// Close stops the proxy and waits for its goroutines.
func (p *Proxy) Close() {
	p.ln.Close()
	p.SetMode(Refuse)
	p.wg.Wait()
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == Refuse {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.nconn.Add(1)
		if !p.track(c) {
			c.Close()
			continue
		}
		p.mu.Lock()
		mode := p.mode
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			if mode == Blackhole {
				_, _ = io.Copy(io.Discard, c)
				return
			}
			up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
			if err != nil {
				return
			}
			if !p.track(up) {
				up.Close()
				return
			}
			defer p.untrack(up)
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
			<-done
		}()
	}
}
