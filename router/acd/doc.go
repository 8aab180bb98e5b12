// Package acd is the automatic call distributor: queues, agents and their
// states, the dispatcher that pairs a waiting call with an available agent,
// escalation, and the shared state of one agent pool in Redis. It never
// touches ARI.
//
// # The two sides
//
// The hand-off (router/flow, one goroutine per call) calls Enqueue and
// reads the Waiter's notices: NoticeOffer (ring these agents' endpoints,
// with this ring timeout; ring_all offers several, the first to answer
// wins), NoticeMoved (the call now waits in another queue: overflow past
// the maximum wait, repeat caller, or escalation by the agent, whose leg the
// hand-off hangs up) and NoticeWithdrawn (an offer taken back because
// nothing was reported for it). It reports Answered, NoAnswer (the agent is
// paused no_answer and the call, keeping its place, is offered again at
// once), Ended (the agent wraps up), Abandoned, and asks Position for the
// announcements. Handling gives the acd's part of the handling record.
//
// The agent API (router/agentapi) calls Login, Logout, Ready, Pause,
// SetState (leaders), UpsertAgent, RemoveAgent, Agent, Agents, Queue,
// Queues, Disposition,
// Escalate, RequestHelp, and streams Subscribe (one agent) and
// SubscribeLeaders. Errors carry their class: ErrNotFound (404),
// ErrConflict (409, with the state as the reason: *StateError,
// *CallStateError), ErrInvalid (400, *ValidationError naming the field),
// ErrForbidden (403). Presence (endpoint device states) comes in through
// EndpointState.
//
// # Agent states
//
//	logged_out ──login──▶ available ──offer──▶ reserved ──answered──▶ on_call ──ended──▶ wrap_up ──timer / ready──▶ available
//	                      available ◀──ready── paused(reason) ◀──pause── available | wrap_up
//	                      reserved ──no answer──▶ paused(no_answer)
//	                      reserved ──answered elsewhere (ring_all), caller gone, offer expired──▶ available
//
// An agent whose endpoint is offline (EndpointState) keeps its state but is
// never offered a call. Every transition is one Lua script, so what a
// state allows is checked where it changes.
//
// # Redis keys
//
// The prefix P is redis.key_prefix (default "tenesa:"), the pool name N is
// acd.pool. Every key starts with "P acd:{N}:" (written B below), so a
// pool's keys share one Redis Cluster slot (the first hash tag counts: with
// a prefix that has its own tag, such as "{tenesa}:", they share that one).
//
//	B agents                 set     every agent id of the pool
//	B agent:<id>             hash    name, endpoint, skills (sorted, ","), team, role, queues (","),
//	                                 state, since (ms), reason, call, wrap_end (ms), offline (0|1),
//	                                 idle (ms: last became available), calls (taken), wrapq (the
//	                                 queue of the call being wrapped up)
//	B endpoints              hash    endpoint → agent id (presence)
//	B q:<queue>:members      set     agents of the queue
//	B q:<queue>:avail        set     members that can take a call now (available, online): the
//	                                 dispatcher's index, kept by the scripts
//	B q:<queue>:waiting      zset    waiting calls; score (999 − priority)·2^42 + enqueued ms: higher
//	                                 priority first, then the longest wait
//	B q:<queue>:answers      list    "answered ms:wait ms" of the last 100 answered calls (estimated
//	                                 wait, service level)
//	B q:<queue>:rr           string  the agent the queue's last offer went to (round_robin)
//	B call:<id>              hash    queue, first (queue), prio, score, skills, owner (controller),
//	                                 state (waiting|offered|connected|ended|abandoned|orphaned), enq,
//	                                 qenq (ms: entered its current queue),
//	                                 ring, wrap, maxwait_at, agents (offered), agent, answered, ended,
//	                                 ended_by, wrap_done, pop (screen-pop JSON), service, escal (JSON
//	                                 lines), dispo (JSON), norec, offered_to, nseq (number of the
//	                                 call's last notice); expires 24 h after the
//	                                 end (or the wrap-up end)
//	B timers                 zset    "wrap|agent", "maxwait|call", "offer|call" by deadline (ms)
//	B ctl:<instance>         string  a controller's lease (TTL 15 s, renewed every 5 s)
//	B repeat:<service>       zset    calls about an open complaint by the service (sliding window)
//	B figures                string  which controller publishes the queue figures this period
//	B n:<instance>           pub/sub notices (offers, moves) to the controller owning the call
//	                                 (a connection of its own: never behind the events)
//	B ev                     pub/sub every event of the pool (agents' feeds, leaders' feed)
//
// # What the scripts guarantee
//
// Redis runs a script atomically; every change of an agent's or a call's
// state is one script (scripts.go), so however many controllers dispatch at
// once:
//
//   - an agent is reserved only when it is available, online, a member of
//     the call's queue and has every skill the call requires, and only for a
//     call that is waiting (offerCall, take): two controllers never ring one
//     agent, and a call is dispatched once;
//   - an agent that becomes available takes, in the same script, the best
//     waiting call of its queues it has the skills for (priority, then time
//     waited);
//   - Answered, NoAnswer, Ended, Abandoned check that the report matches
//     the reservation (a stale or duplicate report is a *CallStateError or a
//     no-op), and release the other agents of a ring_all offer;
//   - a timer is fired by the controller whose script removes it first;
//   - a call's notices keep their order: every script that makes one (an
//     offer, a move, a withdrawal) numbers it (the call's nseq), and the
//     owner's waiter delivers them in that order whichever controller ran
//     the script and whether the notice came in a reply or through pub/sub
//     (order.go), so a hand-off never sees the next offer before the
//     notice that ends the previous one. One that comes early is held
//     until the missing one arrives, for 1 s at most (a lost pub/sub
//     message must not stall a caller; logged).
//
// In-process locks guard only this controller's waiters and subscribers.
//
// # Timers, restarts and dead controllers
//
// Wrap-up ends, maximum waits and offer expiries are deadlines in B timers,
// fired by any controller's timer loop when due on its Clock (ManualClock in
// tests). A restarted controller finds agents, calls and timers as they
// were (a deadline passed meanwhile fires at once); the flow adopts its
// calls again with Enqueue, which keeps their queue and place. Calls are
// owned by a controller: an offer goes to the owner, in process or through
// its B n: channel (published by the reserving script itself, so a remote
// offer costs no extra round trip). A call whose owner's lease expired, or an offer its
// owner has no waiter for, is set aside (orphaned) until a controller
// adopts it; an offer never reported on is taken back after ring timeout +
// 5 s. A sweep every 5 s pairs available agents with waiting calls a
// crashed dispatcher may have left.
//
// # Redis failover (Sentinel, Cluster)
//
// The acd works through go-redis's UniversalClient (redis.addr,
// redis.master_name: single node, Sentinel, Cluster). In Cluster every key
// of the pool is in one slot (the "{<pool>}" hash tag above, or the
// prefix's own), so each script runs on one shard. While Redis fails over,
// a script that meets a failover's error (connection refused or cut,
// READONLY, LOADING, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, NOREPLICAS:
// redisha.Failover) is sent again for up to Options.FailoverWait (5 s);
// the scripts check state, so one that ran before its reply was lost is a
// no-op or a *CallStateError when sent again, never a second effect.
//
// Redis replicates asynchronously: a reservation the master made and
// acknowledged may not be on its replica when it dies, and the promoted
// replica then has the agent available — free to be reserved for another
// call while it rings for this one. So the hand-off rings an offer only
// after ConfirmOffer: a script on the master now serving checks that the
// offer is still the call's reservation (else ErrOfferStale), writes a
// confirmation, and WAITs until a replica has every write before it (a
// master without replicas needs none; Options.Replicas, AckTimeout). An
// offer not confirmed is not rung; its offer timer gives the call back to
// its queue. Tested with a replica stopped (SIGSTOP) and with the master
// SIGKILLed or failed over under load (internal/redisha).
//
// Left: a SENTINEL FAILOVER (or a partition) has a window in which the old
// master still takes writes and its other replicas still acknowledge them;
// they are lost when it is demoted. For calls in that window the acd's
// state can go back: a call enqueued then is missing (the sweep queues it
// again at its place when its controller still waits for it: requeueLost),
// an answer or an end reported then is lost (the agent's state goes back
// to reserved). For a planned switch, pause
// writes on the master first (CLIENT PAUSE 5000 WRITE, then SENTINEL
// FAILOVER): nothing is written in the window. See internal/redisha.
//
// # Escalation
//
// A moved call (overflow, repeat caller, agent request) gets
// acd.escalation_priority and keeps its enqueue time, its screen-pop and
// only its language skills (a team leader handles any segment and product)
// plus the target queue's; each move is counted (tenesa_escalations_total)
// and kept on the call (Handling.Escalations). The repeat-caller rule is
// the pure RepeatCaller over a sliding 24 h count per service ID.
//
// # Metrics
//
// Options.Metrics is fed where a script's reply says a fact happened, so
// each is counted once whichever controller ran it: QueueEntered when a new
// call is enqueued (its queue: the Team Leader queue for a repeat caller)
// and when a move puts it in another queue (not on adoption);
// QueueAnswered, QueueAbandoned and QueueOverflowed with the wait in that
// queue (since the call entered it); Talk when the call with its agent
// ends or its agent escalates it; WrapUp whenever an agent's wrap-up ends
// (timer, ready, pause, logout), for the queue of the call wrapped up;
// Disposition once per agent-handled call, at the end of its last agent's
// wrap-up; Escalation per move; Dispatched per offer. Live gives the
// figures read at scrape time (metrics.SetLive).
//
// # Benchmark
//
//	go test -run '^$' -bench Dispatch ./router/acd/
//
// measures the dispatch latency (an agent becomes available with calls
// waiting → the offer is in the owner's waiter) with 20 queues × 200
// agents and 1,000 waiting calls on the test Redis; see BenchmarkDispatch
// for the numbers.
package acd
