package arisim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// replayScale runs the recordings 5x faster than real time (the files run
// in parallel; the smallest timing margin, 0.8 s sim in 10, stays 160 ms).
const replayScale = 0.2

// transcriptDir holds the recordings from a real Asterisk 22.10.1 (with
// their README of facts and the extensions.conf they were recorded with),
// copied byte for byte into the repository: the simulator's behaviour is
// tested against them.
const transcriptDir = "testdata/transcripts"

// replayed lists the transcripts the simulator replays.
var replayed = []string{
	"01-sip-inbound-greeting-dtmf",
	"02-local-inbound-greeting-hangup",
	"03-caller-hangs-up-during-playback",
	"04-dtmf-bargein-and-digits",
	"05-queue-hold-then-agent-bridge",
	"06-caller-hangs-up-while-bridged",
	"07-agent-no-answer",
	"08-channel-moh-ring-variables",
	"09-rest-errors",
	"10-websocket-drop-and-reconnect",
	"11-second-connection-same-app",
	"12-app-not-connected",
	"13-local-rig-caller-answers-first",
	"14-broadcast-claim",
	"15-broadcast-no-claim",
	"16-broadcast-app-filter",
	"17-broadcast-claim-after-hangup",
	"18-broadcast-claim-notify",
	"19-broadcast-claim-errors",
	"20-commands-queue-behind-playback",
}

// notReplayedYet lists the transcripts that are recorded but not replayed,
// each with the reason. Their events still teach the key orders.
var notReplayedYet = map[string]string{}

// transcriptFiles is every recording in transcriptDir, by name.
func transcriptFiles(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(transcriptDir, "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in %s: %v", transcriptDir, err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[strings.TrimSuffix(filepath.Base(f), ".jsonl")] = f
	}
	return out
}

// Every recording is either replayed or listed with the reason it is not:
// a transcript added to testdata cannot silently escape the replay.
func TestEveryTranscriptIsReplayedOrListedWithAReason(t *testing.T) {
	files := transcriptFiles(t)
	for name := range files {
		_, waiting := notReplayedYet[name]
		if slices.Contains(replayed, name) == waiting {
			if waiting {
				t.Errorf("%s is both replayed and listed as not replayed yet", name)
			} else {
				t.Errorf("%s.jsonl is in %s but neither replayed nor listed in notReplayedYet with a reason", name, transcriptDir)
			}
		}
	}
	for _, name := range replayed {
		if _, ok := files[name]; !ok {
			t.Errorf("replayed transcript %s has no file in %s", name, transcriptDir)
		}
	}
	for name, reason := range notReplayedYet {
		if _, ok := files[name]; !ok {
			t.Errorf("transcript %s listed as not replayed yet has no file in %s", name, transcriptDir)
		}
		if strings.TrimSpace(reason) == "" {
			t.Errorf("transcript %s is not replayed and gives no reason", name)
		}
	}
}

type record struct {
	TMs     int64             `json:"t_ms"`
	Kind    string            `json:"kind"`
	Socket  string            `json:"socket"`
	Event   json.RawMessage   `json:"event"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   map[string]any    `json:"query"`
	Body    json.RawMessage   `json:"body"`
	Auth    string            `json:"auth"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Note    string            `json:"note"`
}

func loadRecords(t *testing.T, path string) []record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []record
	for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		out = append(out, r)
	}
	return out
}

// labeler gives channels stable labels on one side (recorded or simulated):
// the name without Asterisk's hex counter plus the order of first
// appearance among channels of that shape.
type labeler struct {
	mu      sync.Mutex
	byID    map[string]string
	byLabel map[string]string
	counts  map[string]int
}

func newLabeler() *labeler {
	return &labeler{byID: map[string]string{}, byLabel: map[string]string{}, counts: map[string]int{}}
}

var hexCounter = regexp.MustCompile(`-[0-9a-f]{8}(;[12])?`)

// normName also hides a channel id inside a name (Snoop/<id>-N, 20).
func normName(n string) string {
	return recordedID.ReplaceAllString(hexCounter.ReplaceAllString(n, "-X$1"), "ID")
}

