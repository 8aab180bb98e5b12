package arisim

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// bridge is a Stasis bridge. watchers are the apps that get its events:
// an app is subscribed when one of its channels is added and unsubscribed
// when removeChannel takes one out, which is why BridgeDestroyed reaches the
// app only for bridges whose channels left by hanging up (05).
type bridge struct {
	id, typ, name string
	created       string
	seq           int
	channels      []*channel
	watchers      map[string]bool
	player        player
}

func (b *bridge) json() bridgeJSON {
	ids := make([]string, 0, len(b.channels))
	for _, c := range b.channels {
		ids = append(ids, c.id)
	}
	tech := "simple_bridge"
	switch {
	case b.typ == "holding":
		tech = "holding_bridge"
	case len(b.channels) > 2:
		tech = "softmix"
	}
	return bridgeJSON{
		ID: b.id, Technology: tech, BridgeType: b.typ, BridgeClass: "stasis",
		Creator: "Stasis", Name: b.name, Channels: ids, CreationTime: b.created, VideoMode: "talker",
	}
}

func bridgeType(v string) string {
	for _, t := range strings.Split(v, ",") {
		if t == "holding" {
			return "holding"
		}
	}
	return "mixing"
}

func (s *Server) handleCreateBridge(w http.ResponseWriter, r *http.Request) {
	p, _ := readParams(r)
	s.lock()
	defer s.unlock()
	id := r.PathValue("id")
	withID := id != ""
	if !withID {
		id = p.str("bridgeId")
	}
	if b := s.bridges[id]; b != nil && id != "" {
		if withID {
			// POST /bridges/{id} on an existing bridge updates nothing here
			writeJSON(w, http.StatusOK, b.json())
			return
		}
		writeMsg(w, http.StatusConflict, "Bridge with id '"+id+"' already exists")
		return
	}
	if id == "" {
		id = s.uniqueSuffix()
	}
	s.chanSeq++
	b := &bridge{id: id, typ: bridgeType(p.str("type")), name: p.str("name"), created: s.stamp(), seq: s.chanSeq, watchers: map[string]bool{}}
	s.bridges[id] = b
	s.emitTo(s.allApps(), "BridgeCreated", nil, obj{{"bridge", b.json()}})
	writeJSON(w, http.StatusOK, b.json())
}

func (s *Server) handleListBridges(w http.ResponseWriter, _ *http.Request) {
	s.lock()
	defer s.unlock()
	list := make([]*bridge, 0, len(s.bridges))
	for _, b := range s.bridges {
		list = append(list, b)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := []bridgeJSON{}
	for _, b := range list {
		out = append(out, b.json())
	}
	writeJSON(w, http.StatusOK, out)
}

// bridgeOp wraps handlers on an existing bridge.
func (s *Server) bridgeOp(f func(w http.ResponseWriter, p *params, b *bridge, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := readParams(r)
		s.lock()
		defer s.unlock()
		b := s.bridges[r.PathValue("id")]
		if b == nil {
			writeMsg(w, http.StatusNotFound, "Bridge not found")
			return
		}
		f(w, p, b, r)
	}
}

func (s *Server) handleGetBridge(w http.ResponseWriter, _ *params, b *bridge, _ *http.Request) {
	writeJSON(w, http.StatusOK, b.json())
}

func (s *Server) handleAddChannel(w http.ResponseWriter, r *http.Request) {
	s.lock()
	d := s.bridgeAddDelay
	s.unlock()
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
		}
	}
	s.bridgeOp(s.addChannels)(w, r)
}

// addChannels: adding a channel is a synchronous command of that channel
// (control.go), so a playback on it holds the request (transcript 20).
func (s *Server) addChannels(w http.ResponseWriter, p *params, b *bridge, r *http.Request) {
	chans, ok := s.stasisChannels(w, p)
	if !ok {
		return
	}
	var busy []*channel
	for _, ch := range chans {
		if !ch.ctlIdle() {
			busy = append(busy, ch)
		}
	}
	if len(busy) == 0 {
		writeNoContent(w)
		s.addToBridge(b, chans)
		return
	}
	// Wait for all but the last busy channel, then run the add as the last
	// one's command.
	for _, ch := range busy[:len(busy)-1] {
		if !s.waitCtl(r, ch) {
			writeMsg(w, http.StatusBadRequest, "Channel not found")
			return
		}
	}
	s.syncCmd(w, r, busy[len(busy)-1], func() {
		if s.bridges[b.id] == b {
			s.addToBridge(b, chans)
		}
	})
}

