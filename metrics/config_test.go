package metrics_test

import (
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// The queues' targets come from the queue configuration with
// acd.queue_defaults applied; a maximum wait only where the queue
// overflows.
func TestFromConfigTakesEachQueuesTargets(t *testing.T) {
	cfg := &configs.Config{}
	cfg.ACD.TeamLeaderQueue = "leaders"
	cfg.ACD.QueueDefaults = configs.QueueDefaults{ServiceLevel: 20 * time.Second, ServiceLevelTarget: 80,
		MaxWait: 5 * time.Minute, ShortAbandon: 3 * time.Second}
	cfg.Routing.Queues = map[string]configs.Queue{
		"care":    {ServiceLevel: 10 * time.Second, ServiceLevelTarget: 90, ShortAbandon: 5 * time.Second, MaxWait: 2 * time.Minute},
		"billing": {Overflow: configs.OverflowNone}, // defaults, no overflow
		"leaders": {},                               // the Team Leader queue: no overflow
	}
	got := metrics.FromConfig(cfg).Queues
	tests := []struct {
		name, queue string
		want        metrics.QueueTargets
	}{
		{"its own targets", "care", metrics.QueueTargets{ServiceLevelThreshold: 10 * time.Second, ServiceLevelTarget: 0.9,
			ShortAbandon: 5 * time.Second, MaxWait: 2 * time.Minute}},
		{"the defaults, no maximum without an overflow", "billing", metrics.QueueTargets{ServiceLevelThreshold: 20 * time.Second,
			ServiceLevelTarget: 0.8, ShortAbandon: 3 * time.Second}},
		{"the team leader queue does not overflow", "leaders", metrics.QueueTargets{ServiceLevelThreshold: 20 * time.Second,
			ServiceLevelTarget: 0.8, ShortAbandon: 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got[tt.queue] != tt.want {
				t.Errorf("%s: %+v, want %+v", tt.queue, got[tt.queue], tt.want)
			}
		})
	}
}

// The shipped configuration maps as documented in configs/tenesa.yaml.
func TestFromConfigOfTheShippedDefaults(t *testing.T) {
	prompts, err := manifest.PromptIDs()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load("", prompts)
	if err != nil {
		t.Fatal(err)
	}
	got := metrics.FromConfig(cfg).Queues
	if len(got) != len(cfg.Routing.Queues) {
		t.Errorf("%d queues, want %d", len(got), len(cfg.Routing.Queues))
	}
	want := map[string]metrics.QueueTargets{
		"vip-platinum": {ServiceLevelThreshold: 10 * time.Second, ServiceLevelTarget: 0.8, MaxWait: 2 * time.Minute},
		"general":      {ServiceLevelThreshold: 20 * time.Second, ServiceLevelTarget: 0.8, MaxWait: 5 * time.Minute},
		"team-leader":  {ServiceLevelThreshold: 20 * time.Second, ServiceLevelTarget: 0.8},
	}
	for q, w := range want {
		if got[q] != w {
			t.Errorf("%s: %+v, want %+v", q, got[q], w)
		}
	}
}
