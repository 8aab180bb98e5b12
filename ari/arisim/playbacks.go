package arisim

import (
	"net/http"
	"strings"
	"time"
)

// Built-in prompt durations (sim time), measured from the transcripts.
var builtinDurations = map[string]time.Duration{
	"sound:hello-world": 1403 * time.Millisecond,
	"sound:vm-goodbye":  864 * time.Millisecond,
	"sound:beep":        424 * time.Millisecond,
	"sound:tt-weasels":  3 * time.Second,
	// transcript 20: PlaybackStarted → PlaybackFinished done, 16.18 s.
	"sound:tt-monkeys": 16178 * time.Millisecond,
}

// perDigit is how long digits:/number:/characters: take per character
// (transcript 04: digits:1234 took 3.3 s).
const perDigit = 824 * time.Millisecond

func defaultMissing(uri string) bool {
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return true
	}
	switch scheme {
	case "sound":
		return strings.HasPrefix(rest, "no-such") || strings.Contains(rest, ",") || rest == ""
	case "digits", "number", "characters", "tone", "recording":
		return rest == "" || strings.Contains(rest, ",")
	}
	return true
}

func (s *Server) mediaDuration(uri string) time.Duration {
	if d, ok := s.opts.PromptDurations[uri]; ok {
		return d
	}
	if d, ok := builtinDurations[uri]; ok {
		return d
	}
	scheme, rest, _ := strings.Cut(uri, ":")
	switch scheme {
	case "tone":
		// tones play until stopped
		return 24 * time.Hour
	case "digits", "characters":
		return time.Duration(len(rest)) * perDigit
	case "number":
		return time.Duration(len(strings.TrimLeft(rest, "-"))) * perDigit
	}
	return s.opts.DefaultPromptDuration
}

// player is the playback queue of a channel or bridge; queue[0] is the
// current one once started.
type player struct {
	queue []*playback
}

type playback struct {
	id        string
	media     []string
	idx       int
	target    string // "channel:ID" or "bridge:ID"
	lang      string
	state     string // queued, playing, continuing, done, failed
	started   bool
	cancelled bool // stopped while queued
	stopped   bool
	tm        *timer
	ch        *channel
	br        *bridge
}

func (p *playback) json() playbackJSON {
	j := playbackJSON{ID: p.id, MediaURI: p.media[p.idx], TargetURI: p.target, Language: p.lang, State: p.state}
	if p.idx+1 < len(p.media) {
		j.NextMediaURI = p.media[p.idx+1]
	}
	return j
}

func (p *playback) owner() *player {
	if p.ch != nil {
		return &p.ch.player
	}
	return &p.br.player
}

func (s *Server) emitPlayback(p *playback, typ string) {
	var w map[string]bool
	if p.ch != nil {
		w = p.ch.watchers
	} else {
		w = p.br.watchers
	}
	s.emitTo(s.targets(w, false), typ, nil, obj{{"playback", p.json()}})
}

// queuePlayback adds a playback to its owner's queue and starts it when
// nothing else plays. A channel's playback is a command of its control
// queue (control.go): it starts when the commands before it have run.
func (s *Server) queuePlayback(p *playback) {
	s.playbacks[p.id] = append(s.playbacks[p.id], p)
	pl := p.owner()
	pl.queue = append(pl.queue, p)
	if p.ch != nil {
		s.ctlPush(p.ch, ctlItem{pb: p})
		return
	}
	if len(pl.queue) == 1 {
		s.startPlayback(p)
	}
}

func (s *Server) unregisterPlayback(p *playback) {
	list := s.playbacks[p.id]
	for i, q := range list {
		if q == p {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.playbacks, p.id)
	} else {
		s.playbacks[p.id] = list
	}
}

func (s *Server) startPlayback(p *playback) {
	if p.cancelled {
		p.state = "done"
		s.emitPlayback(p, "PlaybackFinished")
		s.finishPlayback(p)
		return
	}
	p.started = true
	p.state = "playing"
	s.emitPlayback(p, "PlaybackStarted")
	s.playItem(p)
}

// playItem plays p.media[p.idx] (already announced by PlaybackStarted).
func (s *Server) playItem(p *playback) {
	uri := p.media[p.idx]
	s.heardStart(p, uri)
	if s.opts.MissingSounds(uri) {
		s.log.Debug().Str("media", uri).Msg("playback failed: media not found")
		p.state = "failed"
		s.heardEnd(p, "failed")
		s.emitPlayback(p, "PlaybackFinished")
		s.finishPlayback(p)
		return
	}
	p.tm = s.after(s.mediaDuration(uri), func() { s.itemDone(p) })
}

