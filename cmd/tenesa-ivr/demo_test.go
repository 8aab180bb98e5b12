package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// syncBuffer is a bytes.Buffer safe to read while the demo writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoEnv points the demo at the test Redis under a fresh prefix, with
// free ports for its HTTP endpoints.
func demoEnv(t *testing.T) string {
	t.Helper()
	prefix := redistest.Prefix(t)
	t.Setenv("TENESA_REDIS_KEY_PREFIX", prefix)
	t.Setenv("TENESA_REDIS_ADDR", redistest.Addr())
	t.Setenv("TENESA_LOG_LEVEL", "warn")
	t.Setenv("TENESA_METRICS_LISTEN", "")
	t.Setenv("TENESA_AGENTAPI_LISTEN", "") // the demo takes free ports
	return prefix
}

// testCLIEnv is what run gives a command: the embedded defaults and the
// environment, logging to errw.
func testCLIEnv(out, errw *syncBuffer) *cliEnv {
	env := &cliEnv{Stdout: out, Stderr: errw, ConfigPath: func() string { return "" }}
	env.Load = func() (*configs.Config, zerolog.Logger, error) {
		cfg, err := manifest.Load("")
		if err != nil {
			return nil, zerolog.Nop(), err
		}
		return cfg, logging.New(errw, logging.Options{Level: cfg.Log.Level, Format: "json"}), nil
	}
	return env
}

// streamRecords reads the demo's records stream with the test's own client.
func streamRecords(t *testing.T, stream string) []router.Record {
	t.Helper()
	c := redistest.Client(t)
	msgs, err := c.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []router.Record
	for _, m := range msgs {
		var r router.Record
		if err := json.Unmarshal([]byte(m.Values["record"].(string)), &r); err != nil {
			t.Fatalf("record %s: %v", m.ID, err)
		}
		out = append(out, r)
	}
	return out
}

// expected is the test's own count of a report row from the records.
type expected struct {
	offered, answered, abandoned, inSL, selfServed, wrongSegment int
	wait                                                         float64
}

