package flow_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/flow"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
)

// leaveAfterEnqueue is a go-redis hook on the acd's client: once the
// enqueue script of callID has run in Redis, it ends the call's context
// (the caller hangs up) and the reply is lost to that cancellation, as
// go-redis reports a context ended while a command's reply is awaited.
// With before set, the caller hangs up just before the script is sent
// instead: the acd never queued the call.
type leaveAfterEnqueue struct {
	callID, queue string
	before        bool
	leave         context.CancelCauseFunc
	ran           atomic.Bool
}

func (h *leaveAfterEnqueue) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *leaveAfterEnqueue) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *leaveAfterEnqueue) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		// EVALSHA sha 2 agents lease base now callID queue ...: the enqueue
		// script is the one whose arguments start with the call and its queue.
		args := cmd.Args()
		enqueue := len(args) >= 9 && strings.HasPrefix(strings.ToLower(fmt.Sprint(args[0])), "eval") &&
			fmt.Sprint(args[7]) == h.callID && fmt.Sprint(args[8]) == h.queue
		if enqueue && h.before && !h.ran.Swap(true) {
			h.leave(ari.ErrCallGone)
			return next(ctx, cmd) // go-redis fails it on the ended context
		}
		err := next(ctx, cmd)
		if !enqueue || h.before || err != nil || h.ran.Swap(true) {
			return err
		}
		h.leave(ari.ErrCallGone)
		cmd.SetErr(ctx.Err())
		return ctx.Err()
	}
}

// onlyID is the caller's channel as far as a hand-off that never reaches
// the channel sees it: any channel request panics (the embedded nil
// interface), which fails the test.
type onlyID struct {
	ari.Call
	id string
}

func (c onlyID) ID() string { return c.id }

// Info is what the controller knew at StasisStart (no request): one box.
func (c onlyID) Info() ari.CallInfo { return ari.CallInfo{} }

// TestACDCallerLeavingDuringEnqueueLeavesNoGhost: the caller hangs up while
// the enqueue request is in flight, after its script has put the call in
// the queue. The hand-off reports the abandon to the acd, so the queue does
// not keep a ghost that agents would be offered; the outcome is
// abandoned_queue.
func TestACDCallerLeavingDuringEnqueueLeavesNoGhost(t *testing.T) {
	t.Run("script ran", func(t *testing.T) { testLeavingDuringEnqueue(t, false) })
	t.Run("script never sent", func(t *testing.T) { testLeavingDuringEnqueue(t, true) })
}

// testLeavingDuringEnqueue: the caller leaves after the enqueue script ran
// (the acd must be told), or before it was sent (the acd never had the
// call: telling it is not an error, nothing is logged as failed).
func testLeavingDuringEnqueue(t *testing.T, before bool) {
	const callID, queue = "1796000001.7", "enterprise-care"
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Redis.KeyPrefix = redistest.Prefix(t)
	st, err := acd.FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Queues[queue]; !ok {
		t.Fatalf("queue %s not in the shipped configuration", queue)
	}
	callCtx, leave := context.WithCancelCause(context.Background())
	defer leave(nil)
	hook := &leaveAfterEnqueue{callID: callID, queue: queue, before: before, leave: leave}
	rdb := redistest.Client(t)
	rdb.AddHook(hook)
	var logged strings.Builder // the hand-off's warnings (one goroutine: the test's)
	log := zerolog.New(io.MultiWriter(&logged, zerolog.NewTestWriter(t))).Level(zerolog.WarnLevel)
	svc, err := acd.New(acd.Options{Client: rdb, KeyPrefix: cfg.Redis.KeyPrefix, Pool: cfg.ACD.Pool,
		Instance: "ctl-a", Log: log}, st)
	if err != nil {
		t.Fatal(err)
	}
	svcCtx, stopSvc := context.WithCancel(context.Background())
	if err := svc.Start(svcCtx); err != nil {
		stopSvc()
		t.Fatal(err)
	}
	h := flow.NewACDHandoff(svc, log)
	t.Cleanup(func() { h.Close(); stopSvc(); svc.Wait() })

	res := h.Handoff(callCtx, onlyID{id: callID}, nil, flow.RouteRequest{
		Route: plan.Route{Queue: queue, Priority: 5, Skills: []string{"segment:DES", "lang:id"}}, ScreenPop: flow.ScreenPop{Language: "id", Segment: "DES"}})

	if !hook.ran.Load() {
		t.Fatal("the enqueue script never ran: the test did not exercise the hang-up during the enqueue")
	}
	if res.Outcome != router.OutcomeAbandonedQueue {
		t.Errorf("outcome %q (%s), want %q", res.Outcome, res.FailReason, router.OutcomeAbandonedQueue)
	}
	ctx := context.Background()
	q, err := svc.Queue(ctx, queue)
	if err != nil {
		t.Fatal(err)
	}
	if q.Waiting != 0 {
		t.Errorf("%s holds %d waiting calls after the caller left, want none (a ghost would be offered to agents)", queue, q.Waiting)
	}
	if strings.Contains(logged.String(), "abandon not reported") {
		t.Errorf("the abandon report failed: %s", logged.String())
	}
	hd, err := svc.Handling(ctx, callID)
	if before {
		var unknown *acd.NotFoundError
		if !errors.As(err, &unknown) {
			t.Errorf("acd handling of a call never queued: %+v (%v), want not found", hd, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("acd handling of the call: %v", err)
	}
	if !hd.Abandoned {
		t.Errorf("acd handling %+v: not abandoned", hd)
	}
	var notWaiting *acd.CallStateError
	var unknown *acd.NotFoundError
	if _, err := svc.Position(ctx, callID); !errors.As(err, &notWaiting) && !errors.As(err, &unknown) {
		t.Errorf("position of the departed call: %v, want it not waiting", err)
	}
}
