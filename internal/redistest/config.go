package redistest

import (
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
)

// SegmentationConfig is DESIGN §4's default segmentation config, for tests.
func SegmentationConfig() configs.Segmentation {
	return configs.Segmentation{
		LookupBudget: 150 * time.Millisecond,
		Cache:        configs.Cache{Size: 10000, TTL: time.Minute, NegativeTTL: 10 * time.Second},
		Breaker:      configs.Breaker{Failures: 3, Cooldown: time.Second},
		Segments: map[string]configs.SegmentRule{
			"DES":      {Description: "enterprise / state-owned", Served: true},
			"DGS":      {Description: "government", Served: true},
			"DBS":      {Description: "business / SME", Served: true},
			"DWS":      {Description: "wholesale / carriers", Served: true},
			"CONSUMER": {Description: "retail IndiHome", Served: false, RedirectPrompt: "redirect-consumer-147", RedirectTarget: "147"},
		},
		Tiers:         map[string]int{"platinum": 4, "gold": 3, "silver": 2, "regular": 1},
		Products:      []string{"data_internet", "indihome", "telephony", "wifi_id"},
		Languages:     []string{"id", "en"},
		DefaultRegion: "ID",
	}
}