// TestDemoReportMatchesTheHandlingRecords runs the demo briefly at high
// speed on the real Redis and simulator and recomputes the report's
// figures (per queue, per segment, total) from the records in the Redis
// stream with the test's own arithmetic: offered is the number of records,
// answered, abandoned, self-served and wrong segment their outcomes, SL
// the answered within the queue's configured threshold, ASA their mean
// wait (sim seconds).
func TestDemoReportMatchesTheHandlingRecords(t *testing.T) {
	prefix := demoEnv(t)
	var out, errb syncBuffer
	o := demoOptions{calls: 14, speed: 20, rate: 8, seed: 7, every: time.Minute, drain: 10 * time.Minute}
	res, err := runDemo(context.Background(), testCLIEnv(&out, &errb), o)
	if err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	if res.prefix != prefix+"demo:" || res.stream != prefix+"demo:records" {
		t.Fatalf("prefix %q stream %q: want under %qdemo:", res.prefix, res.stream, prefix)
	}
	recs := streamRecords(t, res.stream)
	if len(recs) != o.calls || res.placed != o.calls {
		t.Fatalf("%d records in the stream, %d calls placed: want %d each", len(recs), res.placed, o.calls)
	}
	ids := map[string]bool{}
	for _, r := range recs {
		if ids[r.CallID] {
			t.Errorf("call %s has two records", r.CallID)
		}
		ids[r.CallID] = true
	}
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	byQueue, bySegment, total := map[string]*expected{}, map[string]*expected{}, &expected{}
	get := func(m map[string]*expected, k string) *expected {
		if m[k] == nil {
			m[k] = &expected{}
		}
		return m[k]
	}
	for _, r := range recs {
		seg := r.Segment
		if seg == "" {
			seg = "unidentified"
		}
		rows := []*expected{total, get(bySegment, seg)}
		if r.Queue != "" {
			rows = append(rows, get(byQueue, r.Queue))
		}
		wait := r.WaitSeconds * o.speed
		for _, e := range rows {
			e.offered++
			switch r.Outcome {
			case router.OutcomeAgentAnswered:
				e.answered++
				e.wait += wait
				if wait <= cfg.QueueSettings(r.Queue).ServiceLevel.Seconds() {
					e.inSL++
				}
			case router.OutcomeAbandonedQueue:
				e.abandoned++
			case router.OutcomeSelfServed:
				e.selfServed++
			case router.OutcomeWrongSegment:
				e.wrongSegment++
			}
		}
	}
	check := func(name string, got kpi, want *expected) {
		t.Helper()
		if got.Offered != want.offered || got.Answered != want.answered || got.AbandonedQueue != want.abandoned ||
			got.AnsweredInSL != want.inSL || got.SelfServed != want.selfServed || got.WrongSegment != want.wrongSegment {
			t.Errorf("%s: report %+v, records say offered %d answered %d abandoned %d in SL %d self-served %d wrong segment %d",
				name, got, want.offered, want.answered, want.abandoned, want.inSL, want.selfServed, want.wrongSegment)
		}
		sl := 1.0
		if want.answered+want.abandoned > 0 {
			sl = float64(want.inSL) / float64(want.answered+want.abandoned)
		}
		if got.ServiceLevel() != sl {
			t.Errorf("%s: SL %v, records say %v", name, got.ServiceLevel(), sl)
		}
		if want.answered > 0 && abs(got.ASA()-want.wait/float64(want.answered)) > 1e-6 {
			t.Errorf("%s: ASA %v, records say %v", name, got.ASA(), want.wait/float64(want.answered))
		}
	}
	check("total", res.report.Total, total)
	for q, want := range byQueue {
		got := res.report.Queues[q]
		if got == nil {
			t.Errorf("queue %s missing from the report", q)
			continue
		}
		check("queue "+q, *got, want)
	}
	for s, want := range bySegment {
		got := res.report.Segments[s]
		if got == nil {
			t.Errorf("segment %s missing from the report", s)
			continue
		}
		check("segment "+s, *got, want)
	}
	if len(res.report.Segments) != len(bySegment) {
		t.Errorf("report segments %d, records have %d", len(res.report.Segments), len(bySegment))
	}
	s := out.String()
	totalRow := regexp.MustCompile(fmt.Sprintf(`(?m)^\s*TOTAL\s+%d\s+%d\s+%d\s`, total.offered, total.answered, total.abandoned))
	if !totalRow.MatchString(s) {
		t.Errorf("printed TOTAL row does not say offered %d answered %d abandoned %d:\n%s", total.offered, total.answered, total.abandoned, s)
	}
	if !strings.Contains(s, fmt.Sprintf("%d calls reached the controller, %d handling records.", o.calls, o.calls)) {
		t.Errorf("closing line missing:\n%s", s)
	}
	if regexp.MustCompile(`\+62\d{6,}|08\d{8,}`).MatchString(s + errb.String()) {
		t.Errorf("an unmasked phone number was printed:\n%s\n%s", s, errb.String())
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestDemoPrintsProgressLinesWithoutATerminal: through the cobra command,
// with stdout not a terminal, the demo prints plain progress lines (no
// cursor movement), the addresses and tokens, and the report.
func TestDemoPrintsProgressLinesWithoutATerminal(t *testing.T) {
	demoEnv(t)
	var out, errb bytes.Buffer
	code := run([]string{"demo", "--calls", "6", "--rate", "6", "--speed", "20", "--progress-every", "20s",
		"--redis", redistest.Addr()}, &out, &errb)
	s := out.String()
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, s, errb.String())
	}
	lines := regexp.MustCompile(`(?m)^\[sim \d\d:\d\d:\d\d\] placed \d+, in progress \d+, records \d+ \| waiting \d+`).FindAllString(s, -1)
	if len(lines) < 2 {
		t.Errorf("%d progress lines, want several:\n%s", len(lines), s)
	}
	if strings.Contains(s, "\x1b[") {
		t.Errorf("terminal escape sequences in non-terminal output:\n%q", s)
	}
	for _, want := range []string{"Redis at " + redistest.Addr() + " (--redis)", "agent desktop  http://127.0.0.1:",
		"leader board   http://127.0.0.1:", "/board", "token    demo-", "metrics        http://127.0.0.1:",
		"KPI report from the 6 handling records", "6 calls reached the controller, 6 handling records."} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

// TestDemoCancelledEndsCleanlyWithAReport: cancelling the demo (the
// Ctrl-C path) while calls are in progress hangs them up, writes one
// record per call, prints the report and leaves no goroutine behind.
func TestDemoCancelledEndsCleanlyWithAReport(t *testing.T) {
	demoEnv(t)
	ignore := goleak.IgnoreCurrent()
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		res *demoResult
		err error
	}
	done := make(chan result, 1)
	o := demoOptions{duration: 10 * time.Hour, speed: 20, rate: 12, seed: 3, every: 10 * time.Second, drain: 10 * time.Minute}
	go func() {
		res, err := runDemo(ctx, testCLIEnv(&out, &errb), o)
		done <- result{res, err}
	}()
	busy := regexp.MustCompile(`in progress ([3-9]|\d\d)`)
	deadline := time.After(2 * time.Minute)
	for !busy.MatchString(out.String()) {
		select {
		case r := <-done:
			t.Fatalf("demo ended before it was cancelled: %v\n%s", r.err, out.String())
		case <-deadline:
			t.Fatalf("never three calls in progress:\n%s\n%s", out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	checkPagesWhileRunning(t, out.String())
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("demo did not end after cancel:\n%s", out.String())
	}
	if r.err != nil {
		t.Fatalf("demo: %v\n%s\n%s", r.err, out.String(), errb.String())
	}
	s := out.String()
	if !strings.Contains(s, "stopping: hanging up the calls in progress") || !strings.Contains(s, "KPI report from the") {
		t.Errorf("no stop notice or report:\n%s", s)
	}
	if r.res.placed < 3 || len(r.res.records) != r.res.placed {
		t.Errorf("%d calls placed, %d records", r.res.placed, len(r.res.records))
	}
	goleak.VerifyNone(t, ignore)
}

// checkPagesWhileRunning opens what the demo printed: /metrics answers
// with the controller's series, the desktop page is served, and the
// printed agent token signs in as that agent, logged in to the pool.
func checkPagesWhileRunning(t *testing.T, s string) {
	t.Helper()
	find := func(re string) []string {
		m := regexp.MustCompile(re).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("output lacks %s:\n%s", re, s)
		}
		return m
	}
	metricsURL := find(`metrics\s+(http://\S+)`)[1]
	desk := find(`agent desktop\s+(http://\S+/)`)[1]
	agent := find(`agent (\S+) \(.*\) token\s+(\S+)`)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	get := func(url, token string) (int, string, string) {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	if code, _, body := get(metricsURL, ""); code != 200 || !strings.Contains(body, "tenesa_active_calls") {
		t.Errorf("GET %s: %d, tenesa_active_calls in body: %v", metricsURL, code, strings.Contains(body, "tenesa_active_calls"))
	}
	if code, ct, _ := get(desk, ""); code != 200 || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET %s: %d %s, want the desktop page", desk, code, ct)
	}
	code, _, body := get(desk+"api/v1/me", agent[2])
	var me struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	_ = json.Unmarshal([]byte(body), &me)
	if code != 200 || me.ID != agent[1] || me.State == "" || me.State == "logged_out" {
		t.Errorf("GET /api/v1/me with the printed token of agent %s: %d %s", agent[1], code, body)
	}
}

// TestDemoPrivateRedisIsStartedAndStopped: --redis private runs the demo on
// a redis-server of its own, says so, and stops it and removes its folder
// at the end.
func TestDemoPrivateRedisIsStartedAndStopped(t *testing.T) {
	demoEnv(t)
	var out, errb bytes.Buffer
	code := run([]string{"demo", "--calls", "3", "--rate", "6", "--speed", "20", "--redis", "private"}, &out, &errb)
	s := out.String()
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, s, errb.String())
	}
	m := regexp.MustCompile(`private redis-server on (127\.0\.0\.1:\d+) \(temporary folder (\S+),`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("output does not name the private redis-server:\n%s", s)
	}
	if !strings.Contains(s, "3 calls reached the controller, 3 handling records.") {
		t.Errorf("no report of 3 records:\n%s", s)
	}
	if c, err := net.DialTimeout("tcp", m[1], time.Second); err == nil {
		c.Close()
		t.Errorf("the private redis-server on %s still answers after the demo", m[1])
	}
	if _, err := os.Stat(m[2]); !os.IsNotExist(err) {
		t.Errorf("the private redis-server's folder %s is still there (%v)", m[2], err)
	}
}

