// Package failover lets the controllers on one Asterisk take over the
// Stasis application of a controller that died, and hand it back when it
// returns (issue 12, docs/architecture.md §5).
//
// Each controller (instance I, application A = <application>-I, on
// Asterisk server S) keeps in Redis, under the prefix P:
//
//	P failover:{S}:lease:<I>     string  I's lease: a token, SET PX lease_ttl, renewed every renew_every
//	P failover:{S}:peers         hash    instance → application, of every controller that registered
//	P failover:{S}:takeover:<I>  string  the survivor serving I's application now: SET NX PX lease_ttl,
//	                                     renewed by it every renew_every
//
// Every renew_every a controller renews its lease and reads the peers'
// leases. A peer counts as dead only when its lease is absent at a look
// and still absent at a look at least 2×renew_every later, with only
// healthy looks in between (no Redis error or timeout, the own lease
// renewed without a lapse, no look late): a Redis outage or failover,
// which expires every lease, restarts the count, and live peers set their
// leases again before it completes (Manager.tick). For a dead peer whose
// application nobody holds, one script checks both and sets the takeover lock (so exactly one survivor
// wins, and never while the peer's lease lives); the winner runs an
// adopting ari.Controller for the peer's application (Options.Adopter):
// its WebSocket registers the application again, its resync adopts the
// channels still in it, it never claims new broadcast calls, and it ends
// when the adopted calls are finished. The lock is then deleted and the
// peer's registration dropped if its lease is still gone.
//
// A controller that starts (or comes back) takes its lease and registers
// first, then waits while a takeover lock on its own application exists
// (WaitOwnApp) before it opens its WebSocket: since the takeover script
// refuses while the lease exists, no survivor can take the application
// after that check, and the returning controller never replaces an
// adopter mid-call. Meanwhile, with broadcast, the other controllers
// claim the new calls.
//
// The keys of one Asterisk server share a hash tag ({S}): a controller
// that serves several Asterisk servers runs one Manager per server.
package failover
