// Package promtest runs a real Prometheus server (the binary of Debian's
// prometheus package) for end-to-end tests: a temporary config and storage,
// a free loopback port, the project's rule files, and queries through its
// HTTP API.
package promtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/internal/promcheck"
)

// Options configure a server.
type Options struct {
	Target   string   // host:port of the /metrics endpoint to scrape
	Rules    []string // rule files (absolute paths or globs)
	Interval time.Duration
}

// Server is a running Prometheus.
type Server struct {
	URL  string
	opts Options
}

// logBuffer keeps Prometheus's output for the test log on failure.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start runs Prometheus until the test ends; it fails the test when the
// binary is missing or the server does not become ready.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin, err := promcheck.Binary("prometheus")
	if err != nil {
		t.Fatal(err)
	}
	if o.Interval == 0 {
		o.Interval = time.Second
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  evaluation_interval: %[1]s
rule_files: [%[2]s]
scrape_configs:
  - job_name: tenesa-ivr
    static_configs:
      - targets: [%[3]q]
`, o.Interval, quoteAll(o.Rules), o.Target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// A free port: the kernel picks one, Prometheus takes it over. Another
	// process may grab it in between; then Prometheus exits and we retry.
	for attempt := 1; ; attempt++ {
		addr, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		logs := &logBuffer{}
		cmd := exec.Command(bin, "--config.file="+cfgPath,
			"--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data%d", attempt)),
			"--web.listen-address="+addr, "--log.level=warn")
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		s := &Server{URL: "http://" + addr, opts: o}
		err = s.waitReady(exited)
		if err == nil {
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
				}
				if t.Failed() {
					t.Logf("prometheus output:\n%s", logs)
				}
			})
			return s
		}
		_ = cmd.Process.Kill()
		<-exited
		if attempt == 3 {
			t.Fatalf("prometheus did not start: %v\n%s", err, logs)
		}
	}
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady polls /-/ready until it answers 200, the process exits, or 30 s.
func (s *Server) waitReady(exited <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("prometheus exited: %v", err)
		default:
		}
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond) // polling an outside process's readiness
	}
	return errors.New("not ready within 30s")
}

// Sample is one element of an instant vector.
type Sample struct {
	Labels map[string]string
	Time   time.Time
	Value  float64
}

// Query runs an instant query now.
func (s *Server) Query(ctx context.Context, expr string) ([]Sample, error) {
	return s.QueryAt(ctx, expr, time.Time{})
}

// QueryAt runs an instant query evaluated at at (now when at is zero): a
// recorded series queried at one of its rule evaluation times gives the
// value that evaluation recorded.
func (s *Server) QueryAt(ctx context.Context, expr string, at time.Time) ([]Sample, error) {
	q := url.Values{"query": {expr}}
	if !at.IsZero() {
		q.Set("time", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/query?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", expr, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: result type %s, want vector", expr, body.Data.ResultType)
	}
	out := make([]Sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		ts, _ := r.Value[0].(float64)
		vs, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(vs, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %q: %w", expr, vs, err)
		}
		out = append(out, Sample{Labels: r.Metric, Time: time.UnixMilli(int64(ts * 1000)), Value: v})
	}
	return out, nil
}

// Scalar runs a query that must return exactly one sample and returns its value.
func (s *Server) Scalar(ctx context.Context, expr string) (float64, error) {
	return s.ScalarAt(ctx, expr, time.Time{})
}

// ScalarAt is Scalar evaluated at at (QueryAt).
func (s *Server) ScalarAt(ctx context.Context, expr string, at time.Time) (float64, error) {
	v, err := s.QueryAt(ctx, expr, at)
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("query %s: %d samples, want 1", expr, len(v))
	}
	return v[0].Value, nil
}

// WaitFor polls expr (once per scrape interval) until cond holds on its
// result, or fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, what, expr string, timeout time.Duration, cond func([]Sample) bool) []Sample {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(s.opts.Interval / 4)
	defer tick.Stop()
	var last []Sample
	var lastErr error
	for {
		v, err := s.Query(ctx, expr)
		if err == nil && cond(v) {
			return v
		}
		last, lastErr = v, err
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s (%s): last %v %v", what, expr, last, lastErr)
			return nil
		case <-tick.C:
		}
	}
}
