package arisim

// DropWebSocket cuts the events socket that serves app (no close
// handshake, like a network cut between one controller and Asterisk); the
// other controllers' sockets stay. A socket that serves several apps goes
// for all of them. It reports whether a socket was cut.
func (s *Server) DropWebSocket(app string) bool {
	s.lock()
	defer s.unlock()
	a := s.apps[app]
	if a == nil || a.current == nil {
		return false
	}
	s.log.Info().Str("app", app).Msg("dropping the events socket of one application")
	a.current.kill()
	return true
}
