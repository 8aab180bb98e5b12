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
	// Level is the lowest level logged: trace|debug|info|warn|error.
	Level string `mapstructure:"level"`
	// Format: json, console, or auto (console on a terminal, else JSON).
	Format string `mapstructure:"format"`
}

// ARI is the connection to Asterisk's REST Interface.
type ARI struct {
	// URL is the base address of Asterisk's ARI (http.conf's address and
	// prefix, then /ari).
	URL string `mapstructure:"url"`
	// WebsocketURL is the events WebSocket; empty: derived from URL
	// (http://host/ari → ws://host/ari/events).
	WebsocketURL string `mapstructure:"websocket_url"`
	// Username is the ARI user of Asterisk's ari.conf.
	Username string `mapstructure:"username"`
	// Password is that user's password: set it with TENESA_ARI_PASSWORD
	// rather than in a file; never logged.
	Password string `mapstructure:"password"`
	// Application is the Stasis application the dialplan sends calls to
	// (Stasis(<application>,<line>)).
	Application string `mapstructure:"application"`
	// RequestTimeout bounds every ARI REST request.
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	// ReconnectMin is the first wait before reconnecting the events
	// WebSocket (exponential backoff with full jitter).
	ReconnectMin time.Duration `mapstructure:"reconnect_min"`
	// ReconnectMax caps the reconnect backoff.
	ReconnectMax time.Duration `mapstructure:"reconnect_max"`
	// ShutdownGrace is how long serve waits for calls in progress on SIGTERM.
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`
	// Broadcast: several controllers share one Asterisk. This controller
	// registers its own application <application>-<instance> and claims
	// the calls the dialplan offers with
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
	// Servers: several Asterisks served by this controller (ari_servers.go).
	// Empty: the one Asterisk of url, websocket_url, username, password.
	Servers []ARIServer `mapstructure:"servers"`
}

// Failover configures the takeover of a dead controller's application.
type Failover struct {
	// Enabled turns on the lease in Redis and the takeover of a dead peer's
	// application by a survivor (needs ari.broadcast).
	Enabled bool `mapstructure:"enabled"`
	// LeaseTTL: a controller whose lease has not been renewed for this
	// long, and is then still absent at the survivors' next looks
	// 2×renew_every apart while Redis answers them, is dead: its callers
	// hear the survivor's apology about lease_ttl + 2×renew_every after
	// its death (at most lease_ttl + 3×renew_every, plus the adoption).
	// A Redis outage or failover never makes a live controller dead
	// (at least 500ms).
	LeaseTTL time.Duration `mapstructure:"lease_ttl"`
	// RenewEvery is how often a controller renews its lease and looks at
	// its peers' leases (at least 50ms, at most a third of lease_ttl).
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

// Redis holds the customer data, the handling records and the agents'
// shared state. Addr is one address or a comma-separated
// list; with MasterName set it is a Sentinel set, with several addresses and no
// MasterName a Cluster (go-redis UniversalClient rules).
type Redis struct {
	// Addr is host:port, or a comma-separated list (Cluster or Sentinel).
	Addr string `mapstructure:"addr"`
	// MasterName is the Sentinel master name; set it for Sentinel.
	MasterName string `mapstructure:"master_name"`
	// Username is the Redis ACL user (empty: none).
	Username string `mapstructure:"username"`
	// Password: set it with TENESA_REDIS_PASSWORD rather than in a file;
	// never logged.
	Password string `mapstructure:"password"`
	// DB is the database number (not for Cluster).
	DB int `mapstructure:"db"`
	// KeyPrefix starts every key tenesa-ivr reads or writes (customers,
	// records, agent state), so several data sets share one Redis.
	KeyPrefix string `mapstructure:"key_prefix"`
	// DialTimeout bounds a connection attempt.
	DialTimeout time.Duration `mapstructure:"dial_timeout"`
	// ReadTimeout bounds one reply.
	ReadTimeout time.Duration `mapstructure:"read_timeout"`
	// WriteTimeout bounds one request write.
	WriteTimeout time.Duration `mapstructure:"write_timeout"`
	// PoolSize is the connection pool size (0: go-redis default, 10 per CPU).
	PoolSize int `mapstructure:"pool_size"`
}

// Segmentation configures customer look-up and segment rules.
type Segmentation struct {
	// LookupBudget bounds one look-up; past it the answer is "unknown, degraded".
	LookupBudget time.Duration `mapstructure:"lookup_budget"`
	Cache        Cache         `mapstructure:"cache"`
	Breaker      Breaker       `mapstructure:"breaker"`
	// Segments lists every known segment and whether TENESA serves it.
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
	// Description says who the segment is (documentation only).
	Description string `mapstructure:"description"`
	// Served: TENESA serves this segment's callers; false sends them to
	// redirect_prompt and redirect_target.
	Served bool `mapstructure:"served"`
	// RedirectPrompt is played to callers of a segment not served.
	RedirectPrompt string `mapstructure:"redirect_prompt"`
	// RedirectTarget is the number the call is transferred to (e.g. "147");
	// empty means continue in the dialplan after Stasis.
	RedirectTarget string `mapstructure:"redirect_target"`
}

// Cache is the bounded in-process cache in front of Redis.
type Cache struct {
	// Size is the most customers held.
	Size int `mapstructure:"size"`
	// TTL is how long a customer found stays cached.
	TTL time.Duration `mapstructure:"ttl"`
	// NegativeTTL is how long a number not found stays cached as unknown.
	NegativeTTL time.Duration `mapstructure:"negative_ttl"`
}

// Breaker stops hammering a Redis that keeps failing.
type Breaker struct {
	// Failures is the number of consecutive failures that open it (look-ups
	// then answer "degraded" at once).
	Failures int `mapstructure:"failures"`
	// Cooldown is how long it stays open before one trial request.
	Cooldown time.Duration `mapstructure:"cooldown"`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Listen is the address of /metrics, /healthz and /readyz ("" disables
	// them).
	Listen string `mapstructure:"listen"`
	// Path is where the Prometheus metrics are served.
	Path string `mapstructure:"path"`
}

// Line is one dialed number (DNIS) that enters Stasis(tenesa-ivr,<number>).
type Line struct {
	// Number is the dialed number, the second argument of Stasis().
	Number string `mapstructure:"number"`
	// Name is the line's name in logs and records.
	Name string `mapstructure:"name"`
	// TimeZone of the line (WIB|WITA|WIT): the greeting's zone for callers
	// whose region is unknown.
	TimeZone string `mapstructure:"timezone"`
	// Language of the line's prompts (one of segmentation.languages).
	Language string `mapstructure:"language"`
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
	// FirstDigitTimeout is the silence after a menu prompt before "no
	// input".
	FirstDigitTimeout time.Duration `mapstructure:"first_digit_timeout"`
	// InterDigitTimeout is the longest pause between the digits of a
	// multi-digit entry (service ID).
	InterDigitTimeout time.Duration `mapstructure:"inter_digit_timeout"`
	// Retries is the number of tries per menu (invalid key or silence)
	// before the caller goes to an agent with what is known so far.
	Retries int `mapstructure:"retries"`
	// InvalidPrompt is played after a key the menu does not offer.
	InvalidPrompt string `mapstructure:"invalid_prompt"`
	// NoInputPrompt is played when no key came in time.
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
	// MaxAttempts is the number of service IDs a caller may enter before
	// going on unidentified.
	MaxAttempts int `mapstructure:"max_attempts"`
	// MaxDigits is the longest service ID.
	MaxDigits int `mapstructure:"max_digits"`
	// Terminator is the key that ends the entry.
	Terminator string `mapstructure:"terminator"`
	// Prompt asks for the service ID.
	Prompt string `mapstructure:"prompt"`
	// InvalidPrompt follows a service ID not found (then the caller tries
	// again).
	InvalidPrompt string `mapstructure:"invalid_prompt"`
	// FailedPrompt is played after the last attempt failed.
	FailedPrompt string `mapstructure:"failed_prompt"`
}

// Incident holds the known-incident announcement prompts.
type Incident struct {
	// Prompt announces an incident that names no prompt of its own.
	Prompt string `mapstructure:"prompt"`
	// ContinuePrompt follows the announcement (any key or silence goes on
	// to the menu).
	ContinuePrompt string `mapstructure:"continue_prompt"`
	// ETAPrompt introduces the expected end ("perkiraan waktu pemulihan adalah").
	ETAPrompt string `mapstructure:"eta_prompt"`
}

// Ticket holds the ticket-status self-service prompts.
type Ticket struct {
	// Intro introduces the ticket read out (its id follows).
	Intro string `mapstructure:"intro"`
	// StatusPrompts maps every ticket status (open, in_progress, pending,
	// resolved, closed) to its prompt.
	StatusPrompts map[string]string `mapstructure:"status_prompts"`
	// LastUpdate introduces the time of the ticket's last update.
	LastUpdate string `mapstructure:"last_update"`
	// ETA introduces the expected resolution time.
	ETA string `mapstructure:"eta"`
	// None says the service has no open ticket.
	None string `mapstructure:"none"`
	// OfferAgent offers an agent (0) or to finish (1).
	OfferAgent string `mapstructure:"offer_agent"`
}

// IVRPrompts are the flow prompts outside menus (the closing prompt is
// greeting.closing).
type IVRPrompts struct {
	// Transfer is played before the caller joins a queue.
	Transfer string `mapstructure:"transfer"`
	// Degraded tells the caller customer data is unavailable (Redis down or
	// slow) before they go to the default queue.
	Degraded string `mapstructure:"degraded"`
	// FurtherHelp asks after self-service: 1 main menu, 0 agent, 2 end.
	FurtherHelp string `mapstructure:"further_help"`
	// LanguageSwitched confirms a change of language.
	LanguageSwitched string `mapstructure:"language_switched"`
}

// Menu is one DTMF menu: a prompt and what each key does.
type Menu struct {
	// Prompt is the menu's prompt, which lists its keys.
	Prompt string `mapstructure:"prompt"`
	// Options by key (0-9, *, #).
	Options map[string]MenuOption `mapstructure:"options"`
}

// MenuOption is one key: either Menu (go to that menu) or Action, plus what
// the key tells about the caller (intent, product, topic, language).
type MenuOption struct {
	// Menu is the menu this key opens (instead of an action).
	Menu string `mapstructure:"menu"`
	// Action: route | ticket_status | agent | language (instead of a menu).
	Action string `mapstructure:"action"`
	// Intent the key tells: complaint, ticket_status, information, request
	// or agent.
	Intent string `mapstructure:"intent"`
	// Product the key tells (one of segmentation.products).
	Product string `mapstructure:"product"`
	// Topic the key tells (free text that routing rules match).
	Topic string `mapstructure:"topic"`
	// Language the key switches to (one of segmentation.languages).
	Language string `mapstructure:"language"`
}

// Routing maps what is known about a caller to a queue: rules are tried in
// order, the first match wins, nothing matching means DefaultQueue.
type Routing struct {
	// DefaultQueue takes callers no rule matches, and callers not
	// identified or identified while Redis is down.
	DefaultQueue string `mapstructure:"default_queue"`
	// Queues by name. A file that sets routing.queues replaces the default
	// set as a whole.
	Queues map[string]Queue `mapstructure:"queues"`
	// Rules are tried in order; the first that matches the caller names the
	// queue. A rule an earlier rule always catches is an error.
	Rules []RoutingRule `mapstructure:"rules"`
	// Skills lists the caller attributes turned into required skills
	// (segment, tier, intent, product, topic, language → "segment:DES", ...).
	Skills []string `mapstructure:"skills"`
}

// Queue is one agent queue. The ACD fields left empty (zero) take the
// value of acd.queue_defaults.
type Queue struct {
	// Description says what the queue is for (documentation, pages).
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
	Overflow string `mapstructure:"overflow"`
	// WrapUp is the after-call time an agent gets before the next call.
	WrapUp time.Duration `mapstructure:"wrap_up"`
	// RingTimeout is how long an offered agent rings before the call goes
	// to the next agent (and the agent is paused no_answer).
	RingTimeout time.Duration `mapstructure:"ring_timeout"`
	// AnnounceEvery is the period of the position and expected-wait
	// announcements to a waiting caller (0s: none).
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
	// Calls within Window that make a repeat caller (0: off).
	Calls int `mapstructure:"calls"`
	// Window is the period the calls are counted over.
	Window time.Duration `mapstructure:"window"`
}

// QueueDefaults are the ACD settings of a queue that sets none.
type QueueDefaults struct {
	// Strategy: longest_idle | fewest_calls | round_robin | ring_all.
	Strategy string `mapstructure:"strategy"`
	// ServiceLevel is the answer-time threshold of the service level.
	ServiceLevel time.Duration `mapstructure:"service_level"`
	// MaxWait is how long a caller waits before overflowing.
	MaxWait time.Duration `mapstructure:"max_wait"`
	// WrapUp is the after-call time an agent gets before the next call.
	WrapUp time.Duration `mapstructure:"wrap_up"`
	// RingTimeout is how long an offered agent rings before the next one.
	RingTimeout time.Duration `mapstructure:"ring_timeout"`
	// AnnounceEvery is the period of the position and expected-wait
	// announcements (0s: none).
	AnnounceEvery time.Duration `mapstructure:"announce_every"`
	// ServiceLevelTarget is the percentage of calls to answer within
	// ServiceLevel (1-100; the service-level alert's target).
	ServiceLevelTarget int `mapstructure:"service_level_target"`
	// ShortAbandon: callers who hang up sooner are left out of the service
	// level and the abandonment rate (0s: none).
	ShortAbandon time.Duration `mapstructure:"short_abandon"`
}

// Agent is one agent declared in config.
type Agent struct {
	// ID is the agent's id (letters, digits, - _ .), used in the API's
	// paths and in TENESA_AGENT_<ID>_TOKEN.
	ID string `mapstructure:"id"`
	// Name is shown on the pages and in records.
	Name string `mapstructure:"name"`
	// Endpoint is the Asterisk endpoint rung for the agent (PJSIP/agent1001,
	// Local/1001@agent-sim).
	Endpoint string `mapstructure:"endpoint"`
	// Box is the ari.servers name of the Asterisk the endpoint is
	// registered on; empty: registered on every box (or one Asterisk). A
	// call on another box reaches the agent only through that box's
	// agent_trunk.
	Box string `mapstructure:"box"`
	// Skills the agent has: segment:DES, tier:platinum, product:indihome,
	// lang:en, ... or a queue's own skills.
	Skills []string `mapstructure:"skills"`
	// Team the agent belongs to (in the agent API's agent records).
	Team string `mapstructure:"team"`
	// Role: agent (default) | team_leader | supervisor; leaders and
	// supervisors may use the board.
	Role string `mapstructure:"role"`
	// Queues the agent takes calls from.
	Queues []string `mapstructure:"queues"`
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
	// Name names the rule in records, logs and errors.
	Name  string    `mapstructure:"name"`
	Match RuleMatch `mapstructure:"match"`
	// Queue is where matching callers go (a queue of routing.queues).
	Queue string `mapstructure:"queue"`
}

// RuleMatch lists, per dimension, the values a rule accepts; an empty list
// accepts anything.
type RuleMatch struct {
	// Segment: customer segments accepted (DES, DGS, DBS, DWS, ...).
	Segment []string `mapstructure:"segment"`
	// Tier: customer tiers accepted (segmentation.tiers).
	Tier []string `mapstructure:"tier"`
	// Intent: intents accepted (from the menu keys).
	Intent []string `mapstructure:"intent"`
	// Product: products accepted (segmentation.products).
	Product []string `mapstructure:"product"`
	// Topic: topics accepted (from the menu keys).
	Topic []string `mapstructure:"topic"`
	// Language: caller languages accepted.
	Language []string `mapstructure:"language"`
}

// Handoff is the direct agent hand-off of a configuration with no agents:
// the caller is bridged to one configured agent endpoint, bypassing the ACD.
type Handoff struct {
	// Endpoint is rung for every routed caller (only with no agents).
	Endpoint string `mapstructure:"endpoint"`
	// RingTimeout is how long it rings per attempt; after two unanswered
	// attempts the caller continues to the dialplan's fallback queue.
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
