package metrics

import (
	"maps"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The queue figures. The ACD (router/acd) calls these methods; the
// recording rules in deployments/prometheus/rules turn them into service
// level, ASA, AHT and abandonment. Queue names come from configuration.

// WaitOutcome is how a wait in a queue ended; a closed set (label outcome
// of tenesa_queue_wait_seconds).
type WaitOutcome string

// Wait outcomes.
const (
	WaitAnswered   WaitOutcome = "answered"   // an agent answered
	WaitAbandoned  WaitOutcome = "abandoned"  // the caller hung up
	WaitOverflowed WaitOutcome = "overflowed" // past the maximum wait, sent to the overflow target
)

// WaitOutcomes lists every WaitOutcome.
var WaitOutcomes = []WaitOutcome{WaitAnswered, WaitAbandoned, WaitOverflowed}

// EscalationReason is why a call was escalated; a closed set.
type EscalationReason string

// Escalation reasons (issue 8, policy 5.5).
const (
	EscalationMaxWait      EscalationReason = "max_wait"      // overflowed past the queue's maximum wait
	EscalationRepeatCaller EscalationReason = "repeat_caller" // N calls in 24 h about an open complaint
	EscalationAgent        EscalationReason = "agent_request" // the agent escalated the live call
)

// EscalationReasons lists every EscalationReason.
var EscalationReasons = []EscalationReason{EscalationMaxWait, EscalationRepeatCaller, EscalationAgent}

// AgentState is an agent's state; a closed set.
type AgentState string

// Agent states (issue 8).
const (
	AgentLoggedOut AgentState = "logged_out"
	AgentAvailable AgentState = "available"
	AgentReserved  AgentState = "reserved" // ringing
	AgentOnCall    AgentState = "on_call"
	AgentWrapUp    AgentState = "wrap_up"
	AgentPaused    AgentState = "paused"
)

// AgentStates lists every AgentState.
var AgentStates = []AgentState{AgentLoggedOut, AgentAvailable, AgentReserved, AgentOnCall, AgentWrapUp, AgentPaused}

// QueueEntered counts a call entering a queue (first queued, or moved
// there); a wait in the queue starts.
func (m *Metrics) QueueEntered(queue string) {
	if m == nil {
		return
	}
	m.queueEntered.WithLabelValues(queue).Inc()
}

// QueueAnswered records a call answered by an agent after waiting wait in
// queue. A wait up to the queue's service-level threshold (inclusive, as
// app_queue) counts toward service level.
//
// Service level is counted directly here, not read from wait-histogram
// buckets: thresholds differ per queue and change on reload, while a
// histogram has one bucket layout fixed at registration.
func (m *Metrics) QueueAnswered(queue string, wait time.Duration) {
	if m == nil {
		return
	}
	m.queueWait.WithLabelValues(queue, string(WaitAnswered)).Observe(wait.Seconds())
	if wait <= m.targets(queue).ServiceLevelThreshold {
		m.queueWithin.WithLabelValues(queue).Inc()
	}
}

// QueueAbandoned records a caller hanging up after waiting wait in queue.
// An abandon before the queue's short-abandon threshold is also counted as
// short (left out of service level and abandonment).
func (m *Metrics) QueueAbandoned(queue string, wait time.Duration) {
	if m == nil {
		return
	}
	m.queueWait.WithLabelValues(queue, string(WaitAbandoned)).Observe(wait.Seconds())
	if wait < m.targets(queue).ShortAbandon {
		m.queueShortAbandon.WithLabelValues(queue).Inc()
	}
}

// QueueOverflowed records a call leaving queue for its overflow target
// after waiting wait (count the escalation with Escalation too).
func (m *Metrics) QueueOverflowed(queue string, wait time.Duration) {
	if m == nil {
		return
	}
	m.queueWait.WithLabelValues(queue, string(WaitOverflowed)).Observe(wait.Seconds())
}

// Talk observes the talk time of a call answered in queue, when it ends
// (or its agent escalates it).
func (m *Metrics) Talk(queue string, d time.Duration) {
	if m == nil {
		return
	}
	m.talk.WithLabelValues(queue).Observe(d.Seconds())
}

// WrapUp observes an agent's wrap-up after a call of queue, when it ends.
func (m *Metrics) WrapUp(queue string, d time.Duration) {
	if m == nil {
		return
	}
	m.wrapUp.WithLabelValues(queue).Observe(d.Seconds())
}

// Escalation counts one escalation.
func (m *Metrics) Escalation(reason EscalationReason) {
	if m == nil {
		return
	}
	m.escalations.WithLabelValues(string(reason)).Inc()
}

// Disposition counts an agent-handled call at the end of its wrap-up:
// whether the agent recorded a disposition (SOP "needs recorded") and, if
// so, whether it says further help was offered and the standard closing
// given. Without a disposition the other two are false.
func (m *Metrics) Disposition(recorded, furtherHelp, closing bool) {
	if m == nil {
		return
	}
	if !recorded {
		furtherHelp, closing = false, false
	}
	m.dispositions.WithLabelValues(boolLabel(recorded), boolLabel(furtherHelp), boolLabel(closing)).Inc()
}

// Live is the ACD's picture at one instant.
type Live struct {
	Queues []QueueLive
	// Agents counts each logged-in (or known) agent once, by state.
	Agents map[AgentState]int
}

// QueueLive is one queue's live figures.
type QueueLive struct {
	Queue      string
	Waiting    int
	OldestWait time.Duration // of the call waiting longest; 0 when none
	// Agents counts the queue's member agents by state (an agent in two
	// queues counts in both).
	Agents map[AgentState]int
}

// SetLive installs the function the scrape reads calls waiting, oldest
// wait and agents by state from (computed at scrape time: nothing to
// drift). It must bound its own time and be safe for concurrent use; each
// queue should appear once (later entries of the same queue are ignored).
// When it fails, the scrape reports tenesa_acd_figures_up 0 and no live
// figures. nil removes it.
func (m *Metrics) SetLive(f func() (Live, error)) {
	if m == nil {
		return
	}
	if f == nil {
		m.live.Store(nil)
		return
	}
	m.live.Store(&f)
}

// Dispatched observes the time from an agent or a call becoming ready to
// the offer handed to the call's owner.
func (m *Metrics) Dispatched(d time.Duration) {
	if m == nil {
		return
	}
	m.dispatch.Observe(d.Seconds())
}

var (
	liveWaitingDesc = prometheus.NewDesc(namespace+"_queue_calls_waiting",
		"Calls waiting in the queue now.", []string{"queue"}, nil)
	liveOldestDesc = prometheus.NewDesc(namespace+"_queue_oldest_wait_seconds",
		"How long the call waiting longest in the queue has waited (0: none waiting).", []string{"queue"}, nil)
	liveQueueAgentsDesc = prometheus.NewDesc(namespace+"_queue_agents",
		"The queue's member agents, by state.", []string{"queue", "state"}, nil)
	liveAgentsDesc = prometheus.NewDesc(namespace+"_agents",
		"Agents by state (each once).", []string{"state"}, nil)
	targetSLThresholdDesc = prometheus.NewDesc(namespace+"_queue_service_level_threshold_seconds",
		"Configured service-level threshold of the queue.", []string{"queue"}, nil)
	targetSLDesc = prometheus.NewDesc(namespace+"_queue_service_level_target_ratio",
		"Configured service-level target of the queue (share answered within the threshold).", []string{"queue"}, nil)
	targetShortAbandonDesc = prometheus.NewDesc(namespace+"_queue_short_abandon_threshold_seconds",
		"Configured short-abandon threshold of the queue (0: no exclusion).", []string{"queue"}, nil)
	targetMaxWaitDesc = prometheus.NewDesc(namespace+"_queue_max_wait_seconds",
		"Configured maximum wait of the queue (absent: none).", []string{"queue"}, nil)
	liveUpDesc = prometheus.NewDesc(namespace+"_acd_figures_up",
		"1 when the live queue figures could be read at this scrape (absent without a live source).", nil, nil)
)

// queueCollector reports the live figures and the configured targets at
// scrape time.
type queueCollector struct{ m *Metrics }

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{liveWaitingDesc, liveOldestDesc, liveQueueAgentsDesc, liveAgentsDesc,
		targetSLThresholdDesc, targetSLDesc, targetShortAbandonDesc, targetMaxWaitDesc, liveUpDesc} {
		ch <- d
	}
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	cfg := c.m.config.Load()
	for _, q := range slices.Sorted(maps.Keys(cfg.Queues)) {
		t := cfg.Queues[q]
		ch <- prometheus.MustNewConstMetric(targetSLThresholdDesc, prometheus.GaugeValue, t.ServiceLevelThreshold.Seconds(), q)
		ch <- prometheus.MustNewConstMetric(targetSLDesc, prometheus.GaugeValue, t.ServiceLevelTarget, q)
		ch <- prometheus.MustNewConstMetric(targetShortAbandonDesc, prometheus.GaugeValue, t.ShortAbandon.Seconds(), q)
		if t.MaxWait > 0 {
			ch <- prometheus.MustNewConstMetric(targetMaxWaitDesc, prometheus.GaugeValue, t.MaxWait.Seconds(), q)
		}
	}
	f := c.m.live.Load()
	if f == nil {
		return
	}
	live, err := (*f)()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(liveUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(liveUpDesc, prometheus.GaugeValue, 1)
	seen := make(map[string]bool, len(live.Queues))
	for _, q := range live.Queues {
		if seen[q.Queue] { // a second entry would fail the whole scrape
			continue
		}
		seen[q.Queue] = true
		ch <- prometheus.MustNewConstMetric(liveWaitingDesc, prometheus.GaugeValue, float64(q.Waiting), q.Queue)
		ch <- prometheus.MustNewConstMetric(liveOldestDesc, prometheus.GaugeValue, q.OldestWait.Seconds(), q.Queue)
		for _, s := range AgentStates {
			ch <- prometheus.MustNewConstMetric(liveQueueAgentsDesc, prometheus.GaugeValue, float64(q.Agents[s]), q.Queue, string(s))
		}
	}
	for _, s := range AgentStates {
		ch <- prometheus.MustNewConstMetric(liveAgentsDesc, prometheus.GaugeValue, float64(live.Agents[s]), string(s))
	}
}
