// Package configs holds the typed configuration of tenesa-ivr: one struct
// loaded with viper from YAML (defaults embedded from tenesa.yaml), with
// environment overrides TENESA_<SECTION>_<KEY>, and validation whose every
// message names the file and the key.
package configs

import (
	"strings"
	"time"
)

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
	// Regions maps a customer region (from the CRM) to its time zone
	// (WIB|WITA|WIT), for the greeting band.
	Regions map[string]string `mapstructure:"regions"`
	IVR     IVR               `mapstructure:"ivr"`
	Routing Routing           `mapstructure:"routing"`
	Handoff Handoff           `mapstructure:"handoff"`
	// ACD is the queue side: defaults of every queue, escalation rules.
	ACD ACD `mapstructure:"acd"`
	// Agents declared in config (more may be created through the agent API).
	Agents []Agent `mapstructure:"agents"`
	// AgentAPI is the agents' and leaders' HTTP API.
	AgentAPI AgentAPI `mapstructure:"agentapi"`

	// RegionAliases maps the other spellings CRM exports use for a region
	// (codes such as JAP, BDG) to its name in Regions; case-insensitive.
	RegionAliases map[string]string `mapstructure:"region_aliases"`

	// Source is the file the config was loaded from (DefaultsName when
	// none); problems found after loading are reported under it.
	Source string `mapstructure:"-"`
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
	// Broadcast: several controllers share one Asterisk. This controller
	// registers its own application <application>-<instance> (see
	// ApplicationName) and claims the calls the dialplan offers with
	// StasisBroadcast(<timeout>,^<application>-,<line>). Off: one
	// controller, Stasis(<application>,<line>).
	Broadcast bool `mapstructure:"broadcast"`
	// MaxCalls: in broadcast mode, claim an offered call only while owning
	// fewer calls than this (0 = no limit).
	MaxCalls int `mapstructure:"max_calls"`
	// Failover: with broadcast, a survivor takes over the application of a
	// controller that died (its lease in Redis expired) and adopts its
	// calls (ari/failover).
	Failover Failover `mapstructure:"failover"`
}

// Failover configures the takeover of a dead controller's application.
type Failover struct {
	Enabled bool `mapstructure:"enabled"`
	// LeaseTTL: a controller that has not renewed its lease for this long
	// is dead; RenewEvery: how often it renews (at most a third of the TTL).
	LeaseTTL   time.Duration `mapstructure:"lease_ttl"`
	RenewEvery time.Duration `mapstructure:"renew_every"`
}

