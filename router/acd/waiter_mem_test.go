package acd

import (
	"strconv"
	"testing"
)

// BenchmarkWaiterRegister measures the heap a waiting call's Waiter keeps
// (B/op: the Waiter and its notice buffer), independent of machine load.
func BenchmarkWaiterRegister(b *testing.B) {
	s := &Service{waiters: map[string]*Waiter{}}
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = "call-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := s.register(ids[i])
		delete(s.waiters, w.callID)
	}
}
