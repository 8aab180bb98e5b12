package arisim

import "net/http"

// routes builds the /ari/... mux.
func (s *Server) routes() http.Handler {
	m := http.NewServeMux()
	h := func(pattern string, f http.HandlerFunc) { m.HandleFunc(pattern, f) }

	h("GET /ari/events", s.handleEvents)
	h("POST /ari/events/claim", s.handleClaim)
	h("POST /ari/events/user/{eventName}", s.handleUserEvent)

	h("GET /ari/asterisk/info", s.handleInfo)
	h("GET /ari/asterisk/ping", s.handlePing)
	h("GET /ari/applications", s.handleListApps)
	h("GET /ari/applications/{name}", s.handleGetApp)
	h("POST /ari/applications/{name}/subscription", s.handleAppSubscribe)
	h("DELETE /ari/applications/{name}/subscription", s.handleAppSubscribe)

	h("GET /ari/channels", s.handleListChannels)
	h("POST /ari/channels", s.handleOriginate)
	h("POST /ari/channels/{id}", s.handleOriginate)
	h("POST /ari/channels/create", s.handleCreate)
	h("POST /ari/channels/{id}/dial", s.chanOp(s.handleDial))
	h("GET /ari/channels/{id}", s.handleGetChannel)
	h("DELETE /ari/channels/{id}", s.handleHangup)
	h("POST /ari/channels/{id}/answer", s.chanOp(s.handleAnswer))
	h("POST /ari/channels/{id}/moh", s.chanOp(s.handleMOH))
	h("DELETE /ari/channels/{id}/moh", s.chanOp(s.handleMOH))
	for _, op := range []string{"ring", "hold", "mute", "silence"} {
		h("POST /ari/channels/{id}/"+op, s.chanOp(s.handleNoEvent))
		h("DELETE /ari/channels/{id}/"+op, s.chanOp(s.handleNoEvent))
	}
	h("POST /ari/channels/{id}/play", s.chanOp(s.handlePlay))
	h("POST /ari/channels/{id}/play/{pbid}", s.chanOp(s.handlePlay))
	h("POST /ari/channels/{id}/dtmf", s.chanOp(s.handleSendDTMF))
	h("POST /ari/channels/{id}/snoop", s.chanOp(s.handleSnoop))
	h("POST /ari/channels/{id}/snoop/{snoopId}", s.chanOp(s.handleSnoop))
	h("GET /ari/channels/{id}/variable", s.anyChanOp(s.handleGetVar))
	h("POST /ari/channels/{id}/variable", s.chanOp(s.handleSetVar))
	h("POST /ari/channels/{id}/continue", s.chanOp(s.handleContinue))
	h("POST /ari/channels/{id}/redirect", s.chanOp(s.handleRedirect))

	h("GET /ari/bridges", s.handleListBridges)
	h("POST /ari/bridges", s.handleCreateBridge)
	h("POST /ari/bridges/{id}", s.handleCreateBridge)
	h("GET /ari/bridges/{id}", s.bridgeOp(s.handleGetBridge))
	h("DELETE /ari/bridges/{id}", s.bridgeOp(s.handleDestroyBridge))
	h("POST /ari/bridges/{id}/addChannel", s.handleAddChannel)
	h("POST /ari/bridges/{id}/removeChannel", s.bridgeOp(s.handleRemoveChannel))
	h("POST /ari/bridges/{id}/moh", s.bridgeOp(s.handleBridgeNoEvent))
	h("DELETE /ari/bridges/{id}/moh", s.bridgeOp(s.handleBridgeNoEvent))
	h("POST /ari/bridges/{id}/play", s.bridgeOp(s.handleBridgePlay))
	h("POST /ari/bridges/{id}/play/{pbid}", s.bridgeOp(s.handleBridgePlay))

	h("GET /ari/playbacks/{id}", s.handleGetPlayback)
	h("DELETE /ari/playbacks/{id}", s.handleStopPlayback)
	h("POST /ari/playbacks/{id}/control", s.handleControlPlayback)

	h("GET /ari/endpoints", s.handleEndpoints)
	h("GET /ari/endpoints/{tech}", s.handleEndpoints)
	h("GET /ari/endpoints/{tech}/{res}", s.handleEndpoints)

	h("GET /ari/deviceStates", s.handleListDevices)
	h("GET /ari/deviceStates/{name}", s.handleGetDevice)
	h("PUT /ari/deviceStates/{name}", s.handlePutDevice)
	h("DELETE /ari/deviceStates/{name}", s.handleDeleteDevice)

	return s.withHooks(s.withTracking(s.withAuth(s.withStall(m))))
}

// withTracking counts in-flight requests so Close can wait for them; after
// Close every request gets 503.
func (s *Server) withTracking(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.lock()
		if s.closed {
			s.unlock()
			writeMsg(w, http.StatusServiceUnavailable, "Asterisk is shutting down")
			return
		}
		s.connWG.Add(1)
		s.unlock()
		defer s.connWG.Done()
		next.ServeHTTP(w, r)
	})
}
