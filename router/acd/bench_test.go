package acd

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

// BenchmarkDispatch measures the dispatch latency: an agent becomes
// available (Ready) while calls wait → the offer is in the waiter of the
// call's owner (the moment the hand-off would request the originate). 20
// queues × 200 agents (all paused but the one made ready), 1,000 waiting
// calls (a tenth needing lang:en, which half the agents have); after each
// offer the agent lets it ring out (NoAnswer, untimed), so the call waits
// again at its place and the pool stays the same. local: the call's owner
// is the dispatching controller; remote: another controller, reached
// through Redis pub/sub.
//
//	go test -run '^$' -bench Dispatch ./router/acd/
func BenchmarkDispatch(b *testing.B) {
	for _, mode := range []string{"local", "remote"} {
		b.Run(mode, func(b *testing.B) { benchDispatch(b, mode == "remote") })
	}
}

func benchDispatch(b *testing.B, remote bool) {
	const queues, perQueue, calls = 20, 200, 1000
	prefix := redistest.Prefix(b)
	rdb := redistest.Client(b)
	clock := NewManualClock(t0)
	st := &Settings{Queues: map[string]QueueConfig{}, LoginAtStart: map[string]bool{}, EscalationPriority: 200}
	for q := range queues {
		name := fmt.Sprintf("q%02d", q)
		st.Queues[name] = queueConfig(name, "longest_idle", "", 0)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := func(inst string) *Service {
		s, err := New(Options{Client: rdb, KeyPrefix: prefix, Pool: "bench", Instance: inst, Clock: clock,
			Log: zerolog.Nop()}, st)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			b.Fatal(err)
		}
		return s
	}
	dispatcher := start("c1")
	owner := dispatcher
	if remote {
		owner = start("c2")
	}
	defer func() { cancel(); dispatcher.Wait(); owner.Wait() }()

	var agents []string
	for q := range queues {
		for i := range perQueue {
			id := fmt.Sprintf("a%02d-%03d", q, i)
			skills := []string{"lang:id", "segment:DES"}
			if i%2 == 0 {
				skills = append(skills, "lang:en")
			}
			if err := dispatcher.UpsertAgent(ctx, Agent{ID: id, Name: id, Endpoint: "PJSIP/" + id, Role: RoleAgent,
				Queues: []string{fmt.Sprintf("q%02d", q)}, Skills: skills}); err != nil {
				b.Fatal(err)
			}
			agents = append(agents, id)
		}
	}
	// Every agent logs in and pauses before the calls come; each round then
	// readies one.
	for _, id := range agents {
		if err := dispatcher.Login(ctx, id); err != nil {
			b.Fatal(err)
		}
		if err := dispatcher.Pause(ctx, id, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	type arrival struct {
		n  Notice
		at time.Time
	}
	arrivals := make(chan arrival, 64)
	done := make(chan struct{})
	defer close(done)
	for i := range calls {
		clock.Advance(time.Millisecond)
		skills := []string{"lang:id", "segment:DES"}
		if (i/queues)%10 == 0 {
			skills = []string{"lang:en", "segment:DES"}
		}
		w, err := owner.Enqueue(ctx, CallEntry{CallID: fmt.Sprintf("call-%04d", i), Queue: fmt.Sprintf("q%02d", i%queues),
			Priority: i % 4, Skills: skills})
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			for {
				select {
				case n := <-w.Notices():
					arrivals <- arrival{n, time.Now()}
				case <-done:
					return
				}
			}
		}()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		id := agents[(i*perQueue+i/queues)%len(agents)] // round the queues
		t := time.Now()
		if err := dispatcher.Ready(ctx, id); err != nil {
			b.Fatal(err)
		}
		var a arrival
		select {
		case a = <-arrivals:
		case <-time.After(5 * time.Second):
			b.Fatalf("no offer for agent %s", id)
		}
		lat = append(lat, a.at.Sub(t))
		b.StopTimer()
		if a.n.Kind != NoticeOffer || a.n.Offer.Agents[0].ID != id {
			b.Fatalf("round %d: notice %+v for agent %s", i, a.n, id)
		}
		if err := owner.NoAnswer(ctx, a.n.CallID, id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