func (l *labeler) add(id, name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lb, ok := l.byID[id]; ok {
		return lb
	}
	n := normName(name)
	l.counts[n]++
	lb := fmt.Sprintf("%s#%d", n, l.counts[n])
	l.byID[id] = lb
	l.byLabel[lb] = id
	return lb
}

func (l *labeler) label(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lb, ok := l.byID[id]; ok {
		return lb
	}
	return id
}

func (l *labeler) id(label string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.byLabel[label]
	return id, ok
}

// registerChannels labels every channel object found in an event or body.
func (l *labeler) registerChannels(v any) {
	switch x := v.(type) {
	case map[string]any:
		if id, ok := x["id"].(string); ok {
			if name, ok := x["name"].(string); ok && x["state"] != nil {
				l.add(id, name)
			}
		}
		for _, e := range x {
			l.registerChannels(e)
		}
	case []any:
		for _, e := range x {
			l.registerChannels(e)
		}
	}
}

// summary is the comparable part of one event and the key it is grouped by.
func summarize(l *labeler, raw []byte) (key, sum string, err error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", "", err
	}
	l.registerChannels(m)
	typ, _ := m["type"].(string)
	parts := []string{typ}
	add := func(k string, v any) { parts = append(parts, fmt.Sprintf("%s=%v", k, v)) }
	chanOf := func(k string) map[string]any { c, _ := m[k].(map[string]any); return c }
	for _, k := range []string{"cause", "soft", "cause_txt", "variable", "digit", "duration_ms", "dialstatus", "dialstring", "dialplan_app", "dialplan_app_data", "application"} {
		if v, ok := m[k]; ok {
			add(k, v)
		}
	}
	if v, ok := m["value"].(string); ok {
		add("value", normName(v))
	}
	if args, ok := m["args"].([]any); ok {
		var as []string
		for _, a := range args {
			as = append(as, l.label(fmt.Sprint(a)))
		}
		add("args", strings.Join(as, ","))
	}
	if ds, ok := m["device_state"].(map[string]any); ok {
		key = fmt.Sprintf("device:%v", ds["name"])
		add("state", ds["state"])
	}
	if pb := chanOf("playback"); pb != nil {
		key = fmt.Sprintf("playback:%v", pb["id"])
		add("media", pb["media_uri"])
		add("next", pb["next_media_uri"])
		add("pbstate", pb["state"])
		kind, id, _ := strings.Cut(fmt.Sprint(pb["target_uri"]), ":")
		add("target", kind+":"+l.label(id))
	}
	if b := chanOf("bridge"); b != nil {
		var chans []string
		for _, c := range b["channels"].([]any) {
			chans = append(chans, l.label(fmt.Sprint(c)))
		}
		add("bridge", fmt.Sprintf("%v/%v/%v/[%s]", b["id"], b["technology"], b["bridge_type"], strings.Join(chans, " ")))
		if key == "" {
			key = fmt.Sprintf("bridge:%v", b["id"])
		}
	}
	for _, k := range []string{"channel", "peer"} {
		if c := chanOf(k); c != nil {
			key = "channel:" + l.label(c["id"].(string))
			add("state", c["state"])
			if dp, ok := c["dialplan"].(map[string]any); ok {
				add("dp", fmt.Sprintf("%v/%v/%v", dp["context"], dp["exten"], dp["app_name"]))
			}
			break
		}
	}
	if key == "" {
		key = "app:" + fmt.Sprint(m["application"])
	}
	return key, strings.Join(parts, " "), nil
}

// topKeys lists the top-level keys of a JSON object in order.
func topKeys(raw []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}

var recordedID = regexp.MustCompile(`\d{9,}\.\d+(;2)?`)