// TestDemoWallboardRedrawsInPlaceOnATerminal: on a terminal the demo draws
// the wallboard (queues, agents, SOP figures) and redraws it over itself
// (cursor up, clear below) instead of printing progress lines; its logs go
// to a file so they do not tear the board.
func TestDemoWallboardRedrawsInPlaceOnATerminal(t *testing.T) {
	demoEnv(t)
	var out, errb syncBuffer
	o := demoOptions{calls: 4, speed: 20, rate: 6, seed: 5, every: time.Minute, drain: 10 * time.Minute, tty: true}
	_, err := runDemo(context.Background(), testCLIEnv(&out, &errb), o)
	s := out.String()
	if m := regexp.MustCompile(`Logs: (\S+)`).FindStringSubmatch(s); m != nil {
		t.Cleanup(func() { os.Remove(m[1]) })
	} else {
		t.Errorf("no log file named:\n%s", s)
	}
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, s)
	}
	frames := strings.Count(s, "TENESA wallboard")
	redraws := len(regexp.MustCompile(`\x1b\[\d+A\x1b\[J`).FindAllString(s, -1))
	if frames < 2 || redraws != frames-1 {
		t.Errorf("%d wallboards, %d redraws over the previous one: want several, each after the first redrawn in place", frames, redraws)
	}
	for _, want := range []string{"QUEUE", "WAITING", "OLDEST", "AGENTS  available", "SOP     greeting to standard",
		"segmentation conformity", "needs recorded", "KPI report from the 4 handling records"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(s, "[sim ") {
		t.Errorf("progress lines printed on a terminal")
	}
}

