package acd

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// liveTimeout bounds the reads of one scrape (Live).
const liveTimeout = 2 * time.Second

// Live is the pool's picture for the metrics scrape (metrics.SetLive):
// per queue the calls waiting, the oldest wait and the members by state,
// and every agent of the pool once by state. It reads Redis, bounded to
// 2 s.
func (s *Service) Live() (metrics.Live, error) {
	ctx, cancel := context.WithTimeout(context.Background(), liveTimeout)
	defer cancel()
	qs, err := s.Queues(ctx)
	if err != nil {
		return metrics.Live{}, err
	}
	agents, err := s.Agents(ctx)
	if err != nil {
		return metrics.Live{}, err
	}
	live := metrics.Live{Queues: make([]metrics.QueueLive, 0, len(qs)), Agents: map[metrics.AgentState]int{}}
	for _, a := range agents {
		live.Agents[metrics.AgentState(a.State)]++
	}
	for _, q := range qs {
		ql := metrics.QueueLive{Queue: q.Name, Waiting: q.Waiting, OldestWait: q.OldestWait,
			Agents: make(map[metrics.AgentState]int, len(q.Agents))}
		for st, n := range q.Agents {
			ql.Agents[metrics.AgentState(st)] = n
		}
		live.Queues = append(live.Queues, ql)
	}
	return live, nil
}

// countWrapUp feeds the end of a wrap-up to the metrics: figures is
// end_wrap's {queue, wrap-up ms, disposition decided "1"|"0", disposition
// JSON} (scripts.go); the disposition is counted once per call, at the end
// of its last agent's wrap-up.
func (s *Service) countWrapUp(figures []any) {
	if len(figures) < 4 || s.metrics == nil {
		return
	}
	if q := str(figures, 0); q != "" { // "": the call's record expired meanwhile
		s.metrics.WrapUp(q, time.Duration(num(figures, 1))*time.Millisecond)
	}
	if str(figures, 2) != "1" {
		return
	}
	raw := str(figures, 3)
	if raw == "" {
		s.metrics.Disposition(false, false, false)
		return
	}
	var d Disposition
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		s.log.Warn().Err(err).Msg("acd: stored disposition not decodable; counted as recorded")
	}
	s.metrics.Disposition(true, d.FurtherHelpOffered, d.StandardClosing)
}

// countMove feeds a move the move script made (reply r) to the metrics: the
// call enters the target queue; a waiting call's wait in the old queue ends
// overflowed, while a call its agent escalated was answered there and its
// talk with that agent ends.
func (s *Service) countMove(from, to string, reason EscalationReason, r []any) {
	spent := time.Duration(num(r, 5)) * time.Millisecond
	if str(r, 2) != "" {
		s.metrics.Talk(from, spent)
	} else {
		s.metrics.QueueOverflowed(from, spent)
	}
	s.metrics.QueueEntered(to)
	s.metrics.Escalation(metrics.EscalationReason(reason))
}
