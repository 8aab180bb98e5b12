package acd

import (
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Every state change of the pool is one Lua script: Redis runs a script
// atomically, so two controllers never reserve one agent or dispatch one
// call twice, whatever their dispatchers do at the same moment. A script
// gets KEYS[1] = the pool's agent set (it routes the script to the pool's
// slot in a Cluster; every other key it touches shares the slot's hash tag),
// ARGV[1] = the key base, ARGV[2] = now in Unix milliseconds (the caller's
// clock, injectable in tests), then its own arguments.
//
// Replies never contain a nil (a Lua nil truncates a reply array): absent
// values are "".

const (
	// offerGrace is how long past its ring timeout an offer stays reserved
	// when the hand-off reports nothing (it crashed, the notice was lost):
	// the offer timer then releases the agents and requeues the call.
	offerGrace = 5000
	// callTTL keeps an ended call's hash (for the handling record and the
	// disposition) this long, in milliseconds.
	callTTL = 24 * 3600 * 1000
	// scanDepth is how many waiting calls per queue an agent that becomes
	// available looks at for one it has the skills for.
	scanDepth = 64
	// recentAnswers is how many answered calls per queue are kept for the
	// estimated wait and the service level.
	recentAnswers = 100
)

var prelude = fmt.Sprintf(`
local B = ARGV[1]
local now = tonumber(ARGV[2])
local TIMERS = B..'timers'
local GRACE, CALLTTL, SCAN = %d, %d, %d
local function ak(id) return B..'agent:'..id end
local function ck(id) return B..'call:'..id end
local function qk(q, s) return B..'q:'..q..':'..s end
local function split(s)
  local t = {}
  if s then for x in string.gmatch(s, '[^,]+') do t[#t+1] = x end end
  return t
end
local function hasall(have, need)
  if not need or need == '' then return true end
  local set = {}
  for _, x in ipairs(split(have)) do set[x] = true end
  for _, x in ipairs(split(need)) do if not set[x] then return false end end
  return true
end
-- reach: an agent homed on box ab ('' = reachable from every box) may be
-- rung for a call that needs box cb ('' = any: one Asterisk, or the
-- caller's box dials other boxes' agents through a trunk)
local function reach(ab, cb)
  return not cb or cb == '' or not ab or ab == '' or ab == cb
end
-- index keeps q:<queue>:avail, the agents of each queue that can take a call now
local function index(id, on)
  for _, q in ipairs(split(redis.call('HGET', ak(id), 'queues'))) do
    if on then redis.call('SADD', qk(q, 'avail'), id) else redis.call('SREM', qk(q, 'avail'), id) end
  end
end
local function setstate(id, st, reason, call)
  redis.call('HSET', ak(id), 'state', st, 'since', now, 'reason', reason, 'call', call, 'wrap_end', 0)
end
local function become_available(id)
  setstate(id, 'available', '', '')
  if redis.call('HGET', ak(id), 'offline') ~= '1' then index(id, true) end
end
local function alive(owner)
  return owner and owner ~= '' and redis.call('EXISTS', B..'ctl:'..owner) == 1
end
-- remote: the call's owner is another controller than the caller
-- (KEYS[2] is the caller's lease key); notices to it are published by the
-- script that makes the change, so that they precede any later offer.
local function remote(owner)
  return owner and owner ~= '' and B..'ctl:'..owner ~= KEYS[2]
end
-- nseq numbers the next notice of a call (offer, move, withdrawal), in
-- the order the scripts produce them: the waiter delivers them in that
-- order, whichever controller ran the script and whichever way (reply or
-- pub/sub) the notice travels.
local function nseq(cid)
  return redis.call('HINCRBY', ck(cid), 'nseq', 1)
end
local function jstrings(list)
  local out = {}
  for i, x in ipairs(list) do out[i] = cjson.encode(x) end
  return '['..table.concat(out, ',')..']'
end
local function orphan(q, cid)
  redis.call('ZREM', qk(q, 'waiting'), cid)
  if redis.call('EXISTS', ck(cid)) == 1 then
    redis.call('HSET', ck(cid), 'state', 'orphaned')
    redis.call('PEXPIRE', ck(cid), CALLTTL)
  end
end
local function reserve(cid, q, agents)
  local c = ck(cid)
  redis.call('ZREM', qk(q, 'waiting'), cid)
  redis.call('HSET', c, 'state', 'offered', 'agents', table.concat(agents, ','), 'offer_at', now)
  for _, id in ipairs(agents) do
    setstate(id, 'reserved', '', cid)
    index(id, false)
  end
  redis.call('SET', qk(q, 'rr'), agents[#agents])
  local ring = tonumber(redis.call('HGET', c, 'ring') or '0') or 0
  redis.call('ZADD', TIMERS, now + ring + GRACE, 'offer|'..cid)
end
-- offer_of: {cid, owner, queue, ring ms, screen-pop, published, seq, id1,
-- name1, endpoint1, box1, ...}; seq is the offer's notice number (nseq). An
-- offer for a call owned by another controller than the caller's (KEYS[2]
-- is the caller's lease key) is published to that controller's notice
-- channel here, in the reserving script (published "1"): no second round
-- trip on the way to the owner.
local function offer_of(cid)
  local c = redis.call('HMGET', ck(cid), 'owner', 'queue', 'ring', 'pop', 'agents')
  local owner = c[1] or ''
  local seq = nseq(cid)
  local out = {cid, owner, c[2] or '', c[3] or '0', c[4] or '', '0', seq}
  local agents = {}
  for _, id in ipairs(split(c[5])) do
    local a = redis.call('HMGET', ak(id), 'name', 'endpoint', 'box')
    out[#out+1] = id; out[#out+1] = a[1] or ''; out[#out+1] = a[2] or ''; out[#out+1] = a[3] or ''
    agents[#agents+1] = {id = id, name = a[1] or '', endpoint = a[2] or '', box = a[3] or ''}
  end
  if remote(owner) then
    redis.call('PUBLISH', B..'n:'..owner, cjson.encode({kind = 'offer', call_id = cid, seq = seq,
      offer = {call_id = cid, queue = out[3], agents = agents, ring_timeout = (tonumber(out[4]) or 0) * 1000000}}))
    out[6] = '1'
  end
  return out
end
-- take: the best waiting call (priority, then time waited) of the agent's
-- queues that it has every skill for, reserved for it; its offer or {}.
local function take(id)
  local a = redis.call('HMGET', ak(id), 'state', 'offline', 'queues', 'skills', 'box')
  if a[1] ~= 'available' or a[2] == '1' then return {} end
  local best, bestScore, bestQ
  for _, q in ipairs(split(a[3])) do
    local items = redis.call('ZRANGE', qk(q, 'waiting'), 0, SCAN - 1, 'WITHSCORES')
    for i = 1, #items, 2 do
      local cid, sc = items[i], tonumber(items[i+1])
      if bestScore and sc >= bestScore then break end
      local c = redis.call('HMGET', ck(cid), 'skills', 'owner', 'box')
      if not alive(c[2]) then
        orphan(q, cid)
      elseif hasall(a[4], c[1]) and reach(a[5], c[3]) then
        best, bestScore, bestQ = cid, sc, q
        break
      end
    end
  end
  if not best then return {} end
  reserve(best, bestQ, {id})
  return offer_of(best)
end
-- end_wrap closes the agent's wrap-up: the call's wrap-up is done and,
-- when the agent was the call's last, "needs not recorded" is decided.
-- Returns the queue when the call has no disposition, else '', and the
-- wrap-up's figures for the metrics: {queue wrapped up for, wrap-up ms,
-- disposition decided "1"|"0", disposition JSON}.
local function end_wrap(id)
  redis.call('ZREM', TIMERS, 'wrap|'..id)
  local a = redis.call('HMGET', ak(id), 'call', 'since', 'wrapq')
  local cid = a[1]
  if not cid or cid == '' then return '', {} end
  local c = redis.call('HMGET', ck(cid), 'state', 'agent', 'dispo', 'queue')
  local info = {a[3] or c[4] or '', tostring(now - (tonumber(a[2]) or now)), '0', ''}
  if c[1] ~= 'ended' or c[2] ~= id then return '', info end
  redis.call('HSET', ck(cid), 'wrap_done', now)
  redis.call('PEXPIRE', ck(cid), CALLTTL)
  info[3] = '1'
  if c[3] and c[3] ~= '' then info[4] = c[3]; return '', info end
  redis.call('HSET', ck(cid), 'norec', '1')
  return c[4] or '', info
end
local function release(cid, ids)
  local out = {}
  for _, id in ipairs(ids) do
    local a = redis.call('HMGET', ak(id), 'state', 'call')
    if a[1] == 'reserved' and a[2] == cid then become_available(id); out[#out+1] = id end
  end
  return out
end
`, offerGrace, callTTL, scanDepth)

func script(body string) *redis.Script { return redis.NewScript(prelude + body) }

// agentOp: ARGV[3] agent, ARGV[4] op (login|logout|ready|pause), ARGV[5]
// reason. The allowed changes:
//
//	login   logged_out → available
//	logout  available, paused, wrap_up → logged_out   (logged_out: no change)
//	ready   paused, wrap_up → available               (available: no change)
//	pause   available, paused, wrap_up → paused(reason)
//
// Reply {"ok", old state, call, needs-not-recorded queue, offer, wrap-up
// figures (end_wrap)} or {"state", old state, call} or {"noagent"}.
var agentOp = script(`
local id, op, reason = ARGV[3], ARGV[4], ARGV[5]
local st = redis.call('HMGET', ak(id), 'state', 'call')
if not st[1] then return {'noagent'} end
local old, call = st[1], st[2] or ''
local norec, wrapinfo = '', {}
if op == 'login' then
  if old ~= 'logged_out' then return {'state', old, call} end
  redis.call('HSET', ak(id), 'idle', now)
  become_available(id)
elseif op == 'logout' then
  if old == 'logged_out' then return {'ok', old, call, '', {}} end
  if old ~= 'available' and old ~= 'paused' and old ~= 'wrap_up' then return {'state', old, call} end
  if old == 'wrap_up' then norec, wrapinfo = end_wrap(id) end
  index(id, false)
  setstate(id, 'logged_out', '', '')
elseif op == 'ready' then
  if old == 'available' then return {'ok', old, call, '', {}} end
  if old ~= 'paused' and old ~= 'wrap_up' then return {'state', old, call} end
  if old == 'wrap_up' then norec, wrapinfo = end_wrap(id) end
  redis.call('HSET', ak(id), 'idle', now)
  become_available(id)
elseif op == 'pause' then
  if old ~= 'available' and old ~= 'paused' and old ~= 'wrap_up' then return {'state', old, call} end
  if old == 'wrap_up' then norec, wrapinfo = end_wrap(id) end
  index(id, false)
  setstate(id, 'paused', reason, '')
else
  return redis.error_reply('unknown op '..op)
end
return {'ok', old, call, norec, take(id), wrapinfo}
`)

// takeAgent: ARGV[3] agent. Reserves the best waiting call the agent can
// take, if it is available. Reply: the offer or {}.
var takeAgent = script(`return take(ARGV[3])`)

// upsertAgent: ARGV[3..10] id, name, endpoint, skills, team, role, queues,
// box (the Asterisk the endpoint is registered on; ” = every box).
// Creates the agent logged out, or updates it keeping its state. Reply
// {"ok", "created"|"updated"} or {"dup", other agent} when another agent
// has the endpoint.
var upsertAgent = script(`
local id, name, ep, skills, team, role, queues = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local other = redis.call('HGET', B..'endpoints', ep)
if other and other ~= id then return {'dup', other} end
local a = ak(id)
local created = redis.call('EXISTS', a) == 0
local old = redis.call('HMGET', a, 'queues', 'endpoint', 'state', 'offline')
for _, q in ipairs(split(old[1])) do
  redis.call('SREM', qk(q, 'members'), id)
  redis.call('SREM', qk(q, 'avail'), id)
end
if old[2] and old[2] ~= ep then redis.call('HDEL', B..'endpoints', old[2]) end
redis.call('HSET', a, 'name', name, 'endpoint', ep, 'skills', skills, 'team', team, 'role', role, 'queues', queues,
  'box', ARGV[10] or '')
if created then
  redis.call('HSET', a, 'state', 'logged_out', 'since', now, 'reason', '', 'call', '', 'offline', '0',
    'calls', 0, 'idle', 0, 'wrap_end', 0)
  redis.call('SADD', KEYS[1], id)
end
redis.call('HSET', B..'endpoints', ep, id)
for _, q in ipairs(split(queues)) do redis.call('SADD', qk(q, 'members'), id) end
if old[3] == 'available' and old[4] ~= '1' then index(id, true) end
if created then return {'ok', 'created'} end
return {'ok', 'updated'}
`)

// enqueue: ARGV[3..16] call, queue, priority, score, skills, owner,
// enqueued ms, ring ms, wrap ms, max-wait deadline ms (0: none), screen-pop,
// service, escalations, first queue, box (the Asterisk an agent must be
// reachable from; ” = any). A call still waiting, offered or
// orphaned (its owner died) is adopted: it keeps its place and queue, its
// owner becomes this controller, agents reserved for it are released.
// Reply {"new"|"adopted", queue, released agents, notice seq: the last
// notice numbered (new: the repeat caller's move, 0 for none)} or
// {"connected", queue, agent}.
var enqueue = script(`
local cid, q = ARGV[3], ARGV[4]
local c = ck(cid)
local st = redis.call('HMGET', c, 'state', 'queue', 'agents', 'agent')
if st[1] == 'connected' then return {'connected', st[2] or '', st[4] or ''} end
if st[1] == 'waiting' or st[1] == 'offered' or st[1] == 'orphaned' then
  redis.call('HSET', c, 'owner', ARGV[8], 'box', ARGV[17])
  redis.call('PERSIST', c)
  local released = {}
  if st[1] == 'offered' then
    released = release(cid, split(st[3]))
    redis.call('ZREM', TIMERS, 'offer|'..cid)
  end
  if st[1] ~= 'waiting' then
    redis.call('HSET', c, 'state', 'waiting', 'agents', '')
    redis.call('ZADD', qk(st[2], 'waiting'), redis.call('HGET', c, 'score'), cid)
  end
  return {'adopted', st[2], released, tonumber(redis.call('HGET', c, 'nseq') or '0') or 0}
end
redis.call('DEL', c)
redis.call('HSET', c, 'queue', q, 'prio', ARGV[5], 'score', ARGV[6], 'skills', ARGV[7], 'owner', ARGV[8],
  'state', 'waiting', 'enq', ARGV[9], 'ring', ARGV[10], 'wrap', ARGV[11], 'maxwait_at', ARGV[12],
  'pop', ARGV[13], 'service', ARGV[14], 'escal', ARGV[15], 'first', ARGV[16], 'agents', '', 'agent', '',
  'qenq', ARGV[9], 'box', ARGV[17])
redis.call('ZADD', qk(q, 'waiting'), ARGV[6], cid)
if tonumber(ARGV[12]) > 0 then redis.call('ZADD', TIMERS, ARGV[12], 'maxwait|'..cid) end
local seq = 0
if ARGV[15] ~= '' then seq = nseq(cid) end
return {'new', q, {}, seq}
`)

// candidates: ARGV[3] call. The available, online agents of the call's
// queue that have every skill it needs and are reachable from its box. Reply {"waiting", queue, last agent
// offered in the queue, id, idle-since ms, calls taken, ...} or {state}.
var candidates = script(`
local c = redis.call('HMGET', ck(ARGV[3]), 'state', 'queue', 'skills', 'box')
if c[1] ~= 'waiting' then return {c[1] or 'gone'} end
local q = c[2]
local out = {'waiting', q, redis.call('GET', qk(q, 'rr')) or ''}
for _, id in ipairs(redis.call('SMEMBERS', qk(q, 'avail'))) do
  local a = redis.call('HMGET', ak(id), 'state', 'offline', 'skills', 'idle', 'calls', 'box')
  if a[1] == 'available' and a[2] ~= '1' and hasall(a[3], c[3]) and reach(a[6], c[4]) then
    out[#out+1] = id; out[#out+1] = a[4] or '0'; out[#out+1] = a[5] or '0'
  end
end
return out
`)

// offerCall: ARGV[3] call, ARGV[4] mode (first|all), ARGV[5..] agents in
// the strategy's order. Reserves the first of them that is still
// available, online, a member of the call's queue, reachable from its box
// and has its skills (all
// such with "all", ring_all), if the call is still waiting. Reply: the
// offer or {}.
var offerCall = script(`
local cid, mode = ARGV[3], ARGV[4]
local c = redis.call('HMGET', ck(cid), 'state', 'queue', 'skills', 'owner', 'box')
if c[1] ~= 'waiting' then return {} end
if not alive(c[4]) then orphan(c[2], cid); return {} end
local got = {}
for i = 5, #ARGV do
  local id = ARGV[i]
  local a = redis.call('HMGET', ak(id), 'state', 'offline', 'skills', 'box')
  if a[1] == 'available' and a[2] ~= '1' and hasall(a[3], c[3]) and reach(a[4], c[5])
     and redis.call('SISMEMBER', qk(c[2], 'members'), id) == 1 then
    got[#got+1] = id
    if mode ~= 'all' then break end
  end
end
if #got == 0 then return {} end
reserve(cid, c[2], got)
return offer_of(cid)
`)

// answered: ARGV[3] call, ARGV[4] agent. The agent, reserved for the call,
// is now on it; other agents of the offer are released. Reply {"ok", queue,
// wait ms (since the first enqueue), released agents, screen-pop, wait ms in
// this queue} or {"nocall"} or {"state", call state, agent state}.
var answered = script(fmt.Sprintf(`
local cid, agent = ARGV[3], ARGV[4]
local c = redis.call('HMGET', ck(cid), 'state', 'agents', 'enq', 'queue', 'pop', 'qenq')
if not c[1] then return {'nocall'} end
local a = redis.call('HMGET', ak(agent), 'state', 'call')
if c[1] ~= 'offered' or a[1] ~= 'reserved' or a[2] ~= cid then return {'state', c[1], a[1] or ''} end
redis.call('HSET', ak(agent), 'state', 'on_call', 'since', now, 'reason', '', 'call', cid)
redis.call('HINCRBY', ak(agent), 'calls', 1)
local others = {}
for _, id in ipairs(split(c[2])) do if id ~= agent then others[#others+1] = id end end
local released = release(cid, others)
redis.call('HSET', ck(cid), 'state', 'connected', 'agent', agent, 'answered', now, 'agents', agent)
redis.call('ZREM', TIMERS, 'offer|'..cid, 'maxwait|'..cid)
local wait = now - tonumber(c[3])
redis.call('LPUSH', qk(c[4], 'answers'), now..':'..wait)
redis.call('LTRIM', qk(c[4], 'answers'), 0, %d)
return {'ok', c[4], tostring(wait), released, c[5] or '', tostring(now - tonumber(c[6] or c[3]))}
`, recentAnswers-1))

// noAnswer: ARGV[3] call, ARGV[4] agent. The agent is paused no_answer;
// when no agent of the offer still rings, the call waits again at its
// place (or, past its maximum wait, for the max-wait timer to move it,
// never offered in the old queue meanwhile). Reply {"requeued"|"ringing", queue, overdue "1"|"0"} or
// {"nocall"} or {"state", call state, agent state}.
var noAnswer = script(`
local cid, agent = ARGV[3], ARGV[4]
local c = redis.call('HMGET', ck(cid), 'state', 'agents', 'queue', 'score', 'maxwait_at', 'offered_to')
if not c[1] then return {'nocall'} end
local a = redis.call('HMGET', ak(agent), 'state', 'call')
if c[1] ~= 'offered' or a[1] ~= 'reserved' or a[2] ~= cid then return {'state', c[1], a[1] or ''} end
setstate(agent, 'paused', 'no_answer', '')
local rest = {}
for _, id in ipairs(split(c[2])) do if id ~= agent then rest[#rest+1] = id end end
local tried = c[6] or ''
if tried ~= '' then tried = tried..',' end
redis.call('HSET', ck(cid), 'agents', table.concat(rest, ','), 'offered_to', tried..agent)
if #rest > 0 then return {'ringing', c[3], '0'} end
redis.call('HSET', ck(cid), 'state', 'waiting')
redis.call('ZREM', TIMERS, 'offer|'..cid)
local mw = tonumber(c[5] or '0') or 0
if mw > 0 and now >= mw then
  -- past its maximum wait: not back in the old queue, the max-wait
  -- timer (due now) moves it; whoever claims the timer first.
  redis.call('ZADD', TIMERS, now, 'maxwait|'..cid)
  return {'requeued', c[3], '1'}
end
redis.call('ZADD', qk(c[3], 'waiting'), c[4], cid)
return {'requeued', c[3], '0'}
`)

// ended: ARGV[3] call, ARGV[4] who. The connected call ended: its agent
// wraps up until now + the queue's wrap-up (the wrap timer). Reply {"ok",
// agent, queue, wrap-up end ms, talk ms} or {"already"} or {"nocall"} or
// {"state", call state}.
var ended = script(`
local cid = ARGV[3]
local c = redis.call('HMGET', ck(cid), 'state', 'agent', 'queue', 'wrap', 'answered')
if not c[1] then return {'nocall'} end
if c[1] == 'ended' then return {'already'} end
if c[1] ~= 'connected' then return {'state', c[1]} end
local agent = c[2]
redis.call('HSET', ck(cid), 'state', 'ended', 'ended', now, 'ended_by', ARGV[4])
redis.call('PEXPIRE', ck(cid), CALLTTL)
local endAt = now + (tonumber(c[4]) or 0)
local a = redis.call('HMGET', ak(agent), 'state', 'call')
if a[1] == 'on_call' and a[2] == cid then
  redis.call('HSET', ak(agent), 'state', 'wrap_up', 'since', now, 'reason', '', 'call', cid, 'wrap_end', endAt,
    'wrapq', c[3])
  redis.call('ZADD', TIMERS, endAt, 'wrap|'..agent)
end
return {'ok', agent, c[3], tostring(endAt), tostring(now - (tonumber(c[5]) or now))}
`)

// abandoned: ARGV[3] call. The caller left before an agent: the call
// leaves its queue, agents reserved for it are released. Reply {"ok",
// queue, released agents, wait ms (since the first enqueue), wait ms in
// this queue} or {"already"} or {"nocall"} or {"state", "connected"}.
var abandoned = script(`
local cid = ARGV[3]
local c = redis.call('HMGET', ck(cid), 'state', 'queue', 'agents', 'enq', 'qenq')
if not c[1] then return {'nocall'} end
if c[1] == 'abandoned' or c[1] == 'ended' then return {'already'} end
if c[1] == 'connected' then return {'state', c[1]} end
redis.call('ZREM', qk(c[2], 'waiting'), cid)
local released = {}
if c[1] == 'offered' then released = release(cid, split(c[3])) end
redis.call('HSET', ck(cid), 'state', 'abandoned', 'ended', now, 'ended_by', 'caller', 'agents', '')
redis.call('ZREM', TIMERS, 'offer|'..cid, 'maxwait|'..cid)
redis.call('PEXPIRE', ck(cid), CALLTTL)
return {'ok', c[2], released, tostring(now - tonumber(c[4])), tostring(now - tonumber(c[5] or c[4]))}
`)

// wrapDue: ARGV[3] agent. The wrap timer fired: if this controller removed
// it first and the agent still wraps up, the agent becomes available and
// takes the best waiting call. Reply {"ok", call, needs-not-recorded queue,
// offer, wrap-up figures (end_wrap)} or {"none"}.
var wrapDue = script(`
local id = ARGV[3]
if redis.call('ZREM', TIMERS, 'wrap|'..id) == 0 then return {'none'} end
local a = redis.call('HMGET', ak(id), 'state', 'call')
if a[1] ~= 'wrap_up' then return {'none'} end
local norec, wrapinfo = end_wrap(id)
redis.call('HSET', ak(id), 'idle', now)
become_available(id)
return {'ok', a[2] or '', norec, take(id), wrapinfo}
`)

// offerDue: ARGV[3] call. The offer timer fired (the hand-off reported
// nothing for ring timeout + grace): the agents still reserved are released
// and the call waits again at its place. Reply {"ok", queue, owner,
// released agents, overdue "1"|"0", notice seq} or {"none"}.
var offerDue = script(`
local cid = ARGV[3]
if redis.call('ZREM', TIMERS, 'offer|'..cid) == 0 then return {'none'} end
local c = redis.call('HMGET', ck(cid), 'state', 'queue', 'agents', 'score', 'owner', 'maxwait_at')
if c[1] ~= 'offered' then return {'none'} end
local released = release(cid, split(c[3]))
redis.call('HSET', ck(cid), 'state', 'waiting', 'agents', '')
local seq = nseq(cid)
if remote(c[5]) then
  redis.call('PUBLISH', B..'n:'..c[5], '{"kind":"withdrawn","seq":'..seq..',"call_id":'..cjson.encode(cid)..
    ',"agents":'..jstrings(released)..'}')
end
local mw = tonumber(c[6] or '0') or 0
if mw > 0 and now >= mw then
  redis.call('ZADD', TIMERS, now, 'maxwait|'..cid)
  return {'ok', c[2], c[5] or '', released, '1', seq}
end
redis.call('ZADD', qk(c[2], 'waiting'), c[4], cid)
return {'ok', c[2], c[5] or '', released, '0', seq}
`)

// move: ARGV[3] call, ARGV[4] timer member to claim first ("" none),
// ARGV[5] expected queue ("" any), ARGV[6] target queue, ARGV[7] priority,
// ARGV[8] score, ARGV[9] ring ms, ARGV[10] wrap ms, ARGV[11] max-wait
// deadline (0 none), ARGV[12] escalation (JSON), ARGV[13] skills, ARGV[14]
// agent who escalates ("" none: the call must be waiting). A waiting call
// moves to the target queue; a connected one (escalated by its agent) too,
// and its agent wraps up. Reply {"ok", old queue, agent put in wrap-up,
// owner, screen-pop, ms spent in the old queue (waiting, or talking when
// its agent escalated), notice seq} or {"none"} or {"nocall"} or {"state", call state}
// or {"notyours", agent}.
var move = script(`
local cid, guard, from, to, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[14]
if guard ~= '' and redis.call('ZREM', TIMERS, guard) == 0 then return {'none'} end
local c = redis.call('HMGET', ck(cid), 'state', 'queue', 'agent', 'escal', 'owner', 'wrap', 'pop', 'qenq', 'enq',
  'answered')
if not c[1] then return {'nocall'} end
if from ~= '' and c[2] ~= from then return {'none'} end
local wrapped = ''
if c[1] == 'waiting' or c[1] == 'orphaned' then
  if by ~= '' then return {'state', c[1]} end
  redis.call('ZREM', qk(c[2], 'waiting'), cid)
elseif c[1] == 'connected' and by ~= '' then
  if c[3] ~= by then return {'notyours', c[3] or ''} end
  local endAt = now + (tonumber(c[6]) or 0)
  redis.call('HSET', ak(by), 'state', 'wrap_up', 'since', now, 'reason', '', 'call', cid, 'wrap_end', endAt,
    'wrapq', c[2])
  redis.call('ZADD', TIMERS, endAt, 'wrap|'..by)
  wrapped = by
else
  return {'state', c[1]}
end
local escal = c[4] or ''
if escal ~= '' then escal = escal..'\n' end
local st = 'waiting'
if c[1] == 'orphaned' then st = 'orphaned' end
redis.call('HSET', ck(cid), 'queue', to, 'prio', ARGV[7], 'score', ARGV[8], 'ring', ARGV[9], 'wrap', ARGV[10],
  'maxwait_at', ARGV[11], 'escal', escal..ARGV[12], 'skills', ARGV[13], 'state', st, 'agents', '', 'agent', '',
  'answered', '', 'qenq', now)
if st == 'waiting' then redis.call('ZADD', qk(to, 'waiting'), ARGV[8], cid) end
redis.call('ZREM', TIMERS, 'maxwait|'..cid)
if tonumber(ARGV[11]) > 0 then redis.call('ZADD', TIMERS, ARGV[11], 'maxwait|'..cid) end
local seq = nseq(cid)
if remote(c[5]) then
  redis.call('PUBLISH', B..'n:'..c[5], '{"kind":"moved","seq":'..seq..',"call_id":'..cjson.encode(cid)..
    ',"move":'..ARGV[12]..'}')
end
-- the time the call spent in the old queue: waiting (overflow) or talking
-- (escalated by its agent)
local spent = now - (tonumber(c[8] or c[9]) or now)
if wrapped ~= '' then spent = now - (tonumber(c[10]) or now) end
return {'ok', c[2], wrapped, c[5] or '', c[7] or '', tostring(spent), seq}
`)

// presence: ARGV[3] endpoint, ARGV[4] "1" online | "0" offline. Reply
// {"ok", agent, state, offer} or {"noagent"}.
var presence = script(`
local id = redis.call('HGET', B..'endpoints', ARGV[3])
if not id then return {'noagent'} end
local st = redis.call('HGET', ak(id), 'state') or ''
if ARGV[4] == '1' then
  redis.call('HSET', ak(id), 'offline', '0')
  if st == 'available' then index(id, true); return {'ok', id, st, take(id)} end
else
  redis.call('HSET', ak(id), 'offline', '1')
  index(id, false)
end
return {'ok', id, st, {}}
`)

// dispose: ARGV[3] call, ARGV[4] agent, ARGV[5] disposition JSON. Only the
// agent on the call or wrapping it up records it. Reply {"ok"} or
// {"nocall"} or {"noagent"} or {"state", agent state, agent's call}.
var dispose = script(`
local cid, id = ARGV[3], ARGV[4]
if redis.call('EXISTS', ck(cid)) == 0 then return {'nocall'} end
local a = redis.call('HMGET', ak(id), 'state', 'call')
if not a[1] then return {'noagent'} end
if a[2] ~= cid or (a[1] ~= 'on_call' and a[1] ~= 'wrap_up') then return {'state', a[1], a[2] or ''} end
redis.call('HSET', ck(cid), 'dispo', ARGV[5])
return {'ok'}
`)

// queueFigures: ARGV[3] queue. Reply {waiting count, oldest enqueue ms or
// 0, {state, offline, ...} per member, {answered ms:wait ms, ...}}.
var queueFigures = script(`
local q = ARGV[3]
local items = redis.call('ZRANGE', qk(q, 'waiting'), 0, -1, 'WITHSCORES')
local oldest = 0
for i = 2, #items, 2 do
  local enq = tonumber(items[i]) % 4398046511104
  if oldest == 0 or enq < oldest then oldest = enq end
end
local members = {}
for _, id in ipairs(redis.call('SMEMBERS', qk(q, 'members'))) do
  local a = redis.call('HMGET', ak(id), 'state', 'offline')
  members[#members+1] = a[1] or 'logged_out'; members[#members+1] = a[2] or '0'
end
return {#items / 2, tostring(oldest), members, redis.call('LRANGE', qk(q, 'answers'), 0, -1)}
`)

// position: ARGV[3] call. Reply {queue, rank (0 = next), waiting count,
// enqueued ms, answers} or {"", state}.
var position = script(`
local c = redis.call('HMGET', ck(ARGV[3]), 'state', 'queue', 'enq')
if not c[1] then return {'', 'nocall'} end
if c[1] ~= 'waiting' then return {'', c[1]} end
local r = redis.call('ZRANK', qk(c[2], 'waiting'), ARGV[3])
if not r then return {'', 'gone'} end
return {c[2], r, redis.call('ZCARD', qk(c[2], 'waiting')), c[3], redis.call('LRANGE', qk(c[2], 'answers'), 0, -1)}
`)

// repeatCount: ARGV[3] service key, ARGV[4] call, ARGV[5] window ms. Counts
// the call in the service's sliding window (idempotent per call). Reply:
// {calls in the window}.
var repeatCount = script(`
local k = ARGV[3]
redis.call('ZADD', k, now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', k, '-inf', now - tonumber(ARGV[5]))
redis.call('PEXPIRE', k, ARGV[5])
return {redis.call('ZCARD', k)}
`)

// unclaimed: ARGV[3] call, ARGV[4] owner. An offer reached its owner,
// which has no waiter for the call (it restarted and has not adopted the
// call yet, or its call goroutine is gone): the agents are released and the
// call is set aside (orphaned, out of its queue) until a controller adopts
// it with Enqueue; it expires with the call TTL otherwise. Reply: released
// agents.
var unclaimed = script(`
local cid = ARGV[3]
local c = redis.call('HMGET', ck(cid), 'state', 'agents', 'owner', 'queue')
if c[1] ~= 'offered' or c[3] ~= ARGV[4] then return {} end
local released = release(cid, split(c[2]))
redis.call('HSET', ck(cid), 'state', 'orphaned', 'agents', '')
redis.call('ZREM', qk(c[4], 'waiting'), cid)
redis.call('ZREM', TIMERS, 'offer|'..cid)
redis.call('PEXPIRE', ck(cid), CALLTTL)
return released
`)

// removeAgent: ARGV[3] agent. Deletes a logged-out agent. Reply {"ok"} or
// {"noagent"} or {"state", state}.
var removeAgent = script(`
local id = ARGV[3]
local a = redis.call('HMGET', ak(id), 'state', 'queues', 'endpoint')
if not a[1] then return {'noagent'} end
if a[1] ~= 'logged_out' then return {'state', a[1]} end
for _, q in ipairs(split(a[2])) do
  redis.call('SREM', qk(q, 'members'), id)
  redis.call('SREM', qk(q, 'avail'), id)
end
if a[3] and redis.call('HGET', B..'endpoints', a[3]) == id then redis.call('HDEL', B..'endpoints', a[3]) end
redis.call('SREM', KEYS[1], id)
redis.call('DEL', ak(id))
redis.call('ZREM', TIMERS, 'wrap|'..id)
return {'ok'}
`)

// requeue: ARGV[3] call. A waiting call that is in no queue (its overflow
// did not happen: no overflow queue any more) goes back to its queue at
// its place. Reply {"ok"|"none"}.
var requeue = script(`
local c = redis.call('HMGET', ck(ARGV[3]), 'state', 'queue', 'score')
if c[1] ~= 'waiting' then return {'none'} end
redis.call('ZADD', qk(c[2], 'waiting'), c[3], ARGV[3])
return {'ok'}
`)
