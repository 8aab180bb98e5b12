package router

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// Greeter is the foundation-stage call flow: answer, the standard greeting
// for the line's local time, hang up — with one handling record per call.
// The SOP flow (identification, menu, queue) replaces it.
type Greeter struct {
	Config  *configs.Config
	Zones   Zones
	Now     func() time.Time
	Records Recorder
	Metrics *metrics.Metrics
	Log     zerolog.Logger
	// TeardownTimeout bounds hang-up and record writing after the call's
	// context has ended. Default 5s.
	TeardownTimeout time.Duration
}

// Handle runs one call; it is an ari.Handler.
func (g *Greeter) Handle(ctx context.Context, call ari.Call) {
	info := call.Info()
	log := logging.ForCall(g.Log, call.ID())
	now := g.now
	rec := &Record{CallID: call.ID(), Instance: g.Config.Instance, Line: info.DNIS,
		Adopted: info.Adopted, StartedAt: info.Started}
	if rec.StartedAt.IsZero() {
		rec.StartedAt = now()
	}
	log.Info().Str("line", info.DNIS).Str("caller", logging.MaskNumber(info.CallerNumber)).
		Bool("adopted", info.Adopted).Msg("call started")

	// Whatever happens below, the call ends here exactly once: hung up if
	// still ours, one record written, one outcome counted.
	defer g.finish(ctx, call, rec, log)

	line, ok := g.Config.Line(info.DNIS)
	if !ok {
		line = configs.Line{Number: info.DNIS, TimeZone: g.Config.Greeting.DefaultTimeZone, Language: "id"}
		log.Warn().Str("line", info.DNIS).Msg("line not configured; using the default time zone")
	}

	if err := call.Answer(ctx); err != nil {
		g.fail(ctx, rec, StageAnswer, err)
		return
	}
	t := now()
	rec.AnsweredAt = &t

	band := BandAt(t.In(g.Zones[line.TimeZone]))
	prompt := g.Config.Greeting.Prompts[string(band)]
	rec.Greeting.Prompt, rec.Greeting.Band, rec.Greeting.TimeZone = prompt, band, line.TimeZone
	rec.Language = line.Language
	rec.Greeting.Played = true
	res, err := call.Play(ctx, ari.PlayOptions{Media: []string{Media(g.Config.Greeting.SoundPrefix, line.Language, prompt)}})
	g.Metrics.StageDone(string(StageGreeting), now().Sub(t))
	if err != nil {
		g.Metrics.Greeting(string(band), false)
		g.fail(ctx, rec, StageGreeting, err)
		return
	}
	rec.Greeting.Completed = res.Status == ari.PlayFinished
	g.Metrics.Greeting(string(band), rec.Greeting.Completed)
	if res.Status == ari.PlayFailed {
		log.Warn().Str("prompt", prompt).Msg("greeting prompt failed to play")
	}
	rec.Outcome = OutcomeGreeted
}

// fail classifies an error that ended the flow: the caller leaving is an
// abandon at that stage; anything else is a failure.
func (g *Greeter) fail(ctx context.Context, rec *Record, stage Stage, err error) {
	if errors.Is(err, ari.ErrCallGone) || errors.Is(context.Cause(ctx), ari.ErrCallGone) {
		rec.Outcome, rec.AbandonStage = OutcomeAbandonedIVR, stage
		return
	}
	rec.Outcome, rec.AbandonStage, rec.FailReason = OutcomeFailed, stage, err.Error()
}

func (g *Greeter) finish(ctx context.Context, call ari.Call, rec *Record, log zerolog.Logger) {
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.teardownTimeout())
	defer cancel()
	if ctx.Err() == nil {
		if err := call.Hangup(tctx, "normal"); err != nil && !errors.Is(err, ari.ErrCallGone) {
			log.Warn().Err(err).Msg("hang-up failed")
		}
	}
	if rec.Outcome == "" { // a panic-free path always sets it; keep the contract anyway
		rec.Outcome, rec.FailReason = OutcomeFailed, "flow ended without an outcome"
	}
	rec.EndedAt = g.now()
	err := g.Records.Write(tctx, rec)
	g.Metrics.RecordWritten(err)
	if err != nil {
		log.Error().Err(err).Msg("handling record not stored")
	}
	g.Metrics.CallOutcome(rec.Segment, string(rec.Outcome))
	log.Info().Str("outcome", string(rec.Outcome)).Str("abandon_stage", string(rec.AbandonStage)).Msg("call ended")
}

func (g *Greeter) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Greeter) teardownTimeout() time.Duration {
	if g.TeardownTimeout > 0 {
		return g.TeardownTimeout
	}
	return 5 * time.Second
}

// Media is the sound URI of a prompt id in a language: sound:tenesa/id/greeting-pagi.
func Media(prefix, lang, prompt string) string {
	return "sound:" + prefix + lang + "/" + prompt
}
