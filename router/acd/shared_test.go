package acd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// A controller restarted with calls waiting and agents logged in finds
// them in Redis: the agents keep their states (a wrap-up still ends on
// time), the calls keep their places once adopted again.
func TestRestartRecoversAgentsAndWaitingCalls(t *testing.T) {
	p := newPool(t)
	p.st.Agents = []Agent{
		{ID: "a1", Name: "A1", Endpoint: "PJSIP/a1", Role: RoleAgent, Queues: []string{"general"}},
		{ID: "a2", Name: "A2", Endpoint: "PJSIP/a2", Role: RoleAgent, Queues: []string{"general"}},
	}
	p.st.LoginAtStart = map[string]bool{"a1": true, "a2": true}
	s1, stop := p.startCtx(t, "c1", context.Background())
	wantState(t, s1, "a1", Available)
	// a1 talks and wraps up; a2 pauses; then two calls wait.
	w := enq(t, s1, CallEntry{CallID: "talk", Queue: "general"})
	o := nextOffer(t, w)
	must(t, s1.Answered(bg, "talk", o.Agents[0].ID))
	busy := o.Agents[0].ID
	other := "a2"
	if busy == "a2" {
		other = "a1"
	}
	must(t, s1.Pause(bg, other, "break"))
	must(t, s1.Ended(bg, "talk", PartyCaller))
	p.clock.Advance(time.Second)
	enq(t, s1, CallEntry{CallID: "regular", Queue: "general", Priority: 1})
	p.clock.Advance(time.Second)
	enq(t, s1, CallEntry{CallID: "gold", Queue: "general", Priority: 7})
	stop()
	s1.Wait()

	s2 := p.start(t, "c1")
	if st := wantState(t, s2, busy, WrapUp); st.CallID != "talk" {
		t.Errorf("wrap-up of %+v", st)
	}
	if st := wantState(t, s2, other, Paused); st.Reason != "break" {
		t.Errorf("pause reason %q", st.Reason)
	}
	q, err := s2.Queue(bg, "general")
	must(t, err)
	if q.Waiting != 2 {
		t.Fatalf("waiting %d after restart", q.Waiting)
	}
	// The flow adopts the channels again: same calls, later EnqueuedAt.
	later := p.clock.Now().Add(time.Minute)
	wr := enq(t, s2, CallEntry{CallID: "regular", Queue: "general", Priority: 1, EnqueuedAt: later})
	wg := enq(t, s2, CallEntry{CallID: "gold", Queue: "general", Priority: 7, EnqueuedAt: later})
	must(t, s2.Ready(bg, other))
	if got := offeredIDs(nextOffer(t, wg)); !slices.Equal(got, []string{other}) {
		t.Errorf("gold offered to %v", got)
	}
	noNotice(t, wr)
	// The wrap-up timer set before the restart fires on the new controller.
	p.clock.Advance(30 * time.Second)
	if got := offeredIDs(nextOffer(t, wr)); !slices.Equal(got, []string{busy}) {
		t.Errorf("regular offered to %v", got)
	}
	h, err := s2.Handling(bg, "regular")
	must(t, err)
	if !h.EnqueuedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("adopted call enqueued at %s, want its first time %s", h.EnqueuedAt, t0.Add(time.Second))
	}
}

// A call whose owner has no waiter for it (a restarted controller that
// has not adopted it yet) is not left ringing an agent: the agent is
// released and the call set aside until adopted.
func TestOfferForCallNotAdoptedYetReleasesAgent(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, false)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	w.Close() // as if the controller restarted: no waiter for the call
	must(t, s.Login(bg, "a1"))
	wantState(t, s, "a1", Available)
	w2 := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	if got := offeredIDs(nextOffer(t, w2)); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("adopted call offered to %v", got)
	}
}

