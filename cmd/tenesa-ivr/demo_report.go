package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// kpi is one row of the demo's report, counted from handling records.
// Durations are simulated seconds (the records' wall-clock seconds times
// the demo's speed).
type kpi struct {
	Offered        int // records of the row
	Answered       int // outcome agent_answered
	AnsweredInSL   int // answered within the queue's service-level threshold
	AbandonedQueue int // outcome abandoned_queue
	AbandonedIVR   int // outcome abandoned_ivr
	SelfServed     int
	WrongSegment   int
	Failed         int
	Escalations    int // queue rows: moves out of the queue; segment rows: calls moved at least once
	NeedsRecorded  int // answered calls with the agent's disposition
	WaitSum        float64
	HandleSum      float64 // talk + wrap-up of answered calls
}

// ServiceLevel is answered within the threshold ÷ (answered + abandoned in
// the queue); 1 with neither.
func (k kpi) ServiceLevel() float64 { return ratio(k.AnsweredInSL, k.Answered+k.AbandonedQueue, 1) }

// ASA is the average wait of answered calls (sim seconds).
func (k kpi) ASA() float64 { return avg(k.WaitSum, k.Answered) }

// AHT is the average talk + wrap-up of answered calls (sim seconds).
func (k kpi) AHT() float64 { return avg(k.HandleSum, k.Answered) }

// AbandonRate is abandoned in the queue ÷ (answered + abandoned in the queue).
func (k kpi) AbandonRate() float64 { return ratio(k.AbandonedQueue, k.Answered+k.AbandonedQueue, 0) }

func ratio(n, d int, none float64) float64 {
	if d == 0 {
		return none
	}
	return float64(n) / float64(d)
}

