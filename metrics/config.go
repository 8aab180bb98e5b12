package metrics

import (
	"maps"
	"slices"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// Defaults of QueueTargets fields left zero.
const (
	DefaultServiceLevelThreshold = 20 * time.Second // the trade's 80/20
	DefaultServiceLevelTarget    = 0.8
)

// QueueTargets are the figures one queue is measured against (from the
// queue's configuration).
type QueueTargets struct {
	// ServiceLevelThreshold: a call answered after waiting at most this long
	// counts toward service level. 0 = DefaultServiceLevelThreshold.
	ServiceLevelThreshold time.Duration
	// ServiceLevelTarget is the share (0–1] of calls to answer within the
	// threshold; the SL alert compares against it. 0 = DefaultServiceLevelTarget.
	ServiceLevelTarget float64
	// ShortAbandon: callers who hang up before waiting this long are left
	// out of service level and abandonment (they gave up before anyone could
	// answer). 0 = no exclusion.
	ShortAbandon time.Duration
	// MaxWait is the longest a caller should wait before overflowing; the
	// oldest-wait alert compares against it. 0 = no maximum.
	MaxWait time.Duration
}

func (t QueueTargets) withDefaults() QueueTargets {
	if t.ServiceLevelThreshold <= 0 {
		t.ServiceLevelThreshold = DefaultServiceLevelThreshold
	}
	if t.ServiceLevelTarget <= 0 {
		t.ServiceLevelTarget = DefaultServiceLevelTarget
	}
	return t
}

// Config is what the metrics need of the configuration: the label values
// bounded by it and the queues' targets.
type Config struct {
	// Segments are the configured segments (served or not).
	Segments []string
	// Queues by name.
	Queues map[string]QueueTargets
}

// Configure installs the configured segments and queues, at start-up and
// on each reload: it creates their series at zero (so rates and ratios see
// the first call) and sets the queues' targets used by QueueAnswered,
// QueueAbandoned and the target gauges. Series of segments or queues
// removed by a reload stay until restart (counters must not go back).
func (m *Metrics) Configure(c Config) {
	if m == nil {
		return
	}
	qs := make(map[string]QueueTargets, len(c.Queues))
	for name, t := range c.Queues {
		qs[name] = t.withDefaults()
	}
	c.Queues = qs
	c.Segments = slices.Clone(c.Segments)
	m.config.Store(&c)

	for _, seg := range append(slices.Clone(c.Segments), Unidentified) {
		for _, o := range router.Outcomes {
			m.calls.WithLabelValues(seg, string(o))
		}
	}
	for _, q := range slices.Sorted(maps.Keys(qs)) {
		m.queueEntered.WithLabelValues(q)
		for _, o := range WaitOutcomes {
			m.queueWait.WithLabelValues(q, string(o))
		}
		m.queueWithin.WithLabelValues(q)
		m.queueShortAbandon.WithLabelValues(q)
		m.talk.WithLabelValues(q)
		m.wrapUp.WithLabelValues(q)
	}
}

func (m *Metrics) targets(queue string) QueueTargets {
	if t, ok := m.config.Load().Queues[queue]; ok {
		return t
	}
	return QueueTargets{}.withDefaults()
}

// Unidentified is the segment label of calls whose caller was not identified.
const Unidentified = "unidentified"

// SelfServiceTicketStatus is the complaint-status self-service (the only
// IVR self-service today); the closed set of the service label.
const SelfServiceTicketStatus = "ticket_status"

// initClosedSets creates at zero every series whose labels come from closed
// sets, so the first event of each is seen by rate() and increase().
func (m *Metrics) initClosedSets() {
	for _, o := range router.Outcomes {
		m.calls.WithLabelValues(Unidentified, string(o))
		m.selfService.WithLabelValues(SelfServiceTicketStatus, string(o))
	}
	for _, b := range []router.Band{router.Pagi, router.Siang, router.Sore, router.Malam} {
		m.greetings.WithLabelValues(string(b), "true")
		m.greetings.WithLabelValues(string(b), "false")
	}
	for _, r := range []string{"ok", "error", "dropped"} {
		m.records.WithLabelValues(r)
	}
	for _, k := range segmentation.LookupKinds {
		for _, r := range segmentation.LookupResults {
			m.lookups.WithLabelValues(string(k), string(r))
		}
	}
	for _, r := range EscalationReasons {
		m.escalations.WithLabelValues(string(r))
	}
	m.dispositions.WithLabelValues("false", "false", "false")
	for _, fh := range []bool{false, true} {
		for _, cl := range []bool{false, true} {
			m.dispositions.WithLabelValues("true", boolLabel(fh), boolLabel(cl))
		}
	}
	m.callsStarted.WithLabelValues("stasis_start")
	m.callsStarted.WithLabelValues("adopted")
	m.resynced.WithLabelValues("adopted")
	m.resynced.WithLabelValues("gone")
}

// FromConfig is what the metrics take from the configuration: the segments
// and queues that bound their labels, and each queue's targets with
// acd.queue_defaults applied (configs.Config.QueueSettings): service_level,
// service_level_target (percent), short_abandon, and max_wait when the
// queue overflows (a queue without an overflow target has no maximum: its
// callers wait until answered or gone).
func FromConfig(cfg *configs.Config) Config {
	c := Config{
		Segments: slices.Sorted(maps.Keys(cfg.Segmentation.Segments)),
		Queues:   make(map[string]QueueTargets, len(cfg.Routing.Queues)),
	}
	for name := range cfg.Routing.Queues {
		q := cfg.QueueSettings(name)
		t := QueueTargets{
			ServiceLevelThreshold: q.ServiceLevel,
			ServiceLevelTarget:    float64(q.ServiceLevelTarget) / 100,
			ShortAbandon:          q.ShortAbandon,
		}
		if q.Overflow != "" {
			t.MaxWait = q.MaxWait
		}
		c.Queues[name] = t
	}
	return c
}
