package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Private Redis servers for the HA tests: real redis-server processes on
// free loopback ports, each in a temporary directory, killed when the test
// ends. They never touch the shared test Redis.

// NeedBinary returns the path of a Redis binary. Missing: the test fails
// when the environment variable CI is set (CI installs every tool:
// scripts/ensure-test-tools.sh), and otherwise skips, naming the package to
// install.
func NeedBinary(tb testing.TB, name, debianPackage string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (Debian package %s; scripts/ensure-test-tools.sh installs it)", name, debianPackage)
	if os.Getenv("CI") != "" {
		tb.Fatal(msg + ": required in CI")
	}
	tb.Skip(msg)
	return ""
}

// Server is one redis-server (or sentinel) process.
type Server struct {
	Addr string
	Port int
	Dir  string
	cmd  *exec.Cmd

	mu   sync.Mutex
	dead bool
	done chan struct{}
}

// freePort reserves a loopback port the way the tests' listeners do (:0)
// and hands it to a server; another process taking it in between makes the
// server fail to start, which startServer reports.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer starts bin with a config file made of lines (port, dir and
// the log file are added) and waits until it answers PING.
func startServer(tb testing.TB, bin, name string, lines []string, extraArgs ...string) *Server {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	port := freePort(tb)
	conf := append([]string{
		"bind 127.0.0.1",
		"port " + strconv.Itoa(port),
		"dir " + dir,
		"logfile " + filepath.Join(dir, "redis.log"),
		"daemonize no",
	}, lines...)
	cf := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(cf, []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{cf}, extraArgs...)...)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, Dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	tb.Cleanup(s.Kill)
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	WaitFor(tb, name+" answers PING at "+s.Addr, 20*time.Second, func() bool {
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			tb.Fatalf("%s exited at start; its log:\n%s", name, log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err() == nil
	})
	return s
}

// Kill stops the server with SIGKILL (no shutdown, no save: a crash) and
// waits for the process to end. Idempotent.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead {
		return
	}
	s.dead = true
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Freeze stops the process (SIGSTOP): it keeps its connections but
// answers nothing, like a replica stuck behind a slow disk or network.
// Thaw resumes it.
func (s *Server) Freeze() { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen process (SIGCONT).
func (s *Server) Thaw() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }

// Log is the server's log file, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	return string(b)
}

// WaitFor polls cond until it holds, failing the test after limit (a
// generous bound: it only stops a test that would otherwise hang).
func WaitFor(tb testing.TB, what string, limit time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		<-tick.C
	}
}

// info reads one field of INFO section from addr ("" when unreachable).
func info(addr, section, field string) string {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := c.Info(ctx, section).Result()
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

// noPersistence keeps the private servers in memory only.
var noPersistence = []string{`save ""`, "appendonly no"}
