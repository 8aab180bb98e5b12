package arisim

import "testing"

// TestDropWebSocketCutsOnlyThatApplication: the per-application cut ends
// the named application's socket and leaves another application's socket
// connected; an application without a socket reports nothing cut.
func TestDropWebSocketCutsOnlyThatApplication(t *testing.T) {
	s := newTestServer(t, Options{})
	a := dialEvents(t, s, "app=tenesa-ivr-a")
	b := dialEvents(t, s, "app=tenesa-ivr-b")
	waitActive(t, s, "tenesa-ivr-a")
	waitActive(t, s, "tenesa-ivr-b")
	if !s.DropWebSocket("tenesa-ivr-a") {
		t.Fatal("DropWebSocket(tenesa-ivr-a) cut nothing")
	}
	<-a.done
	if n := s.ActiveSockets("tenesa-ivr-a"); n != 0 {
		t.Fatalf("tenesa-ivr-a still has %d socket after the cut", n)
	}
	if n := s.ActiveSockets("tenesa-ivr-b"); n != 1 {
		t.Fatalf("tenesa-ivr-b lost its socket (%d) when tenesa-ivr-a was cut", n)
	}
	select {
	case <-b.done:
		t.Fatal("tenesa-ivr-b's socket closed")
	default:
	}
	if s.DropWebSocket("tenesa-ivr-a") {
		t.Error("second cut of an application without a socket reported a cut")
	}
	if s.DropWebSocket("nobody") {
		t.Error("cut of an unknown application reported a cut")
	}
}