func avg(sum float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// sopKPI are the SOP figures of the whole run.
type sopKPI struct {
	Calls            int
	GreetingStandard int // the standard greeting played to its end
	IdentifiedANI    int
	IdentifiedSID    int
	SegmentDecided   int // identified calls with a served / not-served decision
	SegmentConform   int // ... handled as their segment says (served → not redirected; not served → redirected)
	Answered         int
	NeedsRecorded    int
}

// kpiBook accumulates records into the report's rows.
type kpiBook struct {
	speed    float64
	sl       map[string]time.Duration // service-level threshold by queue (sim time)
	Total    kpi
	Queues   map[string]*kpi
	Segments map[string]*kpi
	SOP      sopKPI
}

// unidentified is the segment row of callers not identified.
const unidentified = "unidentified"

func newKPIBook(speed float64, sl map[string]time.Duration) *kpiBook {
	return &kpiBook{speed: speed, sl: sl, Queues: map[string]*kpi{}, Segments: map[string]*kpi{}}
}

func (b *kpiBook) row(m map[string]*kpi, name string) *kpi {
	k := m[name]
	if k == nil {
		k = &kpi{}
		m[name] = k
	}
	return k
}

// add counts one handling record.
func (b *kpiBook) add(r *router.Record) {
	seg := r.Segment
	if seg == "" {
		seg = unidentified
	}
	rows := []*kpi{&b.Total, b.row(b.Segments, seg)}
	if r.Queue != "" {
		rows = append(rows, b.row(b.Queues, r.Queue))
	}
	wait := r.WaitSeconds * b.speed
	handle := (r.TalkSeconds + r.WrapUpSeconds) * b.speed
	inSL := r.Queue != "" && wait <= b.sl[r.Queue].Seconds()
	for _, k := range rows {
		k.Offered++
		switch r.Outcome {
		case router.OutcomeAgentAnswered:
			k.Answered++
			k.WaitSum += wait
			k.HandleSum += handle
			if inSL {
				k.AnsweredInSL++
			}
			if r.Disposition != nil {
				k.NeedsRecorded++
			}
		case router.OutcomeAbandonedQueue:
			k.AbandonedQueue++
		case router.OutcomeAbandonedIVR:
			k.AbandonedIVR++
		case router.OutcomeSelfServed:
			k.SelfServed++
		case router.OutcomeWrongSegment:
			k.WrongSegment++
		case router.OutcomeFailed:
			k.Failed++
		}
	}
	if len(r.Escalations) > 0 {
		b.Total.Escalations += len(r.Escalations)
		b.row(b.Segments, seg).Escalations++
		for _, e := range r.Escalations {
			b.row(b.Queues, e.From).Escalations++
		}
	}
	s := &b.SOP
	s.Calls++
	if r.Greeting.Played && r.Greeting.Completed {
		s.GreetingStandard++
	}
	switch r.Identification.Method {
	case "ani":
		s.IdentifiedANI++
	case "sid":
		s.IdentifiedSID++
	}
	if r.SegmentServed != nil {
		s.SegmentDecided++
		if *r.SegmentServed == (r.Outcome != router.OutcomeWrongSegment) {
			s.SegmentConform++
		}
	}
	if r.Outcome == router.OutcomeAgentAnswered {
		s.Answered++
		if r.Disposition != nil {
			s.NeedsRecorded++
		}
	}
}

// readRecords reads every handling record of the stream back from Redis.
func readRecords(ctx context.Context, c redis.UniversalClient, stream string) ([]router.Record, error) {
	var out []router.Record
	start := "-"
	for {
		msgs, err := c.XRangeN(ctx, stream, start, "+", 1000).Result()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
		for _, m := range msgs {
			raw, _ := m.Values["record"].(string)
			var r router.Record
			if err := json.Unmarshal([]byte(raw), &r); err != nil {
				return nil, fmt.Errorf("record %s of %s: %w", m.ID, stream, err)
			}
			out = append(out, r)
		}
		if len(msgs) < 1000 {
			return out, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// printReport writes the KPI tables: per queue, per segment, the SOP.
func printReport(w io.Writer, b *kpiBook, stream string) {
	fmt.Fprintf(w, "\nKPI report from the %d handling records in the Redis stream %s\n", b.Total.Offered, stream)
	fmt.Fprintf(w, "(times in simulated seconds; SL = answered within the queue's threshold ÷ (answered + abandoned in queue))\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	header := "OFFERED\tANSWERED\tABANDONED\tABAND. IVR\tSELF-SERVED\tWRONG SEG.\tSL\tASA\tAHT\tABANDON %\tNEEDS REC.\tESCALATED\t"
	line := func(name string, k kpi) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t\n", name, k.Offered, k.Answered, k.AbandonedQueue,
			k.AbandonedIVR, k.SelfServed, k.WrongSegment, slText(k), secs(k.ASA()), secs(k.AHT()),
			pct(k.AbandonRate()), needs(k.NeedsRecorded, k.Answered), k.Escalations)
	}
	fmt.Fprintln(tw, "QUEUE\t"+header)
	for _, q := range slices.Sorted(maps.Keys(b.Queues)) {
		line(q, *b.Queues[q])
	}
	fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t\t\t\t\t")
	fmt.Fprintln(tw, "SEGMENT\t"+header)
	for _, s := range slices.Sorted(maps.Keys(b.Segments)) {
		line(s, *b.Segments[s])
	}
	line("TOTAL", b.Total)
	_ = tw.Flush()
	s := b.SOP
	fmt.Fprintf(w, "\nSOP: greeting to standard %s (%d/%d) · identified %s (caller ID %d, service ID %d) · "+
		"segmentation conformity %s (%d/%d) · needs recorded %s (%d/%d) · escalations %d\n",
		pct(ratio(s.GreetingStandard, s.Calls, 1)), s.GreetingStandard, s.Calls,
		pct(ratio(s.IdentifiedANI+s.IdentifiedSID, s.Calls, 0)), s.IdentifiedANI, s.IdentifiedSID,
		pct(ratio(s.SegmentConform, s.SegmentDecided, 1)), s.SegmentConform, s.SegmentDecided,
		pct(ratio(s.NeedsRecorded, s.Answered, 1)), s.NeedsRecorded, s.Answered, b.Total.Escalations)
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

// slText is the service level to print: "-" where no call was answered or
// abandoned in the queue (a wrong-segment or self-served row has none).
func slText(k kpi) string {
	if k.Answered+k.AbandonedQueue == 0 {
		return "-"
	}
	return pct(k.ServiceLevel())
}

// secs prints sim seconds as m:ss.
func secs(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func needs(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%d (%s)", n, pct(ratio(n, of, 1)))
}