// An offer for a call owned by another controller reaches that
// controller's waiter through Redis pub/sub, and events of one controller
// reach subscribers of the other.
func TestOfferReachesOwnerOnAnotherController(t *testing.T) {
	p := newPool(t)
	s1 := p.start(t, "c1")
	s2 := p.start(t, "c2")
	feed, cancel := s1.Subscribe("a1")
	defer cancel()
	p.agent(t, s2, "a1", []string{"general"}, nil, false)
	w := enq(t, s1, CallEntry{CallID: "call-1", Queue: "general"})
	must(t, s2.Login(bg, "a1")) // dispatched on c2, owned by c1: published by the reserving script
	o := nextOffer(t, w)
	if o.CallID != "call-1" || o.Queue != "general" || o.RingTimeout != 20*time.Second ||
		len(o.Agents) != 1 || o.Agents[0] != (OfferedAgent{ID: "a1", Name: "Agent a1", Endpoint: "PJSIP/a1"}) {
		t.Errorf("offer %+v", o)
	}
	waitEvent(t, feed, "offer event from c2", func(e Event) bool { return e.Type == EventOffer && e.CallID == "call-1" })
}

// Two controllers on one Redis, many simultaneous calls on both, agents
// answering, not answering, becoming ready on either: an agent is never
// reserved for two calls at once, and every call is served.
func TestTwoControllersNeverReserveTheSameAgent(t *testing.T) {
	p := newPool(t)
	p.st.Queues["general"] = func(q QueueConfig) QueueConfig { q.WrapUp = 0; q.MaxWait = 0; return q }(p.st.Queues["general"])
	ctls := []*Service{p.start(t, "c1"), p.start(t, "c2")}
	const agents, calls = 8, 60
	for i := range agents {
		p.agent(t, ctls[i%2], fmt.Sprintf("a%d", i), []string{"general"}, nil, true)
	}
	var mu sync.Mutex
	held := map[string]string{} // agent → call it rings or talks to
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i, id := range callIDs(calls, "race") {
		s := ctls[i%2]
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- serve(s, ctls, id, rng, &mu, held)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for _, s := range ctls {
		q, err := s.Queue(bg, "general")
		must(t, err)
		if q.Waiting != 0 || q.Agents[Reserved] != 0 || q.Agents[OnCall] != 0 {
			t.Errorf("after the run: %+v", q)
		}
	}
}

// serve plays one call's owner: wait for offers, sometimes let them ring
// out (then make the agent ready again from either controller), else
// answer and end.
func serve(s *Service, ctls []*Service, id string, rng *rand.Rand, mu *sync.Mutex, held map[string]string) error {
	w, err := s.Enqueue(bg, CallEntry{CallID: id, Queue: "general", Priority: rng.IntN(3)})
	if err != nil {
		return err
	}
	defer w.Close()
	for {
		var n Notice
		select {
		case n = <-w.Notices():
		case <-time.After(waitTimeout):
			return fmt.Errorf("%s: no offer within %s", id, waitTimeout)
		}
		if n.Kind != NoticeOffer {
			return fmt.Errorf("%s: notice %+v", id, n)
		}
		agent := n.Offer.Agents[0].ID
		mu.Lock()
		if other, busy := held[agent]; busy {
			mu.Unlock()
			return fmt.Errorf("agent %s offered %s while reserved for %s", agent, id, other)
		}
		held[agent] = id
		mu.Unlock()
		release := func() {
			mu.Lock()
			delete(held, agent)
			mu.Unlock()
		}
		if rng.IntN(4) == 0 {
			release()
			if err := s.NoAnswer(bg, id, agent); err != nil {
				return err
			}
			if err := ctls[rng.IntN(len(ctls))].Ready(bg, agent); err != nil && !errors.Is(err, ErrConflict) {
				return err
			}
			continue
		}
		if err := s.Answered(bg, id, agent); err != nil {
			return err
		}
		release()
		return s.Ended(bg, id, PartyCaller)
	}
}