// ApplicationName is the Stasis application this controller registers:
// ari.application, or <ari.application>-<instance> with ari.broadcast.
func (c *Config) ApplicationName() string {
	if c.ARI.Broadcast {
		return c.ARI.Application + "-" + c.Instance
	}
	return c.ARI.Application
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

// IVR is the menu tree and the prompts of the call flow.
type IVR struct {
	FirstDigitTimeout time.Duration `mapstructure:"first_digit_timeout"`
	InterDigitTimeout time.Duration `mapstructure:"inter_digit_timeout"`
	// Retries is the number of tries per menu (invalid key or silence)
	// before the caller goes to an agent with what is known so far.
	Retries        int            `mapstructure:"retries"`
	InvalidPrompt  string         `mapstructure:"invalid_prompt"`
	NoInputPrompt  string         `mapstructure:"no_input_prompt"`
	Identification Identification `mapstructure:"identification"`
	Incident       Incident       `mapstructure:"incident"`
	Ticket         Ticket         `mapstructure:"ticket"`
	Prompts        IVRPrompts     `mapstructure:"prompts"`
	// Root names the first menu.
	Root string `mapstructure:"root"`
	// Menus by name. A file that sets ivr.menus replaces the default tree
	// as a whole (it is not merged key by key).
	Menus map[string]Menu `mapstructure:"menus"`
}

// Identification is the service-ID collection by DTMF when caller ID is unknown.
type Identification struct {
	MaxAttempts   int    `mapstructure:"max_attempts"`
	MaxDigits     int    `mapstructure:"max_digits"`
	Terminator    string `mapstructure:"terminator"`
	Prompt        string `mapstructure:"prompt"`
	InvalidPrompt string `mapstructure:"invalid_prompt"`
	FailedPrompt  string `mapstructure:"failed_prompt"`
}

// Incident holds the known-incident announcement prompts.
type Incident struct {
	Prompt         string `mapstructure:"prompt"`
	ContinuePrompt string `mapstructure:"continue_prompt"`
	// ETAPrompt introduces the expected end ("perkiraan waktu pemulihan adalah").
	ETAPrompt string `mapstructure:"eta_prompt"`
}

// Ticket holds the ticket-status self-service prompts.
type Ticket struct {
	Intro string `mapstructure:"intro"`
	// StatusPrompts maps every ticket status (TicketStatuses) to its prompt.
	StatusPrompts map[string]string `mapstructure:"status_prompts"`
	LastUpdate    string            `mapstructure:"last_update"`
	ETA           string            `mapstructure:"eta"`
	None          string            `mapstructure:"none"`
	OfferAgent    string            `mapstructure:"offer_agent"`
}

// IVRPrompts are the flow prompts outside menus (the closing prompt is
// greeting.closing).
type IVRPrompts struct {
	Transfer         string `mapstructure:"transfer"`
	Degraded         string `mapstructure:"degraded"`
	FurtherHelp      string `mapstructure:"further_help"`
	LanguageSwitched string `mapstructure:"language_switched"`
}

// Menu is one DTMF menu: a prompt and what each key does.
type Menu struct {
	Prompt string `mapstructure:"prompt"`
	// Options by key (0-9, *, #).
	Options map[string]MenuOption `mapstructure:"options"`
}

// MenuOption is one key: either Menu (go to that menu) or Action, plus what
// the key tells about the caller (intent, product, topic, language).
type MenuOption struct {
	Menu     string `mapstructure:"menu"`
	Action   string `mapstructure:"action"` // route | ticket_status | agent | language
	Intent   string `mapstructure:"intent"`
	Product  string `mapstructure:"product"`
	Topic    string `mapstructure:"topic"`
	Language string `mapstructure:"language"`
}

// Routing maps what is known about a caller to a queue: rules are tried in
// order, the first match wins, nothing matching means DefaultQueue.
type Routing struct {
	DefaultQueue string `mapstructure:"default_queue"`
	// Queues by name. A file that sets routing.queues replaces the default
	// set as a whole.
	Queues map[string]Queue `mapstructure:"queues"`
	Rules  []RoutingRule    `mapstructure:"rules"`
	// Skills lists the caller attributes turned into required skills
	// (segment, tier, intent, product, topic, language → "segment:DES", ...).
	Skills []string `mapstructure:"skills"`
}

// Queue is one agent queue. The ACD fields left empty (zero) take the
// value of acd.queue_defaults.
type Queue struct {
	Description string `mapstructure:"description"`
	// Skills every agent of this queue needs, added to the derived ones.
	Skills []string `mapstructure:"skills"`
	// Strategy: longest_idle | fewest_calls | round_robin | ring_all.
	Strategy string `mapstructure:"strategy"`
	// ServiceLevel is the answer-time threshold of the service level.
	ServiceLevel time.Duration `mapstructure:"service_level"`
	// ServiceLevelTarget is the percentage of calls to answer within
	// ServiceLevel (1-100; the service-level alert's target).
	ServiceLevelTarget int `mapstructure:"service_level_target"`
	// ShortAbandon: callers who hang up sooner are left out of the service
	// level and the abandonment rate.
	ShortAbandon time.Duration `mapstructure:"short_abandon"`
	// MaxWait is how long a caller waits before overflowing.
	MaxWait time.Duration `mapstructure:"max_wait"`
	// Overflow is the queue a caller overflows to after MaxWait (default
	// acd.team_leader_queue; "none": never).
	Overflow      string        `mapstructure:"overflow"`
	WrapUp        time.Duration `mapstructure:"wrap_up"`
	RingTimeout   time.Duration `mapstructure:"ring_timeout"`
	AnnounceEvery time.Duration `mapstructure:"announce_every"`
}

// ACD configures queues and agents as a whole.
type ACD struct {
	// Pool names the shared agent pool in Redis: controllers with the same
	// redis.key_prefix and pool share agents and calls.
	Pool string `mapstructure:"pool"`
	// TeamLeaderQueue receives escalations and, by default, overflows.
	// Empty: no Team Leader queue (no escalation, no repeat-caller rule,
	// overflow only where a queue names one). A file that sets
	// routing.queues drops the default, like the default agents.
	TeamLeaderQueue string `mapstructure:"team_leader_queue"`
	// EscalationPriority is an escalated caller's priority in the new queue
	// (above every tier's).
	EscalationPriority int           `mapstructure:"escalation_priority"`
	RepeatCaller       RepeatCaller  `mapstructure:"repeat_caller"`
	QueueDefaults      QueueDefaults `mapstructure:"queue_defaults"`
}

// RepeatCaller: a service that calls Calls times within Window about an
// open complaint goes to the Team Leader queue with priority (0: off).
type RepeatCaller struct {
	Calls  int           `mapstructure:"calls"`
	Window time.Duration `mapstructure:"window"`
}

// QueueDefaults are the ACD settings of a queue that sets none.
type QueueDefaults struct {
	Strategy      string        `mapstructure:"strategy"`
	ServiceLevel  time.Duration `mapstructure:"service_level"`
	MaxWait       time.Duration `mapstructure:"max_wait"`
	WrapUp        time.Duration `mapstructure:"wrap_up"`
	RingTimeout   time.Duration `mapstructure:"ring_timeout"`
	AnnounceEvery time.Duration `mapstructure:"announce_every"`
	// ServiceLevelTarget (percent) and ShortAbandon: see Queue.
	ServiceLevelTarget int           `mapstructure:"service_level_target"`
	ShortAbandon       time.Duration `mapstructure:"short_abandon"`
}

// Agent is one agent declared in config.
type Agent struct {
	ID       string   `mapstructure:"id"`
	Name     string   `mapstructure:"name"`
	Endpoint string   `mapstructure:"endpoint"` // PJSIP/agent1001, Local/1001@agent-sim
	Skills   []string `mapstructure:"skills"`   // segment:DES, product:indihome, lang:en, ...
	Team     string   `mapstructure:"team"`
	Role     string   `mapstructure:"role"` // agent (default) | team_leader | supervisor
	Queues   []string `mapstructure:"queues"`
	// LoginAtStart logs the agent in when the controller starts (small
	// sites, tests).
	LoginAtStart bool `mapstructure:"login_at_start"`
	// Token is the agent's bearer token for the agent API (at least 16
	// characters; empty: the agent cannot use the API). Set it with
	// TENESA_AGENT_<ID>_TOKEN rather than in a file; never logged.
	Token string `mapstructure:"token"`
	// tokenFromEnv: Token came from TENESA_AGENT_<ID>_TOKEN (for messages).
	tokenFromEnv bool
}

// AgentAPI is the agents' and leaders' HTTP API (REST + Server-Sent Events).
type AgentAPI struct {
	// Listen is its own address ("" turns the API off).
	Listen string `mapstructure:"listen"`
	// KeepAlive is the period of the event streams' keep-alive comments.
	KeepAlive time.Duration `mapstructure:"keepalive"`
}

// RoutingRule sends callers matching every listed dimension to Queue.
type RoutingRule struct {
	Name  string    `mapstructure:"name"`
	Match RuleMatch `mapstructure:"match"`
	Queue string    `mapstructure:"queue"`
}

// RuleMatch lists, per dimension, the values a rule accepts; an empty list
// accepts anything.
type RuleMatch struct {
	Segment  []string `mapstructure:"segment"`
	Tier     []string `mapstructure:"tier"`
	Intent   []string `mapstructure:"intent"`
	Product  []string `mapstructure:"product"`
	Topic    []string `mapstructure:"topic"`
	Language []string `mapstructure:"language"`
}

// Handoff is the direct agent hand-off of a configuration with no agents:
// the caller is bridged to one configured agent endpoint, bypassing the ACD.
type Handoff struct {
	Endpoint    string        `mapstructure:"endpoint"`
	RingTimeout time.Duration `mapstructure:"ring_timeout"`
}

// RegionNames maps every lower-case region name and alias to the region's
// name in Regions: the table the importer canonicalises CRM regions with.
func (c *Config) RegionNames() map[string]string {
	out := make(map[string]string, len(c.Regions)+len(c.RegionAliases))
	for r := range c.Regions {
		out[strings.ToLower(r)] = strings.ToLower(r)
	}
	for alias, r := range c.RegionAliases {
		if _, ok := c.Regions[strings.ToLower(r)]; ok {
			out[strings.ToLower(alias)] = strings.ToLower(r)
		}
	}
	return out
}
