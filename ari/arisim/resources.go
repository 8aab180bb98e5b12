package arisim

import (
	"net/http"
	"sort"
	"strings"
)

type applicationJSON struct {
	Name             string   `json:"name"`
	ChannelIDs       []string `json:"channel_ids"`
	BridgeIDs        []string `json:"bridge_ids"`
	EndpointIDs      []string `json:"endpoint_ids"`
	DeviceNames      []string `json:"device_names"`
	EventsAllowed    []any    `json:"events_allowed"`
	EventsDisallowed []any    `json:"events_disallowed"`
}

// appJSON describes an app; ok is false when it does not exist (no socket
// and nothing subscribed).
func (s *Server) appJSON(name string) (applicationJSON, bool) {
	j := applicationJSON{Name: name, ChannelIDs: []string{}, BridgeIDs: []string{}, EndpointIDs: []string{},
		DeviceNames: []string{}, EventsAllowed: []any{}, EventsDisallowed: []any{}}
	for _, ch := range s.sortedChannels() {
		if ch.watchers[name] {
			j.ChannelIDs = append(j.ChannelIDs, ch.id)
		}
	}
	for id, b := range s.bridges {
		if b.watchers[name] {
			j.BridgeIDs = append(j.BridgeIDs, id)
		}
	}
	sort.Strings(j.BridgeIDs)
	exists := s.appActive(name) || len(j.ChannelIDs) > 0 || len(j.BridgeIDs) > 0
	return j, exists
}

