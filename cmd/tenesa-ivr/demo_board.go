package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// liveFigures is what the wallboard shows beside the acd's live queue
// figures: the calls placed and the records written so far.
type liveFigures struct {
	mu         sync.Mutex
	book       *kpiBook
	placed     int
	inProgress int
	kinds      map[string]int
	stuck      int // callers hung up by the demo's safety limit (a script that never matched)
}

func (l *liveFigures) record(r *router.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.book.add(r)
}

func (l *liveFigures) placedCall(kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.placed++
	l.inProgress++
	l.kinds[strings.SplitN(kind, "/", 2)[0]]++
}

func (l *liveFigures) callDone(stuck bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inProgress--
	if stuck {
		l.stuck++
	}
}

func (l *liveFigures) stuckCalls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stuck
}

func (l *liveFigures) records() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.book.Total.Offered
}

// snapshot copies what a board needs under the lock.
type liveSnapshot struct {
	placed, inProgress int
	total              kpi
	sop                sopKPI
	queues             map[string]kpi
}

func (l *liveFigures) snapshot() liveSnapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := liveSnapshot{placed: l.placed, inProgress: l.inProgress, total: l.book.Total, sop: l.book.SOP,
		queues: map[string]kpi{}}
	for q, k := range l.book.Queues {
		s.queues[q] = *k
	}
	return s
}

// board draws the live state: a wallboard redrawn in place on a terminal,
// plain progress lines otherwise.
type board struct {
	w     io.Writer
	tty   bool
	speed float64
	svc   *acd.Service
	live  *liveFigures
	start time.Time // wall
	lines int       // lines of the last wallboard (to redraw over it)
}

func (b *board) simElapsed() time.Duration {
	return time.Duration(float64(time.Since(b.start)) * b.speed).Round(time.Second)
}

func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// agentCounts counts the pool's agents by state (ringing = reserved).
func agentCounts(agents []acd.AgentStatus) map[acd.State]int {
	out := map[acd.State]int{}
	for _, a := range agents {
		out[a.State]++
	}
	return out
}

// progress prints one plain line (no terminal).
func (b *board) progress(ctx context.Context) {
	s := b.live.snapshot()
	qs, _ := b.svc.Queues(ctx)
	agents, _ := b.svc.Agents(ctx)
	ac := agentCounts(agents)
	waiting, oldest := 0, time.Duration(0)
	for _, q := range qs {
		waiting += q.Waiting
		oldest = max(oldest, q.OldestWait)
	}
	fmt.Fprintf(b.w, "[sim %s] placed %d, in progress %d, records %d | waiting %d (oldest %s) | agents available %d, ringing %d, on call %d, wrap-up %d, paused %d | answered %d, abandoned %d queue + %d IVR, self-served %d, wrong segment %d | SL %s, ASA %s\n",
		clock(b.simElapsed()), s.placed, s.inProgress, s.total.Offered, waiting, secs(b.sim(oldest)),
		ac[acd.Available], ac[acd.Reserved], ac[acd.OnCall], ac[acd.WrapUp], ac[acd.Paused],
		s.total.Answered, s.total.AbandonedQueue, s.total.AbandonedIVR, s.total.SelfServed, s.total.WrongSegment,
		slText(s.total), secs(s.total.ASA()))
}

func (b *board) sim(wall time.Duration) float64 { return wall.Seconds() * b.speed }

// wallboard redraws the board in place (ANSI: cursor up, clear below).
func (b *board) wallboard(ctx context.Context) {
	s := b.live.snapshot()
	qs, _ := b.svc.Queues(ctx)
	agents, _ := b.svc.Agents(ctx)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "TENESA wallboard   sim %s (x%g)   calls placed %d · in progress %d · handling records %d\n\n",
		clock(b.simElapsed()), b.speed, s.placed, s.inProgress, s.total.Offered)
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "QUEUE\tWAITING\tOLDEST\tAVAIL\tRINGING\tON CALL\tWRAP-UP\tPAUSED\tANSWERED\tABANDONED\tSL\tASA\t")
	slices.SortFunc(qs, func(a, c acd.QueueStatus) int { return strings.Compare(a.Name, c.Name) })
	for _, q := range qs {
		k := s.queues[q.Name]
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", q.Name, q.Waiting, secs(b.sim(q.OldestWait)),
			q.Agents[acd.Available], q.Agents[acd.Reserved], q.Agents[acd.OnCall], q.Agents[acd.WrapUp], q.Agents[acd.Paused],
			k.Answered, k.AbandonedQueue, slText(k), secs(k.ASA()))
	}
	_ = tw.Flush()
	ac := agentCounts(agents)
	fmt.Fprintf(&buf, "\nAGENTS  available %d · ringing %d · on call %d · wrap-up %d · paused %d · logged out %d\n",
		ac[acd.Available], ac[acd.Reserved], ac[acd.OnCall], ac[acd.WrapUp], ac[acd.Paused], ac[acd.LoggedOut])
	t := s.total
	fmt.Fprintf(&buf, "CALLS   answered %d · abandoned %d in queue, %d in IVR · self-served %d · wrong segment %d · SL %s · ASA %s · AHT %s · abandonment %s\n",
		t.Answered, t.AbandonedQueue, t.AbandonedIVR, t.SelfServed, t.WrongSegment, slText(t), secs(t.ASA()),
		secs(t.AHT()), pct(t.AbandonRate()))
	o := s.sop
	fmt.Fprintf(&buf, "SOP     greeting to standard %s · segmentation conformity %s · needs recorded %s · escalations %d\n",
		pct(ratio(o.GreetingStandard, o.Calls, 1)), pct(ratio(o.SegmentConform, o.SegmentDecided, 1)),
		pct(ratio(o.NeedsRecorded, o.Answered, 1)), t.Escalations)
	fmt.Fprintf(&buf, "(Ctrl-C ends the calls in progress and prints the report)\n")
	if b.lines > 0 {
		fmt.Fprintf(b.w, "\x1b[%dA\x1b[J", b.lines)
	}
	b.lines = bytes.Count(buf.Bytes(), []byte("\n"))
	_, _ = b.w.Write(buf.Bytes())
}

// run draws every period until ctx ends, and once more at the end.
func (b *board) run(ctx context.Context, every time.Duration) {
	draw := b.progress
	if b.tty {
		draw = b.wallboard
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			draw(qctx)
			cancel()
			return
		case <-t.C:
			draw(ctx)
		}
	}
}

// kindsLine lists how many callers of each kind were placed.
func (l *liveFigures) kindsLine() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l.kinds)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, l.kinds[k]))
	}
	return strings.Join(parts, ", ")
}
