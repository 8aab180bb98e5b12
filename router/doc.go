// Package router holds what every call of the TENESA line shares: the
// greeting bands, and the handling record — one per call, whatever its end
// (DESIGN §3) — with the writer that stores it. The SOP flow itself is in
// router/flow, the menus and routing rules in router/plan.
//
// Handling records never hold a caller. The flow releases the caller first
// (continue, hang-up, redirect) and then submits the record to a
// RecordWriter, which logs it in full at once and writes it to the records
// stream in the background, in order, behind a circuit breaker; records it
// cannot write yet wait in a bounded buffer and are retried. Failed writes
// and dropped records are counted (tenesa_handling_records_total{result}).
//
// Redis keys (P is redis.key_prefix, e.g. "tenesa:"):
//
//	P records                   stream: one entry per call (XADD MAXLEN ~1e6),
//	                            fields call_id, outcome, record (JSON)
//	P handover:<call_id>        string: the JSON record of a call handed over on
//	                            shutdown while with an agent (TTL 7 days)
//	P handover:~due             sorted set: call ids by the time (Unix ms) by
//	                            which a controller must adopt the call: the
//	                            hand-over time + grace (5 min)
//	P handover:~swept:<call_id> string "1": tombstone of a record the sweeper
//	                            finalised (TTL 7 days)
//
// Hand-over: on shutdown a caller bridged with an agent stays bridged and
// its record is saved (record + due entry, one transaction). The controller
// that adopts the call takes it (GETDEL + ZREM, atomic) and finishes it.
// When no controller adopts the call by its due time (the caller hung up
// while no controller ran, or none came back), SweepHandovers — run by
// every controller at start-up and every minute — takes the record
// atomically, marks it handover_unadopted and writes it, leaving a
// tombstone; a controller adopting the call later finds the tombstone and
// writes no second record. Either way the call ends in the stream once.
package router
