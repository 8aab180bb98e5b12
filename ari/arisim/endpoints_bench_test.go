package arisim

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkEndpointLookup measures what an originate of a PJSIP agent and
// GET /endpoints cost with many calls up: 10,000 Local calls (20,000
// channels), 100 agents, 100 agent legs up. Both run under the server's
// lock, so every other request waits for them.
//
//	go test -run '^$' -bench EndpointLookup ./ari/arisim/
func BenchmarkEndpointLookup(b *testing.B) {
	s := New(Options{})
	s.lock()
	for i := range 10000 {
		s.newChannel(fmt.Sprintf("c%d;1", i), fmt.Sprintf("Local/8000@tenesa-in-%08x;1", i), "Up", "Local")
		s.newChannel(fmt.Sprintf("c%d;2", i), fmt.Sprintf("Local/8000@tenesa-in-%08x;2", i), "Up", "Local")
	}
	for i := range 100 {
		s.agents[fmt.Sprintf("PJSIP/agent%04d", i)] = Agent{AnswerAfter: time.Second}
		s.newChannel(fmt.Sprintf("a%d", i), fmt.Sprintf("PJSIP/agent%04d-%08x", i, i), "Up", "PJSIP")
	}
	s.unlock()
	b.Run("exists", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s.lock()
			ok := s.endpointExists(fmt.Sprintf("PJSIP/agent%04d", i%100))
			s.unlock()
			if !ok {
				b.Fatal("agent endpoint not found")
			}
		}
	})
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			s.lock()
			eps := s.endpoints()
			s.unlock()
			if len(eps) != 103 || len(eps[3].ChannelIDs) != 1 {
				b.Fatalf("%d endpoints, first agent's channels %v", len(eps), eps[3].ChannelIDs)
			}
		}
	})
}