// replayer drives one transcript against a simulator.
type replayer struct {
	t       *testing.T
	s       *Server
	recs    []record
	recLab  *labeler
	simLab  *labeler
	sockets map[string]*eventSocket
	simMsgs map[string][][]byte // events of closed sockets, per label
	seen    map[*eventSocket]int
	stopped map[string]bool // playback ids the controller DELETEd
	start   time.Time
	latency time.Duration // sim time the last request took (20's notes)
	// frozen: the replayer drives the simulator's clock (14–19). Sim time
	// stands still while the replayer works and moves to each record's
	// t_ms before it is replayed, so a request lands at its recorded sim
	// instant relative to the simulator's timers (17's claim 22 ms after
	// the hang-up, inside StasisBroadcast's 200 ms check gap) however
	// loaded the machine is. simStart is the sim instant of t_ms 0.
	frozen   bool
	simStart time.Time
}

// socketNote matches a note about one socket: "socket A: …" (A, B, and in
// 14–19 also C and the observer O).
var socketNote = regexp.MustCompile(`^socket ([A-Z])\b`)

func socketLabel(note string) string {
	if m := socketNote.FindStringSubmatch(note); m != nil {
		return m[1]
	}
	return ""
}

var eventsQuery = regexp.MustCompile(`GET /ari/events\?(\S+)`)

// syncSimLabels labels the channels of simulated events received so far.
func (r *replayer) syncSimLabels() {
	for _, ws := range r.sockets {
		if ws == nil {
			continue
		}
		msgs := ws.all()
		for _, raw := range msgs[r.seen[ws]:] {
			var m any
			if json.Unmarshal(raw, &m) == nil {
				r.simLab.registerChannels(m)
			}
		}
		r.seen[ws] = len(msgs)
	}
}

func (r *replayer) rewrite(s string) string {
	r.syncSimLabels()
	return recordedID.ReplaceAllStringFunc(s, func(id string) string {
		if sim, ok := r.simLab.id(r.recLab.label(id)); ok {
			return sim
		}
		return id
	})
}

func (r *replayer) simCount(label string) int {
	n := len(r.simMsgs[label])
	if ws := r.sockets[label]; ws != nil {
		n += ws.count()
	}
	return n
}

// barrier waits until the simulator has sent at least as many events on
// every socket as the recording shows before record i.
func (r *replayer) barrier(want map[string]int, what string) {
	r.t.Helper()
	for label, n := range want {
		ws := r.sockets[label]
		if ws == nil {
			continue
		}
		base := len(r.simMsgs[label])
		// With a frozen clock this only waits for delivery: the events are
		// due by the recorded instant or they never come.
		if !ws.waitFor(5*time.Second, func(m [][]byte) bool { return base+len(m) >= n }) {
			r.t.Errorf("before %s: socket %q got %d events, recording had %d", what, label, r.simCount(label), n)
		}
	}
}

func (r *replayer) sleepUntil(tms int64) {
	if r.frozen {
		r.s.advanceClockTo(r.simStart.Add(time.Duration(tms) * time.Millisecond))
		return
	}
	d := time.Until(r.start.Add(time.Duration(float64(tms) * float64(time.Millisecond) * replayScale)))
	if d > 0 {
		tm := time.NewTimer(d)
		<-tm.C
	}
}

