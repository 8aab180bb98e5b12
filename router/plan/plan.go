// Package plan compiles the IVR menus, routing rules, prompts and hand-off of
// a configs.Config into one immutable Plan. A call takes the current Plan once
// at its start and keeps it to the end; a reload compiles a whole new Plan and
// swaps one pointer (see Holder). Match is pure: same Attrs, same Route.
package plan

import (
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// Action is what a menu key does.
type Action string

// Actions of a menu option.
const (
	ActionMenu         Action = "menu"          // go to Option.Next
	ActionRoute        Action = "route"         // route to an agent with what is known (Match)
	ActionTicketStatus Action = "ticket_status" // read the caller's ticket, then offer an agent
	ActionAgent        Action = "agent"         // route to an agent at once
	ActionLanguage     Action = "language"      // switch the caller's language, replay the menu
)

// Option is one key of a menu. Intent, Product, Topic and Language are what
// pressing the key tells about the caller; empty means "nothing new".
type Option struct {
	Key      string
	Action   Action
	Next     *Menu // for ActionMenu
	Intent   string
	Product  string
	Topic    string
	Language string
}

// Menu is one DTMF menu. Keys lists the valid keys in keypad order
// (1-9, 0, *, #), e.g. "123490"; it is the gather set for the menu.
type Menu struct {
	Name    string
	Prompt  string
	Options map[string]*Option
	Keys    string
}

// Identification is the service-ID collection when caller ID finds no customer.
type Identification struct {
	MaxAttempts   int
	MaxDigits     int
	Terminator    string
	Prompt        string
	InvalidPrompt string
	FailedPrompt  string
}

// Prompts are the prompt ids (not media URIs: see Plan.Media) the flow plays.
type Prompts struct {
	Invalid, NoInput, Transfer, Degraded, Closing, FurtherHelp, LanguageSwitched string
	IncidentPrompt, IncidentContinue, IncidentETA                                string
	TicketIntro, TicketLastUpdate, TicketETA, TicketNone, TicketOfferAgent       string
	// TicketStatus maps a ticket status (open, in_progress, ...) to its prompt.
	TicketStatus map[string]string
	// Greeting maps a band (pagi, siang, sore, malam) to its prompt.
	Greeting map[string]string
	// SoundPrefix is prepended to prompt ids: sound:<prefix><lang>/<id>.
	SoundPrefix string
}

// Attrs is what is known about a caller when the flow asks for a route.
type Attrs struct {
	Segment, Tier, Intent, Product, Topic, Language string
	// Identified is false for callers not found (or found while degraded):
	// they go to the default queue whatever else is set.
	Identified bool
}

// Route is the one value the flow hands to the queueing side.
type Route struct {
	Queue    string
	Priority int      // from the tier (segmentation.tiers); 0 when unknown
	Skills   []string // e.g. "segment:DES", "product:indihome", "lang:en"
	Rule     string   // name of the matching rule, or "default"
}

// Handoff is the direct agent hand-off of a configuration with no agents
// (the ACD serves every other): bridge the caller to one configured
// endpoint.
type Handoff struct {
	Endpoint    string
	RingTimeout time.Duration
	// ACD: agents are configured, so callers queue in the ACD (router/acd)
	// and Endpoint is unused; TeamLeaderQueue is where overflows and
	// escalations go ("" for none).
	ACD             bool
	TeamLeaderQueue string
}

// Plan is the compiled, immutable IVR and routing configuration. Nothing in
// it is written after Compile returns; share it freely between calls.
type Plan struct {
	Version  string // short content hash of the config it was compiled from
	LoadedAt time.Time

	Root  *Menu
	Menus map[string]*Menu

	FirstDigitTimeout, InterDigitTimeout time.Duration
	Retries                              int // tries per menu before going to an agent

	Identification Identification
	Prompts        Prompts
	// Regions maps a lower-case region, or a code/spelling of one
	// (region_aliases), to its zone WIB|WITA|WIT.
	Regions map[string]string
	// Segments is the one compilation of segmentation.segments and .tiers:
	// which segments are served, the redirect of the others, tier
	// priorities, known products and languages. The resolver decides
	// look-ups with the current Plan's; a call re-decides with its own.
	Segments *segmentation.Rules
	Handoff  Handoff

	// Lines by dialed number; DefaultTimeZone is for a line not configured.
	Lines           map[string]configs.Line
	DefaultTimeZone string

	regionCount  int // regions configured (Regions also holds their aliases)
	defaultQueue string
	queues       map[string]queue
	rules        []rule
	skillsFrom   []string
}

type queue struct {
	name        string
	description string
	skills      []string
}

// rule is one compiled routing rule: each matcher dimension is a set; an
// absent dimension (nil set) matches anything.
type rule struct {
	name   string
	queue  string
	match  map[string]map[string]bool // dimension (segment, tier, ...) → allowed values
	source configs.RoutingRule
}

// Line returns the configured line of a dialed number; for a number not
// configured, a line in DefaultTimeZone speaking the first language.
func (p *Plan) Line(number string) (configs.Line, bool) {
	if l, ok := p.Lines[number]; ok {
		return l, true
	}
	return configs.Line{Number: number, TimeZone: p.DefaultTimeZone, Language: p.Segments.DefaultLanguage()}, false
}

// Media returns the media URI of a prompt in a language:
// "sound:" + SoundPrefix + lang + "/" + prompt.
func (p *Plan) Media(lang, prompt string) string {
	return "sound:" + p.Prompts.SoundPrefix + lang + "/" + prompt
}