// waitCtl waits (lock released) until the commands queued on ch so far have
// run; false if the channel went first or the request ended.
func (s *Server) waitCtl(r *http.Request, ch *channel) bool {
	res := make(chan bool, 1)
	s.ctlPush(ch, ctlItem{
		fn:    func(done func()) { res <- true; done() },
		abort: func() { res <- false },
	})
	s.unlock()
	defer s.lock()
	select {
	case ok := <-res:
		return ok
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

func (s *Server) addToBridge(b *bridge, chans []*channel) {
	var added []*channel
	for _, ch := range chans {
		if ch.bridge == b || ch.gone || ch.stasisApp == "" {
			continue
		}
		if ch.bridge != nil {
			s.leaveBridge(ch, true)
		}
		ch.bridge = b
		b.channels = append(b.channels, ch)
		b.watchers[ch.stasisApp] = true
		added = append(added, ch)
		s.emitBridgeChan(b, ch, "ChannelEnteredBridge")
	}
	noteMediaOf(b.channels...)
	if len(added) == 0 || b.typ == "holding" || len(b.channels) < 2 {
		return
	}
	for _, ch := range b.channels {
		var peers []string
		for _, o := range b.channels {
			if o != ch {
				peers = append(peers, o.name)
			}
		}
		v := strings.Join(peers, ",")
		if ch.vars["BRIDGEPEER"] != v {
			s.setVar(ch, "BRIDGEPEER", v, false)
		}
	}
	for _, ch := range b.channels {
		for _, o := range b.channels {
			if o != ch {
				noteBridged(ch, o.id)
			}
		}
	}
}

func noteBridged(ch *channel, other string) {
	if ch.call != nil && ch.call.stasis == ch && !slices.Contains(ch.call.rep.BridgedWith, other) {
		ch.call.rep.BridgedWith = append(ch.call.rep.BridgedWith, other)
	}
	if ch.leg != nil && !slices.Contains(ch.leg.BridgedWith, other) {
		ch.leg.BridgedWith = append(ch.leg.BridgedWith, other)
	}
}

func (s *Server) emitBridgeChan(b *bridge, ch *channel, typ string) {
	w := map[string]bool{}
	for k := range ch.watchers {
		w[k] = true
	}
	for k := range b.watchers {
		w[k] = true
	}
	s.emitTo(s.targets(w, false), typ, nil, obj{{"bridge", b.json()}, {"channel", ch.json()}})
}

// leaveBridge takes ch out of its bridge. removed: by removeChannel (the app
// then stops watching the bridge).
func (s *Server) leaveBridge(ch *channel, removed bool) {
	b := ch.bridge
	if b == nil {
		return
	}
	if ch.vars["BRIDGEPEER"] != "" {
		s.setVar(ch, "BRIDGEPEER", "", false)
	}
	ch.bridge = nil
	b.channels = slices.DeleteFunc(b.channels, func(c *channel) bool { return c == ch })
	noteMediaOf(append([]*channel{ch}, b.channels...)...)
	s.emitBridgeChan(b, ch, "ChannelLeftBridge")
	if removed && ch.stasisApp != "" {
		delete(b.watchers, ch.stasisApp)
	}
}

func (s *Server) handleRemoveChannel(w http.ResponseWriter, p *params, b *bridge, _ *http.Request) {
	chans, ok := s.stasisChannels(w, p)
	if !ok {
		return
	}
	for _, ch := range chans {
		if ch.bridge != b {
			writeMsg(w, http.StatusUnprocessableEntity, "Channel not in this bridge")
			return
		}
	}
	writeNoContent(w)
	for _, ch := range chans {
		s.leaveBridge(ch, true)
	}
}

func (s *Server) handleDestroyBridge(w http.ResponseWriter, _ *params, b *bridge, _ *http.Request) {
	writeNoContent(w)
	for _, ch := range slices.Clone(b.channels) {
		s.leaveBridge(ch, false)
	}
	s.abortPlayer(&b.player)
	delete(s.bridges, b.id)
	s.emitTo(s.targets(b.watchers, false), "BridgeDestroyed", nil, obj{{"bridge", b.json()}})
}

func (s *Server) handleBridgeNoEvent(w http.ResponseWriter, _ *params, _ *bridge, _ *http.Request) {
	writeNoContent(w)
}

func (s *Server) handleBridgePlay(w http.ResponseWriter, p *params, b *bridge, r *http.Request) {
	s.play(w, p, r.PathValue("pbid"), nil, b)
}

// stasisChannels resolves the channel parameter of addChannel/removeChannel:
// every channel must exist (400) and be in Stasis (422), as Asterisk checks.
// On failure it has answered and returns false.
func (s *Server) stasisChannels(w http.ResponseWriter, p *params) ([]*channel, bool) {
	ids := p.list("channel")
	if len(ids) == 0 {
		writeMsg(w, http.StatusBadRequest, "Missing parameter channel")
		return nil, false
	}
	chans := make([]*channel, 0, len(ids))
	for _, id := range ids {
		ch := s.channels[strings.TrimSpace(id)]
		if ch == nil {
			writeMsg(w, http.StatusBadRequest, "Channel not found")
			return nil, false
		}
		if ch.stasisApp == "" {
			writeMsg(w, http.StatusUnprocessableEntity, "Channel not in Stasis application")
			return nil, false
		}
		chans = append(chans, ch)
	}
	return chans, true
}
