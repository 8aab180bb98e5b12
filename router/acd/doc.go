// Package acd is the automatic call distributor: queues, agents and their
// states, the dispatcher that pairs a waiting call with an available agent,
// escalation, and the shared state of one agent pool in Redis. It never
// touches ARI: the hand-off goroutine that owns a call enqueues it, hears
// offers through its Waiter and reports what happened (Answered, NoAnswer,
// Ended, Abandoned); the agent API drives agent states and reads figures.
package acd
