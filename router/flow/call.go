package flow

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// callFlow is the state of one call. Only the call's goroutine touches it.
type callFlow struct {
	f    *Flow
	ctx  context.Context
	call ari.Call
	plan *plan.Plan
	info ari.CallInfo
	log  zerolog.Logger
	rec  *router.Record

	line     configs.Line
	lang     string
	zone     string              // the caller's time zone: the customer's region, else the line's
	res      segmentation.Result // who is calling (zero: unidentified)
	sid      string              // service ID, when the caller gave one
	degraded bool                // Redis did not answer: unidentified, general queue
	ticket   string              // open ticket id, when one was read
	keys     []byte              // every key pressed in the IVR, in order
	noRecord bool                // the call's record was already written elsewhere (swept hand-over)

	stage       router.Stage
	stageStart  time.Time
	selfService bool // entered the ticket-status self-service
}

// do runs one ARI step; false (with the outcome set) when it failed.
func (c *callFlow) do(stage router.Stage, fn func() error) bool {
	c.enter(stage)
	if err := fn(); err != nil {
		c.errorAt(stage, err)
		return false
	}
	return true
}

// enter marks the start of a stage (for abandon stages and stage metrics).
func (c *callFlow) enter(stage router.Stage) {
	if c.stage == stage {
		return
	}
	if stage == router.StageSelfSvc {
		c.selfService = true
	}
	now := c.f.now()
	if c.stage != "" {
		c.f.Metrics.StageDone(string(c.stage), now.Sub(c.stageStart))
	}
	c.stage, c.stageStart = stage, now
}

func (c *callFlow) answered() {
	t := c.f.now()
	c.rec.AnsweredAt = &t
}

type aniAnswer struct {
	res segmentation.Result
	err error
}

// lookupANI starts the caller-number look-up while the call is answered. The
// helper goroutine only computes a value and hands it back; it writes
// nothing of the call's. The resolver bounds it by the look-up budget.
func (c *callFlow) lookupANI() <-chan aniAnswer {
	out := make(chan aniAnswer, 1)
	number, rules := c.info.CallerNumber, c.plan.Segments
	go func() {
		res, err := c.f.Customers.ByANI(c.ctx, number)
		rules.Apply(&res) // decided by the call's plan, whatever was reloaded since
		out <- aniAnswer{res, err}
	}()
	return out
}

// identifiedByANI takes the caller-number look-up's answer.
func (c *callFlow) identifiedByANI(a aniAnswer) {
	c.rec.Identification.Attempts = 0
	switch {
	case a.res.Degraded:
		c.degraded = true
	case a.err != nil:
		// A caller ID that is not a number (anonymous, an extension) is
		// simply not identified by it.
		c.log.Debug().Err(a.err).Msg("caller number not usable for identification")
	case a.res.Found:
		c.identify(a.res, "ani")
		return
	}
	if a.res.Customer != nil && !a.res.Found {
		c.log.Warn().Str("customer_id", a.res.Customer.ID).Str("segment", a.res.Customer.Segment).
			Msg("customer with an unknown segment: handled as unidentified")
	}
}

// identify records who the caller is.
func (c *callFlow) identify(res segmentation.Result, method string) {
	c.res = res
	c.rec.Identification.Method = method
	cu := res.Customer
	c.rec.CustomerID, c.rec.Segment, c.rec.Tier = cu.ID, cu.Segment, cu.Tier
	served := res.Served
	c.rec.SegmentServed = &served
	if cu.Language != "" && c.plan.Segments.KnownLanguage(cu.Language) {
		c.lang = cu.Language
	}
	c.log.Info().Str("customer_id", cu.ID).Str("segment", cu.Segment).Str("tier", cu.Tier).
		Str("method", method).Bool("served", served).Msg("caller identified")
}

// greet plays the standard greeting for the caller's local time: the
// customer's region when known, else the line's zone.
func (c *callFlow) greet() bool {
	c.enter(router.StageGreeting)
	zone := c.line.TimeZone
	if c.res.Customer != nil {
		if z, ok := c.plan.Regions[strings.ToLower(c.res.Customer.Region)]; ok {
			zone = z
		}
	}
	if c.f.Zones[zone] == nil {
		zone = c.plan.DefaultTimeZone
	}
	c.zone = zone
	loc := c.f.Zones[zone]
	band := router.BandAt(c.f.now().In(loc))
	prompt := c.plan.Prompts.Greeting[string(band)]
	g := &c.rec.Greeting
	g.Prompt, g.Band, g.TimeZone, g.Played = prompt, band, zone, true
	res, err := c.call.Play(c.ctx, ari.PlayOptions{Media: []string{c.media(prompt)}})
	g.Completed = err == nil && res.Status == ari.PlayFinished
	c.f.Metrics.Greeting(string(band), g.Completed)
	if err != nil {
		c.errorAt(router.StageGreeting, err)
		return false
	}
	return true
}

func (c *callFlow) media(prompt string) string { return c.plan.Media(c.lang, prompt) }

