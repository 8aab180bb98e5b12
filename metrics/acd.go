package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ACD holds the queue side's collectors. A nil *ACD records nothing.
type ACD struct {
	escalations *prometheus.CounterVec
	dispatch    prometheus.Histogram
	notRecorded *prometheus.CounterVec
}

// QueueFigures is one queue's gauges, read at scrape time.
type QueueFigures struct {
	Queue      string // from config
	Waiting    int
	OldestWait time.Duration
}

// ACDFigures is what the acd reports at each scrape: per queue, and agents
// by state (a closed set).
type ACDFigures struct {
	Queues        []QueueFigures
	AgentsByState map[string]int
}

// NewACD registers the acd's collectors on reg. figures is called at each
// scrape (so waiting counts and agent states cannot drift from Redis, where
// they live); it must bound its own time. It may be nil (no gauges).
func NewACD(reg prometheus.Registerer, figures func() (ACDFigures, error)) *ACD {
	f := factory{reg}
	m := &ACD{
		escalations: f.counterVec("escalations_total",
			"Calls moved to another queue, by reason (max_wait, repeat_caller, agent_request).", "reason"),
		dispatch: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace,
			Name:    "dispatch_latency_seconds",
			Help:    "From an agent or a call becoming ready to the offer handed to the call's owner.",
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1}}),
		notRecorded: f.counterVec("dispositions_missing_total",
			"Calls whose agent recorded no disposition by the end of wrap-up (needs not recorded), by queue.", "queue"),
	}
	reg.MustRegister(m.dispatch)
	if figures != nil {
		reg.MustRegister(&acdCollector{figures: figures})
	}
	return m
}

// Escalation counts one escalation; reason is from the acd's closed set.
func (m *ACD) Escalation(reason string) {
	if m == nil {
		return
	}
	m.escalations.WithLabelValues(reason).Inc()
}

// Dispatched observes one dispatch latency.
func (m *ACD) Dispatched(d time.Duration) {
	if m == nil {
		return
	}
	m.dispatch.Observe(d.Seconds())
}

// DispositionMissing counts a call wrapped up with no disposition.
func (m *ACD) DispositionMissing(queue string) {
	if m == nil {
		return
	}
	m.notRecorded.WithLabelValues(queue).Inc()
}

var (
	descWaiting = prometheus.NewDesc(namespace+"_queue_waiting_calls",
		"Calls waiting in the queue now.", []string{"queue"}, nil)
	descOldest = prometheus.NewDesc(namespace+"_queue_oldest_wait_seconds",
		"How long the longest-waiting caller of the queue has waited.", []string{"queue"}, nil)
	descAgents = prometheus.NewDesc(namespace+"_agents",
		"Agents of the pool by state.", []string{"state"}, nil)
	descUp = prometheus.NewDesc(namespace+"_acd_figures_up",
		"1 when the queue figures could be read from Redis at this scrape.", nil, nil)
)

type acdCollector struct {
	figures func() (ACDFigures, error)
}

func (c *acdCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descWaiting
	ch <- descOldest
	ch <- descAgents
	ch <- descUp
}

func (c *acdCollector) Collect(ch chan<- prometheus.Metric) {
	f, err := c.figures()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for _, q := range f.Queues {
		ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(q.Waiting), q.Queue)
		ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, q.OldestWait.Seconds(), q.Queue)
	}
	for state, n := range f.AgentsByState {
		ch <- prometheus.MustNewConstMetric(descAgents, prometheus.GaugeValue, float64(n), state)
	}
}