func (r *replayer) run() {
	t := r.t
	recCount := map[string]int{}
	var recEvents = map[string][][]byte{}
	var pendingReq *record
	var pendingResp *http.Response
	var pendingBody []byte
	r.start = time.Now()
	if r.frozen {
		r.simStart = r.s.freezeClock()
	}
	for i := range r.recs {
		rec := &r.recs[i]
		switch rec.Kind {
		case "event":
			recCount[rec.Socket]++
			recEvents[rec.Socket] = append(recEvents[rec.Socket], rec.Event)
			var m any
			_ = json.Unmarshal(rec.Event, &m)
			r.recLab.registerChannels(m)
			continue
		case "note":
			label := socketLabel(rec.Note)
			r.checkLatency(rec.Note)
			switch {
			case strings.Contains(rec.Note, "websocket connected"):
				q := eventsQuery.FindStringSubmatch(rec.Note)
				if q == nil {
					t.Fatalf("cannot parse %q", rec.Note)
				}
				// No barrier here: the connect itself causes events that the
				// recording lists before this note (ApplicationReplaced, 11).
				r.sleepUntil(rec.TMs)
				if old := r.sockets[label]; old != nil {
					r.simMsgs[label] = append(r.simMsgs[label], old.all()...)
				}
				r.sockets[label] = dialEvents(t, r.s, q[1])
				waitSocket(t, r.s, q[1])
			case strings.Contains(rec.Note, "websocket closed"):
				r.sleepUntil(rec.TMs)
				r.barrier(recCount, rec.Note)
				ws := r.sockets[label]
				r.syncSimLabels()
				ws.close()
				r.simMsgs[label] = append(r.simMsgs[label], ws.all()...)
				r.sockets[label] = nil
			}
			continue
		case "trigger":
			if rec.Method != "" {
				pendingReq = rec
				r.sleepUntil(rec.TMs)
				r.barrier(recCount, "trigger")
				pendingResp, pendingBody = r.do(rec)
				var m any
				if json.Unmarshal(pendingBody, &m) == nil {
					r.simLab.registerChannels(m)
				}
				continue
			}
			if rec.Status != 0 && pendingReq != nil {
				var m any
				_ = json.Unmarshal(rec.Body, &m)
				r.recLab.registerChannels(m)
				if pendingResp.StatusCode != rec.Status {
					t.Errorf("trigger: status %d, recorded %d (%s)", pendingResp.StatusCode, rec.Status, pendingBody)
				}
				pendingReq = nil
				continue
			}
			if strings.Contains(rec.Note, "baresip dials") {
				r.sleepUntil(rec.TMs)
				if _, err := r.s.PlaceCall(Caller{Tech: "PJSIP", Number: "caller1", Script: []Step{Wait(700 * time.Millisecond), Press("1")}}); err != nil {
					t.Fatal(err)
				}
			}
			continue
		case "request":
			if rec.Method == "DELETE" && strings.HasPrefix(rec.Path, "/ari/playbacks/") {
				r.stopped[strings.TrimPrefix(rec.Path, "/ari/playbacks/")] = true
			}
			r.sleepUntil(rec.TMs)
			r.barrier(recCount, rec.Method+" "+rec.Path)
			pendingReq = rec
			sent := time.Now()
			pendingResp, pendingBody = r.do(rec)
			r.latency = time.Duration(float64(time.Since(sent)) / replayScale)
			var m any
			if json.Unmarshal(pendingBody, &m) == nil {
				r.simLab.registerChannels(m)
			}
		case "response":
			if pendingReq == nil {
				t.Fatalf("response without request at t=%d", rec.TMs)
			}
			var m any
			_ = json.Unmarshal(rec.Body, &m)
			r.recLab.registerChannels(m)
			r.compareResponse(pendingReq, rec, pendingResp, pendingBody)
			pendingReq = nil
		}
	}
	for label, ws := range r.sockets {
		if ws != nil {
			r.barrier(recCount, "end")
			r.simMsgs[label] = append(r.simMsgs[label], ws.all()...)
		}
	}
	r.compareEvents(recEvents)
}

var (
	waitedNote = regexp.MustCompile(`: returned after (\d+) ms \(waited for the playback\)`)
	atOnceNote = regexp.MustCompile(`: returned at once`)
)

// checkLatency compares the sim time of the last request with a note of
// transcript 20: "returned after N ms (waited for the playback)" (held by
// the channel's control queue) or "returned at once". The latency is
// measured by the replayer's wall clock, so it carries the test machine's
// scheduling delays multiplied by 1/replayScale; the bounds only have to
// tell a held request (15 s in 20) from one that returns at once, and
// exactness is checked where it belongs: the hold ends with the
// PlaybackFinished that compareEvents orders and compareTiming times.
func (r *replayer) checkLatency(note string) {
	if m := waitedNote.FindStringSubmatch(note); m != nil {
		var ms int64
		fmt.Sscan(m[1], &ms)
		want := time.Duration(ms) * time.Millisecond
		if r.latency < want/2 || r.latency > want+want/2+time.Second {
			r.t.Errorf("%s: the request took %v (sim), want it held about %v", note, r.latency, want)
		}
		return
	}
	if atOnceNote.MatchString(note) && r.latency > atOnceBound {
		r.t.Errorf("%s: the request took %v (sim), want it answered at once (a held one takes seconds)", note, r.latency)
	}
}