func (c *callFlow) medias(prompts ...string) []string {
	out := make([]string, 0, len(prompts))
	for _, p := range prompts {
		if p != "" {
			out = append(out, c.media(p))
		}
	}
	return out
}

// play plays prompts at a stage; false (outcome set) when the call ended.
func (c *callFlow) play(stage router.Stage, media ...string) bool {
	return c.do(stage, func() error {
		_, err := c.call.Play(c.ctx, ari.PlayOptions{Media: media})
		return err
	})
}

// gather plays prompts and collects digits at a stage; ok false when the
// call ended (outcome set). Keys pressed are kept for the IVR path.
func (c *callFlow) gather(stage router.Stage, opts ari.GatherOptions) (ari.GatherResult, bool) {
	c.enter(stage)
	if opts.FirstDigitTimeout == 0 {
		opts.FirstDigitTimeout = c.plan.FirstDigitTimeout
	}
	if opts.InterDigitTimeout == 0 {
		opts.InterDigitTimeout = c.plan.InterDigitTimeout
	}
	res, err := c.call.Gather(c.ctx, opts)
	if res.Digits != "" {
		if len(c.keys) > 0 {
			c.keys = append(c.keys, ' ')
		}
		c.keys = append(c.keys, res.Digits...)
		if res.Status == ari.GatherComplete && opts.Terminator != "" && opts.MaxDigits != len(res.Digits) {
			c.keys = append(c.keys, opts.Terminator...)
		}
	}
	if err != nil {
		c.errorAt(stage, err)
		return res, false
	}
	return res, true
}

// finish ends the call exactly once: it hands the one handling record to
// the record writer, which never blocks, and counts the outcome. The
// caller is released right after (the controller's cleanup continues a
// caller still in Stasis), whatever state Redis is in.
func (c *callFlow) finish() {
	f := c.f
	if errors.Is(context.Cause(c.ctx), ari.ErrReplaced) {
		// Another controller took the application and adopts this call; it
		// writes the call's one record. Writing ours too would give the
		// call two terminal records.
		c.log.Warn().Str("stage", string(c.stage)).Msg("application replaced: call left to the new owner, no record written")
		return
	}
	timeout := f.TeardownTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	tctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), timeout)
	defer cancel()
	if c.rec.Outcome == "" { // every path sets it; keep the contract anyway
		c.rec.Outcome, c.rec.FailReason = router.OutcomeFailed, "flow ended without an outcome"
		c.rec.AbandonStage = c.stage
	}
	if c.handOver(tctx) {
		return
	}
	c.enter("") // close the last stage's timer
	c.rec.EndedAt = f.now()
	c.rec.IVRPath = string(c.keys)
	c.rec.Language = c.lang
	c.rec.Degraded = c.degraded
	if c.rec.Identification.Method == "" {
		c.rec.Identification.Method = "none"
	}
	if c.rec.Adopted && c.rec.AgentAnsweredAt != nil { // talk time includes the hand-over
		c.rec.TalkSeconds = c.rec.EndedAt.Sub(*c.rec.AgentAnsweredAt).Seconds()
	}
	if c.noRecord {
		return
	}
	if rc, ok := f.Handoff.(RecordCompleter); !ok || !rc.Complete(c.rec, f.Records) {
		f.Records.Submit(c.rec)
	}
	f.Metrics.CallOutcome(c.rec.Segment, string(c.rec.Outcome))
	if c.selfService || c.rec.SelfServiceResult != "" {
		f.Metrics.SelfServiceEnded(metrics.SelfServiceTicketStatus, string(c.rec.Outcome))
	}
	c.log.Info().Str("outcome", string(c.rec.Outcome)).Str("abandon_stage", string(c.rec.AbandonStage)).
		Str("ivr_path", c.rec.IVRPath).Msg("call ended")
}

// handOver: on shutdown, a caller talking to an agent stays bridged (the
// controller leaves the bridge alone); the record is saved for the
// controller that adopts the call instead of being written now.
func (c *callFlow) handOver(ctx context.Context) bool {
	if c.f.Handover == nil || c.rec.AgentAnsweredAt == nil ||
		!errors.Is(context.Cause(c.ctx), ari.ErrShutdown) {
		return false
	}
	c.rec.IVRPath, c.rec.Language, c.rec.Degraded = string(c.keys), c.lang, c.degraded
	c.rec.EndedAt = c.f.now() // the adopter moves it on; the sweeper keeps it
	if c.rec.Identification.Method == "" {
		c.rec.Identification.Method = "none"
	}
	if err := c.f.Handover.Save(ctx, c.rec); err != nil {
		c.log.Error().Err(err).Msg("handover record not saved: recording the call now")
		return false
	}
	c.log.Info().Msg("controller stopping: call left bridged, record handed over")
	return true
}

// hangup ends a call the flow has finished with (after the closing).
func (c *callFlow) hangup() {
	if c.ctx.Err() != nil {
		return
	}
	if err := c.call.Hangup(c.ctx, "normal"); err != nil && !c.gone(err) {
		c.log.Warn().Err(err).Msg("hang-up failed")
	}
}
