// Package configs holds the typed configuration of tenesa-ivr: one struct
// loaded with viper from YAML (defaults embedded from tenesa.yaml), with
// environment overrides TENESA_<SECTION>_<KEY>, and validation whose every
// message names the file and the key.
package configs

import "time"

// Config is the whole configuration of one tenesa-ivr instance.
type Config struct {
	// Instance names this controller in logs, records and metrics.
	Instance     string       `mapstructure:"instance"`
	Log          Log          `mapstructure:"log"`
	ARI          ARI          `mapstructure:"ari"`
	Redis        Redis        `mapstructure:"redis"`
	Segmentation Segmentation `mapstructure:"segmentation"`
	Metrics      Metrics      `mapstructure:"metrics"`
	Lines        []Line       `mapstructure:"lines"`
	Greeting     Greeting     `mapstructure:"greeting"`
}

// Log configures zerolog.
type Log struct {
	Level  string `mapstructure:"level"`  // trace|debug|info|warn|error
	Format string `mapstructure:"format"` // auto|json|console (auto: console on a terminal)
}

// ARI is the connection to Asterisk's REST Interface.
type ARI struct {
	URL            string        `mapstructure:"url"`           // http://127.0.0.1:8088/ari
	WebsocketURL   string        `mapstructure:"websocket_url"` // derived from url when empty
	Username       string        `mapstructure:"username"`
	Password       string        `mapstructure:"password"`
	Application    string        `mapstructure:"application"`
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	ReconnectMin   time.Duration `mapstructure:"reconnect_min"`
	ReconnectMax   time.Duration `mapstructure:"reconnect_max"`
	// ShutdownGrace is how long serve waits for calls in progress on SIGTERM.
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`
}

// Redis is the customer-data cache. Addr is one address or a comma-separated
// list; with MasterName set it is a Sentinel set, with several addresses and no
// MasterName a Cluster (go-redis UniversalClient rules).
type Redis struct {
	Addr         string        `mapstructure:"addr"`
	MasterName   string        `mapstructure:"master_name"`
	Username     string        `mapstructure:"username"`
	Password     string        `mapstructure:"password"`
	DB           int           `mapstructure:"db"`
	KeyPrefix    string        `mapstructure:"key_prefix"`
	DialTimeout  time.Duration `mapstructure:"dial_timeout"`
	ReadTimeout  time.Duration `mapstructure:"read_timeout"`
	WriteTimeout time.Duration `mapstructure:"write_timeout"`
	PoolSize     int           `mapstructure:"pool_size"`
}

// Segmentation configures customer look-up and segment rules.
type Segmentation struct {
	// LookupBudget bounds one look-up; past it the answer is "unknown, degraded".
	LookupBudget time.Duration `mapstructure:"lookup_budget"`
	Cache        Cache         `mapstructure:"cache"`
	Breaker      Breaker       `mapstructure:"breaker"`
	// Segments lists every known segment; Served says whether TENESA serves it.
	Segments map[string]SegmentRule `mapstructure:"segments"`
	// Tiers lists known tiers and their queue priority (higher = sooner).
	Tiers map[string]int `mapstructure:"tiers"`
	// Products lists known product codes.
	Products []string `mapstructure:"products"`
	// Languages lists the caller languages prompts exist for.
	Languages []string `mapstructure:"languages"`
	// DefaultRegion is the phone-number region for numbers without a country code.
	DefaultRegion string `mapstructure:"default_region"`
}

// SegmentRule says whether a segment is served and, if not, where to send it.
type SegmentRule struct {
	Description string `mapstructure:"description"`
	Served      bool   `mapstructure:"served"`
	// RedirectPrompt is played to callers of a segment not served.
	RedirectPrompt string `mapstructure:"redirect_prompt"`
	// RedirectTarget is the number the call is transferred to (e.g. "147");
	// empty means continue in the dialplan after Stasis.
	RedirectTarget string `mapstructure:"redirect_target"`
}

// Cache is the bounded in-process cache in front of Redis.
type Cache struct {
	Size        int           `mapstructure:"size"`
	TTL         time.Duration `mapstructure:"ttl"`
	NegativeTTL time.Duration `mapstructure:"negative_ttl"`
}

// Breaker stops hammering a Redis that keeps failing.
type Breaker struct {
	Failures int           `mapstructure:"failures"` // consecutive failures that open it
	Cooldown time.Duration `mapstructure:"cooldown"` // how long it stays open before a trial
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	Listen string `mapstructure:"listen"` // "" disables the endpoint
	Path   string `mapstructure:"path"`
}

// Line is one dialed number (DNIS) that enters Stasis(tenesa-ivr,<number>).
type Line struct {
	Number   string `mapstructure:"number"`
	Name     string `mapstructure:"name"`
	TimeZone string `mapstructure:"timezone"` // WIB|WITA|WIT
	Language string `mapstructure:"language"` // id|en
}

// Greeting configures the standard greeting.
type Greeting struct {
	// DefaultTimeZone is used for lines not configured (WIB).
	DefaultTimeZone string `mapstructure:"default_timezone"`
	// Prompts maps a band (pagi|siang|sore|malam) to its prompt id.
	Prompts map[string]string `mapstructure:"prompts"`
	// Closing is the prompt played before hanging up.
	Closing string `mapstructure:"closing"`
	// SoundPrefix is prepended to prompt ids: sound:<prefix><lang>/<id>.
	SoundPrefix string `mapstructure:"sound_prefix"`
}