// atOnceBound is the longest sim latency taken for "at once": Asterisk
// answers in under a millisecond, a held request of 20 takes 15 s.
const atOnceBound = 3 * time.Second

func waitSocket(t *testing.T, s *Server, query string) {
	t.Helper()
	v, _ := url.ParseQuery(query)
	app := strings.Split(v.Get("app"), ",")[0]
	deadline := time.Now().Add(5 * time.Second)
	for s.ActiveSockets(app) == 0 || !s.isCurrentNewest(app) {
		if time.Now().After(deadline) {
			t.Fatalf("socket for %s never registered", app)
		}
		time.Sleep(time.Millisecond) // polling a condition, not synchronising on time
	}
}

func (r *replayer) do(rec *record) (*http.Response, []byte) {
	t := r.t
	q := url.Values{}
	for k, v := range rec.Query {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				q.Add(k, r.rewrite(fmt.Sprint(e)))
			}
		default:
			q.Add(k, r.rewrite(fmt.Sprint(x)))
		}
	}
	u := "http://" + r.s.Addr() + r.rewrite(rec.Path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if len(rec.Body) > 0 && string(rec.Body) != "null" {
		body = strings.NewReader(r.rewrite(string(rec.Body)))
	}
	req, err := http.NewRequest(rec.Method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case rec.Auth == "none":
	case strings.Contains(rec.Auth, "wrong"):
		req.SetBasicAuth(testUser, "wrong")
	default:
		req.SetBasicAuth(testUser, testPass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rec.Method, u, err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp, b
}

func (r *replayer) compareResponse(req, rec *record, resp *http.Response, body []byte) {
	t := r.t
	what := fmt.Sprintf("t=%d %s %s %v", req.TMs, req.Method, req.Path, req.Query)
	if resp.StatusCode != rec.Status {
		t.Errorf("%s: status %d (%s), recorded %d (%s)", what, resp.StatusCode, body, rec.Status, rec.Body)
		return
	}
	if rec.Status >= 400 {
		var got, want map[string]any
		_ = json.Unmarshal(body, &got)
		_ = json.Unmarshal(rec.Body, &want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: body %s, recorded %s", what, body, rec.Body)
		}
		if rec.Status == 401 && resp.Header.Get("WWW-Authenticate") != `Basic realm="Asterisk REST Interface"` {
			t.Errorf("%s: WWW-Authenticate %q", what, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if rec.Status < 300 && len(rec.Body) > 0 && string(rec.Body) != "null" {
		var got, want any
		_ = json.Unmarshal(body, &got)
		_ = json.Unmarshal(rec.Body, &want)
		g, _ := json.Marshal(normalize(r.simLab, got, ""))
		w, _ := json.Marshal(normalize(r.recLab, want, ""))
		if !bytes.Equal(g, w) {
			t.Errorf("%s: body differs\n got  %s\n want %s", what, g, w)
		}
		if gk, wk := topKeys(body), topKeys(rec.Body); strings.Join(gk, ",") != strings.Join(wk, ",") {
			t.Errorf("%s: key order %v, recorded %v", what, gk, wk)
		}
	}
	if loc := rec.Headers["Location"]; loc != "" && resp.Header.Get("Location") != loc {
		t.Errorf("%s: Location %q, recorded %q", what, resp.Header.Get("Location"), loc)
	}
	if strings.HasSuffix(req.Path, "/variable") && req.Method == "GET" && rec.Status == 200 && !bytes.Equal(bytes.TrimSpace(body), mustCompact(rec.Body)) {
		t.Errorf("%s: body %s, recorded %s", what, body, rec.Body)
	}
}

// normalize replaces what legitimately differs between Asterisk and the
// simulator in a response body: channel ids (by label), Local/PJSIP name
// counters, timestamps, SIP Call-IDs and the redacted build details. The
// "state" of a play response is "queued" or "playing" depending on a race
// in Asterisk (04 and 13 show "playing"), so it is not compared.
func normalize(l *labeler, v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			switch k {
			case "creationtime", "timestamp", "startup_time", "last_reload_time", "protocol_id", "build":
				out[k] = "*"
			case "state":
				if _, ok := x["media_uri"]; ok {
					out[k] = "*"
					continue
				}
				out[k] = e
			default:
				out[k] = normalize(l, e, k)
			}
		}
		return out
	case []any:
		// Asterisk lists channels from a hash container: any order.
		type item struct {
			v   any
			key string
		}
		items := make([]item, len(x))
		objects := true
		for i, e := range x {
			v := normalize(l, e, key)
			b, _ := json.Marshal(v)
			items[i] = item{v, string(b)}
			_, ok := v.(map[string]any)
			objects = objects && ok
		}
		if objects {
			sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
		}
		out := make([]any, len(items))
		for i, it := range items {
			out[i] = it.v
		}
		return out
	case string:
		if key == "name" || key == "value" {
			return normName(x)
		}
		if key == "target_uri" {
			kind, id, _ := strings.Cut(x, ":")
			return kind + ":" + l.label(id)
		}
		return l.label(x)
	}
	return v
}

func mustCompact(b []byte) []byte {
	var out bytes.Buffer
	_ = json.Compact(&out, b)
	return out.Bytes()
}

// keyOrders maps event type to the recorded top-level key order; filled
// before the subtests start, read-only afterwards.
var keyOrders = map[string][]string{}

func (r *replayer) compareEvents(recEvents map[string][][]byte) {
	t := r.t
	labels := map[string]bool{}
	for l := range recEvents {
		labels[l] = true
	}
	for l := range r.simMsgs {
		labels[l] = true
	}
	for label := range labels {
		recBy, recOrder, recTimes := r.group(r.recLab, recEvents[label], true)
		simBy, simOrder, simTimes := r.group(r.simLab, r.simMsgs[label], false)
		keys := map[string]bool{}
		for _, k := range append(recOrder, simOrder...) {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			want, got := recBy[k], simBy[k]
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("socket %q, %s: events differ\nrecorded:\n  %s\nsimulated:\n  %s", label, k,
					strings.Join(want, "\n  "), strings.Join(got, "\n  "))
				continue
			}
			compareTiming(t, label, k, want, recTimes[k], simTimes[k], r.stopped)
		}
	}
}

// timingSlack is how far (sim time) a delay may differ from the
// recording (Asterisk's own jitter and its Wait() granularity).
func timingSlack(d time.Duration) time.Duration {
	return 150*time.Millisecond + d/20
}

// compareTiming checks the sim-time delays the simulator itself produces
// against the recording: prompt lengths (PlaybackStarted → Continuing or
// Finished done, unless the controller stopped it), the caller script
// (answer → DTMF → DTMF, answer → caller hangup) and the originate timeout
// (first event of the agent leg → ChannelDestroyed 19), StasisBroadcast's
// timeout and hang-up check (STASISSTATUS "" → TIMEOUT) and the Wait(1)
// of [broadcast-in]. Delays that depend
// on when the controller's requests arrive are not compared: they measure
// the replay, not the simulator.
func compareTiming(t *testing.T, label, key string, sums []string, rec, sim []time.Time, stopped map[string]bool) {
	t.Helper()
	anchorOf := func(i int) int {
		sum := sums[i]
		last := func(prefix string) int {
			for j := i - 1; j >= 0; j-- {
				if strings.HasPrefix(sums[j], prefix) {
					return j
				}
			}
			return -1
		}
		switch {
		case strings.HasPrefix(sum, "PlaybackContinuing"),
			strings.HasPrefix(sum, "PlaybackFinished") && strings.Contains(sum, "pbstate=done"):
			if stopped[strings.TrimPrefix(key, "playback:")] {
				return -1
			}
			return last("PlaybackStarted")
		case strings.HasPrefix(sum, "ChannelDtmfReceived"):
			if j := last("ChannelDtmfReceived"); j >= 0 {
				return j
			}
			return last("ChannelStateChange")
		case strings.HasPrefix(sum, "ChannelHangupRequest cause=16 application") && strings.Contains(sum, "/Stasis"):
			return last("ChannelStateChange")
		case strings.HasPrefix(sum, "ChannelDestroyed cause=19"):
			return 0
		case strings.HasPrefix(sum, "ChannelVarset variable=STASISSTATUS") && strings.Contains(sum, "value=TIMEOUT"):
			// StasisBroadcast's timeout (15: 1999 ms) or its check that
			// noticed a hangup (17: the next 200 ms step from its start)
			return last("ChannelVarset variable=STASISSTATUS")
		case strings.HasPrefix(sum, "ChannelDialplan dialplan_app=Hangup") && strings.Contains(sum, "dp=broadcast-in/"):
			return last("ChannelDialplan dialplan_app=Wait") // Wait(1)
		}
		return -1
	}
	for i := 1; i < len(rec) && i < len(sim); i++ {
		a := anchorOf(i)
		if a < 0 {
			continue
		}
		want, got := rec[i].Sub(rec[a]), sim[i].Sub(sim[a])
		if diff := got - want; diff > timingSlack(want) || -diff > timingSlack(want) {
			t.Errorf("socket %q, %s: %v after %q, recorded %v (%s)", label, key, got, sums[a], want, sums[i])
		}
	}
}

func (r *replayer) group(l *labeler, msgs [][]byte, recorded bool) (map[string][]string, []string, map[string][]time.Time) {
	by := map[string][]string{}
	times := map[string][]time.Time{}
	var order []string
	for _, raw := range msgs {
		key, sum, err := summarize(l, raw)
		if err != nil {
			r.t.Errorf("bad event %s: %v", raw, err)
			continue
		}
		if _, ok := by[key]; !ok {
			order = append(order, key)
		}
		by[key] = append(by[key], sum)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		ts, err := time.Parse(stampFormat, fmt.Sprint(m["timestamp"]))
		if err != nil {
			r.t.Errorf("bad timestamp in %s: %v", raw, err)
		}
		times[key] = append(times[key], ts)
		typ, _ := m["type"].(string)
		keys := stripOptional(topKeys(raw))
		if want, ok := keyOrders[typ]; !recorded && ok && strings.Join(want, ",") != strings.Join(keys, ",") {
			r.t.Errorf("%s: key order %v, recorded %v", typ, keys, want)
		}
	}
	return by, order, times
}

func stripOptional(keys []string) []string {
	var out []string
	for _, k := range keys {
		if k != "soft" {
			out = append(out, k)
		}
	}
	return out
}

func TestReplayTranscripts(t *testing.T) {
	files := transcriptFiles(t)
	// Learn every recorded key order first so each subtest can check it
	// (in file-name order, so the result does not depend on map order).
	for _, name := range slices.Sorted(maps.Keys(files)) {
		for _, rec := range loadRecords(t, files[name]) {
			if rec.Kind == "event" {
				var m map[string]any
				_ = json.Unmarshal(rec.Event, &m)
				keyOrders[m["type"].(string)] = stripOptional(topKeys(rec.Event))
			}
		}
	}
	for _, name := range replayed {
		f, ok := files[name]
		if !ok {
			t.Errorf("%s: no recording in %s", name, transcriptDir)
			continue
		}
		recs := loadRecords(t, f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, Options{TimeScale: replayScale})
			r := &replayer{t: t, s: s, recs: recs, recLab: newLabeler(), simLab: newLabeler(),
				sockets: map[string]*eventSocket{}, simMsgs: map[string][][]byte{}, seen: map[*eventSocket]int{}, stopped: map[string]bool{},
				frozen: strings.Contains(name, "-broadcast-")}
			r.run()
		})
	}
}