// TestCleanDemoKeysDeletesOnlyUnderThePrefix: the demo's clean-up at start
// deletes the keys under its prefix and nothing else, even when the prefix
// holds Redis glob characters ("[1]" must not match "1").
func TestCleanDemoKeysDeletesOnlyUnderThePrefix(t *testing.T) {
	base := redistest.Prefix(t)
	c := redistest.Client(t)
	ctx := context.Background()
	demo := base + "d[1]*:"
	mine := []string{demo + "a", demo + "records", demo + "acd:{main}:agents"}
	others := []string{base + "d1x:a", base + "d[1]x", base + "other", base + "d[1]"}
	for _, k := range append(append([]string{}, mine...), others...) {
		if err := c.Set(ctx, k, "1", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	n, err := cleanDemoKeys(ctx, c, demo)
	if err != nil || n != len(mine) {
		t.Fatalf("cleaned %d (%v), want %d", n, err, len(mine))
	}
	for _, k := range mine {
		if c.Exists(ctx, k).Val() != 0 {
			t.Errorf("%s still there", k)
		}
	}
	for _, k := range others {
		if c.Exists(ctx, k).Val() != 1 {
			t.Errorf("%s was deleted: it is not under %q", k, demo)
		}
	}
	if _, err := cleanDemoKeys(ctx, c, ""); err == nil {
		t.Error("an empty prefix was accepted")
	}
}