func (s *Server) handleListApps(w http.ResponseWriter, _ *http.Request) {
	s.lock()
	defer s.unlock()
	names := make([]string, 0, len(s.apps))
	for n := range s.apps {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []applicationJSON{}
	for _, n := range names {
		if j, ok := s.appJSON(n); ok {
			out = append(out, j)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetApp(w http.ResponseWriter, r *http.Request) {
	s.lock()
	defer s.unlock()
	j, ok := s.appJSON(r.PathValue("name"))
	if !ok {
		writeMsg(w, http.StatusNotFound, "Application not found")
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) handleInfo(w http.ResponseWriter, _ *http.Request) {
	s.lock()
	start := s.clk.simStart.UTC().Format(stampFormat)
	s.unlock()
	writeJSON(w, http.StatusOK, obj{
		{"build", obj{{"os", "Linux"}, {"kernel", "arisim"}, {"machine", "x86_64"}, {"options", "OPTIONAL_API"}, {"date", "arisim"}, {"user", "arisim"}}},
		{"system", obj{{"version", "22.10.1"}, {"entity_id", s.opts.EntityID}}},
		{"config", obj{{"name", ""}, {"default_language", "en"}, {"setid", obj{{"user", ""}, {"group", ""}}}, {"max_open_files", 8192}}},
		{"status", obj{{"startup_time", start}, {"last_reload_time", start}}},
	})
}

func (s *Server) handlePing(w http.ResponseWriter, _ *http.Request) {
	s.lock()
	defer s.unlock()
	writeJSON(w, http.StatusOK, obj{{"asterisk_id", s.opts.EntityID}, {"ping", "pong"}, {"timestamp", s.stamp()}})
}

type endpointJSON struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state"`
	ChannelIDs []string `json:"channel_ids"`
}

// endpoints are the PJSIP endpoints of the test bed plus registered PJSIP
// agents, sorted by resource, each with its channels in creation order.
// One pass over the channels: it runs under the lock, with every call up.
func (s *Server) endpoints() []endpointJSON {
	res := map[string][]string{"caller1": nil, "caller2": nil, "caller3": nil}
	for ep := range s.agents {
		if tech, r, ok := strings.Cut(ep, "/"); ok && strings.EqualFold(tech, "PJSIP") {
			if _, ok := res[r]; !ok {
				res[r] = nil
			}
		}
	}
	var pjsip []*channel
	for _, ch := range s.channels {
		if ch.tech == "PJSIP" {
			pjsip = append(pjsip, ch)
		}
	}
	sort.Slice(pjsip, func(i, j int) bool { return pjsip[i].seq < pjsip[j].seq })
	for _, ch := range pjsip {
		r := pjsipResource(ch.name)
		res[r] = append(res[r], ch.id)
	}
	names := make([]string, 0, len(res))
	for n := range res {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]endpointJSON, 0, len(names))
	for _, n := range names {
		e := endpointJSON{Technology: "PJSIP", Resource: n, State: "online", ChannelIDs: res[n]}
		if e.ChannelIDs == nil {
			e.ChannelIDs = []string{}
		}
		if s.offline[n] {
			e.State = "offline"
		}
		out = append(out, e)
	}
	return out
}

func pjsipResource(name string) string {
	r := strings.TrimPrefix(name, "PJSIP/")
	if i := strings.LastIndex(r, "-"); i > 0 {
		r = r[:i]
	}
	return r
}

func (s *Server) handleEndpoints(w http.ResponseWriter, r *http.Request) {
	s.lock()
	defer s.unlock()
	tech, res := r.PathValue("tech"), r.PathValue("res")
	out := []endpointJSON{}
	for _, e := range s.endpoints() {
		if tech != "" && !strings.EqualFold(e.Technology, tech) {
			continue
		}
		if res != "" && e.Resource != res {
			continue
		}
		out = append(out, e)
	}
	switch {
	case res != "" && len(out) == 0:
		writeMsg(w, http.StatusNotFound, "Endpoint not found")
	case res != "":
		writeJSON(w, http.StatusOK, out[0])
	case tech != "" && len(out) == 0:
		writeMsg(w, http.StatusNotFound, "No Endpoints found - invalid tech "+tech)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

type deviceJSON struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

var validDeviceStates = map[string]bool{
	"UNKNOWN": true, "NOT_INUSE": true, "INUSE": true, "BUSY": true, "INVALID": true,
	"UNAVAILABLE": true, "RINGING": true, "RINGINUSE": true, "ONHOLD": true,
}

// deviceChanged records a device state and tells subscribeAll apps.
func (s *Server) deviceChanged(name, state string) {
	s.devices[name] = state
	e := obj{{"type", "DeviceStateChanged"}, {"application", ""}, {"timestamp", s.stamp()},
		{"device_state", deviceJSON{name, state}}, {"asterisk_id", s.opts.EntityID}}
	for _, a := range s.allApps() {
		e[1] = kv{"application", a}
		if ap := s.apps[a]; ap != nil && ap.current != nil {
			s.enqueue(ap.current, e)
		}
	}
}

func (s *Server) handleListDevices(w http.ResponseWriter, _ *http.Request) {
	s.lock()
	defer s.unlock()
	names := make([]string, 0, len(s.devices))
	for n := range s.devices {
		if strings.HasPrefix(n, "Stasis:") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := []deviceJSON{}
	for _, n := range names {
		out = append(out, deviceJSON{n, s.devices[n]})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetDevice(w http.ResponseWriter, r *http.Request) {
	s.lock()
	defer s.unlock()
	name := r.PathValue("name")
	st, ok := s.devices[name]
	if !ok {
		st = "UNKNOWN"
		if !strings.HasPrefix(name, "Stasis:") {
			st = "INVALID"
		}
	}
	writeJSON(w, http.StatusOK, deviceJSON{name, st})
}

func (s *Server) handlePutDevice(w http.ResponseWriter, r *http.Request) {
	p, _ := readParams(r)
	s.lock()
	defer s.unlock()
	name := r.PathValue("name")
	if !strings.HasPrefix(name, "Stasis:") {
		writeMsg(w, http.StatusConflict, "Uncontrolled device specified")
		return
	}
	st := strings.ToUpper(p.str("deviceState"))
	if !validDeviceStates[st] {
		writeMsg(w, http.StatusBadRequest, "Invalid device state")
		return
	}
	writeNoContent(w)
	s.deviceChanged(name, st)
}

func (s *Server) handleDeleteDevice(w http.ResponseWriter, r *http.Request) {
	s.lock()
	defer s.unlock()
	name := r.PathValue("name")
	if !strings.HasPrefix(name, "Stasis:") {
		writeMsg(w, http.StatusConflict, "Uncontrolled device specified")
		return
	}
	if _, ok := s.devices[name]; !ok {
		writeMsg(w, http.StatusNotFound, "Device name is missing")
		return
	}
	delete(s.devices, name)
	writeNoContent(w)
}

// handleAppSubscribe implements POST/DELETE /applications/{name}/subscription
// for channel:, bridge: and endpoint: event sources (deviceState: is
// accepted and ignored).
func (s *Server) handleAppSubscribe(w http.ResponseWriter, r *http.Request) {
	p, _ := readParams(r)
	s.lock()
	defer s.unlock()
	name := r.PathValue("name")
	sources := p.list("eventSource")
	if len(sources) == 0 {
		writeMsg(w, http.StatusBadRequest, "Missing parameter eventSource")
		return
	}
	if _, ok := s.appJSON(name); !ok {
		writeMsg(w, http.StatusNotFound, "Application not found")
		return
	}
	subscribe := r.Method == http.MethodPost
	var apply []func()
	for _, src := range sources {
		kind, id, _ := strings.Cut(src, ":")
		switch kind {
		case "channel":
			ch := s.channels[id]
			if ch == nil {
				writeMsg(w, http.StatusUnprocessableEntity, "Event source does not exist")
				return
			}
			apply = append(apply, func() { setWatch(ch.watchers, name, subscribe) })
		case "bridge":
			b := s.bridges[id]
			if b == nil {
				writeMsg(w, http.StatusUnprocessableEntity, "Event source does not exist")
				return
			}
			apply = append(apply, func() { setWatch(b.watchers, name, subscribe) })
		case "endpoint":
			if !s.endpointExists(id) {
				writeMsg(w, http.StatusUnprocessableEntity, "Event source does not exist")
				return
			}
			apply = append(apply, func() {
				if s.endpointWatchers[id] == nil {
					s.endpointWatchers[id] = map[string]bool{}
				}
				setWatch(s.endpointWatchers[id], name, subscribe)
			})
		case "deviceState":
		default:
			writeMsg(w, http.StatusBadRequest, "Invalid event source URI scheme")
			return
		}
	}
	for _, f := range apply {
		f()
	}
	j, _ := s.appJSON(name)
	writeJSON(w, http.StatusOK, j)
}

func setWatch(m map[string]bool, app string, on bool) {
	if on {
		m[app] = true
	} else {
		delete(m, app)
	}
}

// endpointExists reports whether "PJSIP/<resource>" is one of endpoints().
// Called with the lock held.
func (s *Server) endpointExists(ep string) bool {
	tech, res, ok := strings.Cut(ep, "/")
	if !ok || !strings.EqualFold(tech, "PJSIP") {
		return false
	}
	switch res {
	case "caller1", "caller2", "caller3":
		return true
	}
	for ep := range s.agents {
		if t, r, ok := strings.Cut(ep, "/"); ok && strings.EqualFold(t, "PJSIP") && r == res {
			return true
		}
	}
	for _, ch := range s.channels {
		if ch.tech == "PJSIP" && pjsipResource(ch.name) == res {
			return true
		}
	}
	return false
}

// SetEndpointOnline takes a PJSIP endpoint ("PJSIP/agent1001") offline
// (its contact unregistered: originating it fails with 500 Allocation
// failed) or back online, and sends EndpointStateChange to the apps
// subscribed to it (endpoint:PJSIP/agent1001).
func (s *Server) SetEndpointOnline(endpoint string, online bool) {
	s.lock()
	defer s.unlock()
	_, res, _ := strings.Cut(endpoint, "/")
	if s.offline[res] == !online {
		return
	}
	if online {
		delete(s.offline, res)
	} else {
		s.offline[res] = true
	}
	var ej endpointJSON
	for _, e := range s.endpoints() {
		if e.Resource == res {
			ej = e
		}
	}
	for app := range s.endpointWatchers[endpoint] {
		if ap := s.apps[app]; ap != nil && ap.current != nil {
			s.enqueue(ap.current, obj{{"type", "EndpointStateChange"}, {"timestamp", s.stamp()},
				{"endpoint", ej}, {"asterisk_id", s.opts.EntityID}, {"application", app}})
		}
	}
}
