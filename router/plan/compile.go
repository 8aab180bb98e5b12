package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// keypad is the order Menu.Keys lists keys in.
const keypad = "1234567890*#"

// Compile validates cfg (the same checks the loader runs, prompts against
// the given prompt manifest) and builds the immutable Plan. Problems come
// back as configs.Problems, all at once, under cfg.Source.
func Compile(cfg *configs.Config, prompts configs.PromptIDs) (*Plan, error) {
	file := cfg.Source
	if file == "" {
		file = configs.DefaultsName
	}
	if ps := cfg.Validate(file, prompts); len(ps) > 0 {
		return nil, ps
	}
	segments, err := segmentation.NewRules(cfg.Segmentation)
	if err != nil { // Validate checks the same: cannot happen for a valid config
		return nil, configs.Problems{{File: file, Key: "segmentation", Message: err.Error()}}
	}
	p := &Plan{
		Version:           Version(cfg),
		LoadedAt:          time.Now(),
		Menus:             make(map[string]*Menu, len(cfg.IVR.Menus)),
		FirstDigitTimeout: cfg.IVR.FirstDigitTimeout,
		InterDigitTimeout: cfg.IVR.InterDigitTimeout,
		Retries:           cfg.IVR.Retries,
		Identification: Identification{
			MaxAttempts:   cfg.IVR.Identification.MaxAttempts,
			MaxDigits:     cfg.IVR.Identification.MaxDigits,
			Terminator:    cfg.IVR.Identification.Terminator,
			Prompt:        cfg.IVR.Identification.Prompt,
			InvalidPrompt: cfg.IVR.Identification.InvalidPrompt,
			FailedPrompt:  cfg.IVR.Identification.FailedPrompt,
		},
		Prompts: Prompts{
			Invalid:          cfg.IVR.InvalidPrompt,
			NoInput:          cfg.IVR.NoInputPrompt,
			Transfer:         cfg.IVR.Prompts.Transfer,
			Degraded:         cfg.IVR.Prompts.Degraded,
			Closing:          cfg.Greeting.Closing,
			FurtherHelp:      cfg.IVR.Prompts.FurtherHelp,
			LanguageSwitched: cfg.IVR.Prompts.LanguageSwitched,
			IncidentPrompt:   cfg.IVR.Incident.Prompt,
			IncidentContinue: cfg.IVR.Incident.ContinuePrompt,
			IncidentETA:      cfg.IVR.Incident.ETAPrompt,
			TicketIntro:      cfg.IVR.Ticket.Intro,
			TicketLastUpdate: cfg.IVR.Ticket.LastUpdate,
			TicketETA:        cfg.IVR.Ticket.ETA,
			TicketNone:       cfg.IVR.Ticket.None,
			TicketOfferAgent: cfg.IVR.Ticket.OfferAgent,
			TicketStatus:     maps.Clone(cfg.IVR.Ticket.StatusPrompts),
			Greeting:         maps.Clone(cfg.Greeting.Prompts),
			SoundPrefix:      cfg.Greeting.SoundPrefix,
		},
		Regions:  maps.Clone(cfg.Regions),
		Segments: segments,
		Handoff: Handoff{Endpoint: cfg.Handoff.Endpoint, RingTimeout: cfg.Handoff.RingTimeout,
			ACD: len(cfg.Agents) > 0, TeamLeaderQueue: cfg.ACD.TeamLeaderQueue},

		Lines:           make(map[string]configs.Line, len(cfg.Lines)),
		DefaultTimeZone: cfg.Greeting.DefaultTimeZone,

		defaultQueue: cfg.Routing.DefaultQueue,
		queues:       make(map[string]queue, len(cfg.Routing.Queues)),
		skillsFrom:   slices.Clone(cfg.Routing.Skills),
	}
	for _, l := range cfg.Lines {
		p.Lines[l.Number] = l
	}
	if p.Regions == nil {
		p.Regions = map[string]string{}
	}
	// A CRM region code or other spelling (region_aliases: JAP → jayapura)
	// greets in its region's zone too, also for data imported before the
	// alias was configured.
	p.regionCount = len(p.Regions)
	for alias, region := range cfg.RegionNames() {
		if z, ok := cfg.Regions[region]; ok && alias != region {
			p.Regions[alias] = z
		}
	}
	// Two passes: create every menu, then link options to them.
	for name, m := range cfg.IVR.Menus {
		p.Menus[name] = &Menu{Name: name, Prompt: m.Prompt, Options: make(map[string]*Option, len(m.Options))}
	}
	for name, m := range cfg.IVR.Menus {
		menu := p.Menus[name]
		var keys strings.Builder
		for _, k := range keypad {
			o, ok := m.Options[string(k)]
			if !ok {
				continue
			}
			keys.WriteRune(k)
			opt := &Option{Key: string(k), Action: Action(o.Action), Intent: o.Intent,
				Product: o.Product, Topic: o.Topic, Language: o.Language}
			if o.Menu != "" {
				opt.Action = ActionMenu
				opt.Next = p.Menus[o.Menu]
			}
			menu.Options[opt.Key] = opt
		}
		menu.Keys = keys.String()
	}
	p.Root = p.Menus[cfg.IVR.Root]

	for name, q := range cfg.Routing.Queues {
		p.queues[name] = queue{name: name, description: q.Description, skills: slices.Clone(q.Skills)}
	}
	for _, r := range cfg.Routing.Rules {
		cr := rule{name: r.Name, queue: r.Queue, match: map[string]map[string]bool{}, source: r}
		for dim, vals := range r.Match.Dims() {
			if len(vals) == 0 {
				continue
			}
			set := make(map[string]bool, len(vals))
			for _, v := range vals {
				set[v] = true
			}
			cr.match[dim] = set
		}
		p.rules = append(p.rules, cr)
	}
	return p, nil
}

// Version is the short content hash of the parts of cfg a Plan is compiled
// from (secrets and connection settings are not part of it).
func Version(cfg *configs.Config) string {
	b, err := json.Marshal(struct {
		IVR          configs.IVR
		Routing      configs.Routing
		Regions      map[string]string
		Aliases      map[string]string
		Handoff      configs.Handoff
		Segmentation configs.Segmentation
		Greeting     configs.Greeting
		Lines        []configs.Line
	}{cfg.IVR, cfg.Routing, cfg.Regions, cfg.RegionAliases, cfg.Handoff, cfg.Segmentation, cfg.Greeting, cfg.Lines})
	if err != nil { // only plain data: cannot happen
		panic("plan: version: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}
