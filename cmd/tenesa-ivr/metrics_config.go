package main

import (
	"maps"
	"slices"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// metricsConfig is what the metrics take from the configuration: the
// segments and queues that bound their labels. The queues' service-level
// thresholds, targets and maximum waits come with the queue configuration
// of the ACD; until then every queue has the metrics' defaults.
func metricsConfig(cfg *configs.Config) metrics.Config {
	c := metrics.Config{
		Segments: slices.Sorted(maps.Keys(cfg.Segmentation.Segments)),
		Queues:   make(map[string]metrics.QueueTargets, len(cfg.Routing.Queues)),
	}
	for name := range cfg.Routing.Queues {
		c.Queues[name] = metrics.QueueTargets{}
	}
	return c
}
