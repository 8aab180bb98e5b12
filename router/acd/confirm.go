package acd

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redisha"
)

// ErrOfferStale: the offer is not (or no longer) the call's reservation in
// Redis: withdrawn, answered elsewhere, or lost with a master that failed
// over before its replica had it. Its agents must not ring.
var ErrOfferStale = errors.New("acd: offer no longer reserved")

// confirmOffer: ARGV[3] call, ARGV[4] the offer's notice seq, ARGV[5..]
// its agents. The offer is still the call's reservation: the call is
// offered, its last notice is this offer, every agent is reserved for it.
// It writes the confirmation (so that the WAIT that follows covers every
// write before it, the reservation included). Reply {replicas, "ok"} or
// {replicas, "stale", why}.
var confirmOffer = redis.NewScript(redisha.ReplicasLua + `
local B, cid = ARGV[1], ARGV[3]
local c = redis.call('HMGET', B..'call:'..cid, 'state', 'nseq')
if c[1] ~= 'offered' then return {replicas(), 'stale', 'call '..(c[1] or 'gone')} end
if tonumber(c[2] or '0') ~= tonumber(ARGV[4]) then return {replicas(), 'stale', 'a later notice'} end
for i = 5, #ARGV do
  local a = redis.call('HMGET', B..'agent:'..ARGV[i], 'state', 'call')
  if a[1] ~= 'reserved' or a[2] ~= cid then return {replicas(), 'stale', 'agent '..ARGV[i]..' '..(a[1] or 'gone')} end
end
redis.call('HSET', B..'call:'..cid, 'confirmed', ARGV[4])
return {replicas(), 'ok'}
`)

// ConfirmOffer checks, before the hand-off rings an offer's agents, that
// the reservation is in Redis and on a replica: Redis replicates
// asynchronously, so a reservation the master made and lost in a failover
// (it died before its replica got it) would leave the agents available
// on the new master, free to be reserved for another call while they ring
// for this one. The check is a script on the master now serving the pool
// (the offer still reserved, its notice the call's last) followed by a
// WAIT for a replica (redisha.Durable; a master without replicas needs
// none). It is sent again while Redis fails over (FailoverWait).
//
// ErrOfferStale: do not ring; the call is waiting again (a lost
// reservation) or another notice follows. Any other error (no replica
// acknowledged in time, Redis unreachable): do not ring either; the offer
// timer (ring timeout + 5 s) releases the agents and the call waits again
// at its place. Either way an agent never rings for two calls.
func (s *Service) ConfirmOffer(ctx context.Context, n Notice) error {
	if n.Offer == nil || s.replicas < 0 {
		return nil
	}
	args := []any{s.k.base, ms(s.clock.Now()), n.CallID, n.Seq}
	for _, a := range n.Offer.Agents {
		args = append(args, a.ID)
	}
	var why string
	err := redisha.Retry(ctx, s.failover, func() error {
		why = ""
		return redisha.Durable(ctx, s.rdb, s.k.agents(), s.replicas, s.ackWait, func(c redis.Scripter) (int, error) {
			r, err := confirmOffer.Run(ctx, c, []string{s.k.agents()}, args...).Slice()
			if err != nil {
				return 0, err
			}
			if str(r, 1) != "ok" {
				why = str(r, 2)
			}
			return int(num(r, 0)), nil
		})
	})
	if err != nil {
		return err
	}
	if why != "" {
		return fmt.Errorf("%w: %s", ErrOfferStale, why)
	}
	return nil
}

// requeueLost queues again, at their place, the calls this controller
// waits for whose hash Redis no longer has: a failover that lost
// acknowledged writes (the window of a SENTINEL FAILOVER or a partition,
// see doc.go) lost their enqueue, and nothing would ever offer them. Their
// notice numbering starts again from the new hash. Run by the sweep.
func (s *Service) requeueLost(ctx context.Context) {
	s.mu.Lock()
	ws := make([]*Waiter, 0, len(s.waiters))
	for _, w := range s.waiters {
		if w.entry.Load() != nil {
			ws = append(ws, w)
		}
	}
	s.mu.Unlock()
	if len(ws) == 0 {
		return
	}
	pipe := s.rdb.Pipeline()
	exists := make([]*redis.IntCmd, len(ws))
	for i, w := range ws {
		exists[i] = pipe.Exists(ctx, s.k.call(w.callID))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return
	}
	for i, w := range ws {
		if exists[i].Val() != 0 {
			continue
		}
		s.mu.Lock()
		current := s.waiters[w.callID] == w
		s.mu.Unlock()
		if !current {
			continue // the call ended meanwhile
		}
		r, err := s.run(ctx, enqueue, *w.entry.Load()...)
		if err != nil || str(r, 0) != "new" {
			continue
		}
		w.restart(num(r, 3))
		s.log.Warn().Str("call_id", w.callID).Str("queue", str(r, 1)).
			Msg("acd: call lost by a Redis failover queued again at its place")
		s.dispatchCall(ctx, w.callID)
	}
}