func (s *Server) itemDone(p *playback) {
	p.tm = nil
	s.heardEnd(p, "done")
	if p.idx+1 < len(p.media) {
		p.state = "continuing"
		s.emitPlayback(p, "PlaybackContinuing")
		p.idx++
		p.state = "playing"
		s.emitPlayback(p, "PlaybackStarted")
		s.playItem(p)
		return
	}
	p.state = "done"
	s.emitPlayback(p, "PlaybackFinished")
	s.finishPlayback(p)
}

// finishPlayback removes p and starts the next queued playback (for a
// channel: the next command of its control queue).
func (s *Server) finishPlayback(p *playback) {
	s.unregisterPlayback(p)
	pl := p.owner()
	if p.ch != nil {
		for i, q := range pl.queue {
			if q == p {
				pl.queue = append(pl.queue[:i:i], pl.queue[i+1:]...)
				break
			}
		}
		if !p.ch.gone {
			s.ctlDone(p.ch)
		}
		return
	}
	if len(pl.queue) > 0 && pl.queue[0] == p {
		pl.queue = pl.queue[1:]
		if len(pl.queue) > 0 {
			s.startPlayback(pl.queue[0])
		}
	}
}

// stopPlayback implements DELETE /playbacks/{id}.
func (s *Server) stopPlayback(p *playback) {
	if !p.started {
		p.cancelled = true
		return
	}
	s.stop(p.tm)
	p.tm = nil
	p.stopped = true
	s.heardEnd(p, "stopped")
	p.state = "done"
	s.emitPlayback(p, "PlaybackFinished")
	s.finishPlayback(p)
}

// abortPlayer fails the current playback (its channel hung up) and drops
// the queued ones.
func (s *Server) abortPlayer(pl *player) {
	q := pl.queue
	pl.queue = nil
	for i, p := range q {
		if i == 0 && p.started {
			s.stop(p.tm)
			p.tm = nil
			p.state = "failed"
			s.heardEnd(p, "failed")
			s.emitPlayback(p, "PlaybackFinished")
		}
		s.unregisterPlayback(p)
	}
}

// play handles POST /channels/{id}/play[/{playbackId}] and the bridge form.
func (s *Server) play(w http.ResponseWriter, p *params, pbID string, ch *channel, br *bridge) {
	media := p.list("media")
	if len(media) == 0 {
		writeMsg(w, http.StatusInternalServerError, "Failed to queue media for playback")
		return
	}
	if pbID == "" {
		pbID = p.str("playbackId")
	}
	if pbID == "" {
		pbID = s.newPlaybackID()
	}
	lang := p.str("lang")
	if lang == "" {
		lang = "en"
	}
	pb := &playback{id: pbID, media: media, lang: lang, state: "queued", ch: ch, br: br}
	if ch != nil {
		pb.target = "channel:" + ch.id
	} else {
		pb.target = "bridge:" + br.id
	}
	resp := pb.json()
	s.queuePlayback(pb)
	w.Header().Set("Location", "/ari/playbacks/"+pbID)
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) newPlaybackID() string {
	return "pb-" + s.uniqueSuffix()
}

func (s *Server) uniqueSuffix() string {
	return strings.ReplaceAll(s.uniqueID(), ".", "-")
}

func (s *Server) handleGetPlayback(w http.ResponseWriter, r *http.Request) {
	s.lock()
	defer s.unlock()
	list := s.playbacks[r.PathValue("id")]
	if len(list) == 0 {
		writeMsg(w, http.StatusNotFound, "Playback not found")
		return
	}
	writeJSON(w, http.StatusOK, list[0].json())
}

func (s *Server) handleStopPlayback(w http.ResponseWriter, r *http.Request) {
	s.lock()
	defer s.unlock()
	list := s.playbacks[r.PathValue("id")]
	if len(list) == 0 {
		writeMsg(w, http.StatusNotFound, "Playback not found")
		return
	}
	// With duplicate ids the first registered one is addressed (09).
	target := list[0]
	for _, p := range list {
		if !p.cancelled {
			target = p
			break
		}
	}
	s.stopPlayback(target)
	writeNoContent(w)
}

// handleControlPlayback accepts pause/unpause/restart/reverse/forward as
// no-ops on timing (204) and validates the operation.
func (s *Server) handleControlPlayback(w http.ResponseWriter, r *http.Request) {
	p, _ := readParams(r)
	s.lock()
	defer s.unlock()
	if len(s.playbacks[r.PathValue("id")]) == 0 {
		writeMsg(w, http.StatusNotFound, "Playback not found")
		return
	}
	switch p.str("operation") {
	case "pause", "unpause", "restart", "reverse", "forward":
		writeNoContent(w)
	case "":
		writeMsg(w, http.StatusBadRequest, "Missing parameter operation")
	default:
		writeMsg(w, http.StatusBadRequest, "Invalid operation")
	}
}
