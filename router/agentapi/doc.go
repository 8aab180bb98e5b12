// Package agentapi is the agent and team-leader HTTP API of the acd: REST
// routes to change an agent's state, read agents and queues, record a
// call's disposition, escalate it or ask for help, and two Server-Sent
// Events streams (one per agent, one for the leaders). It serves on its own
// listen address (agentapi.listen) and is designed for the agent desktop and
// the leaders' board pages (issue 10), which will be served by the same
// listener.
//
// # Routes (all under /api/v1)
//
//	POST /agents/{id}/login        self          log in (logged_out → available)
//	POST /agents/{id}/logout       self          log out
//	POST /agents/{id}/ready        self          paused or wrap_up → available
//	POST /agents/{id}/pause        self          {"reason": "break"}
//	GET  /agents                   any           leaders: every agent; agents: themselves
//	GET  /agents/{id}              self, leader  one agent's status
//	PUT  /agents/{id}/state        leader        {"state": "available|paused|logged_out", "reason": "..."}
//	GET  /queues                   any           live queue figures
//	GET  /calls/{id}               call, leader  the call's handling record (with the screen-pop)
//	POST /calls/{id}/disposition   call, leader  {"category", "ticket_id", "further_help_offered", "standard_closing"}
//	POST /calls/{id}/escalate      call, leader  {"reason": "..."}
//	POST /calls/{id}/help          call          {"note": "..."}
//	GET  /agents/{id}/events       self          SSE: state, offer, offer_end, connected (screen-pop), call_ended, wrap_up_end, escalation, help_request
//	GET  /leaders/events           leader        SSE: every event of the pool, queue figures every sweep period
//
// "self" is the agent the token belongs to; "leader" a team_leader or
// supervisor; "call" the agent handling the call (talking, ringing or
// wrapping it up). A leader's disposition or escalation acts for the agent
// handling the call.
//
// # Authentication and CSRF
//
// Every request carries "Authorization: Bearer <token>"; tokens come from
// config (agents[].token, or TENESA_AGENT_<ID>_TOKEN), are compared in
// constant time against SHA-256 digests, and never appear in URLs, logs or
// responses. The role is read from the agent's record on each request, so a
// role change takes effect at once. No cookie is set or read: a browser never
// attaches the credential by itself, so a cross-site page cannot forge a
// request (CSRF) and no CSRF token is needed. Bodies must be
// application/json (a cross-site form cannot send that without a CORS
// preflight, which this API never grants). The pages therefore read the
// event streams with fetch() and a ReadableStream (EventSource cannot send
// an Authorization header), sending Last-Event-ID themselves on reconnect.
//
// Every response carries Content-Security-Policy "default-src 'none';
// frame-ancestors 'none'", X-Content-Type-Options nosniff, Cache-Control
// no-store, Referrer-Policy no-referrer and X-Frame-Options DENY.
//
// # Errors
//
// Errors are JSON {"error": "<reason>", "field": "<field>"} (field only when
// one request field is at fault): 400 malformed body or invalid field
// (unknown fields are rejected), 401 missing or invalid token (with
// WWW-Authenticate: Bearer), 403 a token used for another agent or a call
// that is not the agent's, or an agent using a leader route, 404 unknown
// agent, call or route, 405 wrong method (with Allow), 409 a state change
// the current state does not allow (the acd's reason), 413 body too large,
// 415 body not JSON, 500 anything else (logged, not shown).
//
// # Event streams
//
// Each event is "id: <epoch>-<seq>", "event: <type>", "data: <acd.Event
// JSON>". A stream starts with a "snapshot" event (the agent's status; for
// leaders the agents and the queues) unless the client's Last-Event-ID is
// still in this process's replay buffer, in which case the missed events are
// replayed instead. A client that falls too far behind gets a new snapshot.
// Comments (": keep-alive") keep idle connections open; the stream ends
// when the client goes or the API closes.
package agentapi
