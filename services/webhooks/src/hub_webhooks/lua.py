"""The Lua scripts that change deliveries atomically (one script = one Redis transaction).

Keys are derived inside the scripts from the namespace prefix (ARGV[1]); the service does not
target Redis Cluster (all keys would need one hash tag).
"""

from __future__ import annotations

# Shared by the scripts that hand out leases (claim, fan-out, finish): a destination's gate and the
# lease itself, so a first attempt leased straight from the Kafka batch, a delivery handed over by
# a finishing attempt and one claimed from `due` pass the very same checks.
_GATE = """
-- L: {cap, rate, burst, threshold, defer_ms, lease_ms} (the defaults; a destination's hash may override)
-- Returns 'go' (a rate token and, when half-open, the probe are taken: lease it now), 'park' (at its
-- concurrency cap: queue it behind the destination) or the time (ms) it may be looked at again.
-- `fresh_slots`: the caller has just freed a slot of this destination itself (a finish handing over),
-- so the clean-up of slots whose lease expired is left to the claims and the reaper.
local function gate(prefix, dest, now, L, fresh_slots)
  local skey = prefix .. 'dest:' .. dest
  local st = redis.call('HMGET', skey, 'cap', 'rate', 'burst', 'tokens', 'ts', 'fails', 'open_until',
                        'probe_until')
  local cap = tonumber(st[1]) or L.cap
  local rate = tonumber(st[2]) or L.rate
  local burst = tonumber(st[3]) or L.burst
  local fails, open_until, probe_until = tonumber(st[6]) or 0, tonumber(st[7]) or 0, tonumber(st[8]) or 0
  if open_until > now then return open_until end
  local probe = false
  if fails >= L.threshold then
    -- half-open: one probe at a time; the others look again shortly
    if probe_until > now then return now + L.defer_ms end
    probe = true
  end
  local slots_key = prefix .. 'slots:' .. dest
  if not fresh_slots then
    local expired = redis.call('ZREMRANGEBYSCORE', slots_key, '-inf', now)
    for _ = 1, expired do
      local waiting = redis.call('ZPOPMIN', prefix .. 'wait:' .. dest)
      if waiting[1] then redis.call('ZADD', prefix .. 'due', now, waiting[1]) end
    end
  end
  if redis.call('ZCARD', slots_key) >= cap then return 'park' end
  if rate > 0 then
    local ts = tonumber(st[5]) or now
    local tokens = math.min(burst, (tonumber(st[4]) or burst) + (now - ts) * rate / 1000)
    if tokens < 1 then return now + math.ceil((1 - tokens) * 1000 / rate) end
    redis.call('HSET', skey, 'tokens', tostring(tokens - 1), 'ts', tostring(now))
  end
  if probe then redis.call('HSET', skey, 'probe_until', tostring(now + L.lease_ms)) end
  return 'go'
end

-- The lease: out of `due` and the destination's queue (a redelivery can put a parked delivery in
-- both), into `leases` and the destination's slots; the attempt counter goes up. `source`: 'new' (just
-- stored by the fan-out: in neither queue, no attempt made yet), 'wait' (just popped from the
-- destination's queue) or 'due'.
local function lease(prefix, id, dest, now, lease_ms, token, source)
  if source ~= 'new' then redis.call('ZREM', prefix .. 'due', id) end
  if source == 'due' then redis.call('ZREM', prefix .. 'wait:' .. dest, id) end
  redis.call('ZADD', prefix .. 'leases', now + lease_ms, id)
  redis.call('ZADD', prefix .. 'slots:' .. dest, now + lease_ms, id)
  local dkey = prefix .. 'dlv:' .. id
  local attempt
  if source == 'new' then
    attempt = 1
    redis.call('HSET', dkey, 'lease', token, 'attempts', attempt)
  else
    attempt = redis.call('HINCRBY', dkey, 'attempts', 1)
    redis.call('HSET', dkey, 'lease', token)
  end
  return attempt
end

-- A leased delivery as the worker needs it (see `Claimed`).
local function claimed_row(prefix, id, token, attempt, dest)
  local f = redis.call('HMGET', prefix .. 'dlv:' .. id, 'url', 'msg_id', 'body', 'endpoint_id', 'account_id',
                       'manual', 'event_type')
  return {id, token, attempt, dest, f[1], f[2], f[3], f[4], f[5], f[6], f[7]}
end
"""

FAN_OUT = _GATE + """
-- ARGV: prefix, ttl, now, dedupe ('1'/'0'), JSON [{event_id, deliveries: [{id, dest, fields, indexes}]}],
--       lease budget (how many first attempts the calling worker can start now), token prefix,
--       cap, rate, burst, breaker threshold, defer_ms, lease_ms
-- Returns {created per event (-1: already fanned out), {id, token, attempt} per delivery leased here}.
local prefix, ttl, now, dedupe = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local budget, token_prefix = tonumber(ARGV[6]), ARGV[7]
local L = {cap = tonumber(ARGV[8]), rate = tonumber(ARGV[9]), burst = tonumber(ARGV[10]),
           threshold = tonumber(ARGV[11]), defer_ms = tonumber(ARGV[12]), lease_ms = tonumber(ARGV[13])}
local results, leased = {}, {}
-- a destination that cannot take a delivery now (at its cap, rate-limited, breaker open) cannot later in
-- this script either: its verdict is reused instead of asked again
local held_back = {}
for _, event in ipairs(cjson.decode(ARGV[5])) do
  local fresh = true
  if dedupe == '1' then
    fresh = redis.call('SET', prefix .. 'evt:' .. event.event_id, now, 'NX', 'EX', ttl)
  end
  local created = -1
  if fresh then
    created = 0
    for _, d in ipairs(event.deliveries) do
      local dkey = prefix .. 'dlv:' .. d.id
      if redis.call('EXISTS', dkey) == 0 then
        redis.call('HSET', dkey, unpack(d.fields))
        for _, idx in ipairs(d.indexes) do redis.call('ZADD', prefix .. idx, now, d.id) end
        local dest = d.dest
        local verdict = held_back[dest] or now
        if verdict == now and #leased < budget then
          verdict = gate(prefix, dest, now, L)
          if verdict ~= 'go' then held_back[dest] = verdict end
        end
        if verdict == 'go' then
          local token = token_prefix .. ':' .. (#leased + 1)
          table.insert(leased, {d.id, token, lease(prefix, d.id, dest, now, L.lease_ms, token, 'new')})
        elseif verdict == 'park' then
          redis.call('ZADD', prefix .. 'wait:' .. dest, now, d.id)
        else
          redis.call('ZADD', prefix .. 'due', verdict, d.id)
        end
        created = created + 1
      end
    end
  end
  table.insert(results, created)
end
return {results, leased}
"""

CLAIM = _GATE + """
local prefix, now, max_claim, scan = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local L = {lease_ms = tonumber(ARGV[5]), defer_ms = tonumber(ARGV[6]), cap = tonumber(ARGV[7]),
           rate = tonumber(ARGV[8]), burst = tonumber(ARGV[9]), threshold = tonumber(ARGV[10])}
local token_prefix = ARGV[11]
local due_key = prefix .. 'due'
local out = {}
local ids = redis.call('ZRANGEBYSCORE', due_key, '-inf', now, 'LIMIT', 0, scan)
for i, id in ipairs(ids) do
  if #out >= max_claim then break end
  local dest = redis.call('HGET', prefix .. 'dlv:' .. id, 'dest')
  if not dest then
    redis.call('ZREM', due_key, id)
  else
    local verdict = gate(prefix, dest, now, L)
    if verdict == 'go' then
      local token = token_prefix .. ':' .. i
      table.insert(out, claimed_row(prefix, id, token, lease(prefix, id, dest, now, L.lease_ms, token, 'due'), dest))
    elseif verdict == 'park' then
      -- at its concurrency cap: park it in the destination's queue; a finishing attempt releases it
      redis.call('ZREM', due_key, id)
      redis.call('ZADD', prefix .. 'wait:' .. dest, now, id)
    else
      redis.call('ZADD', due_key, verdict, id)
    end
  end
end
return out
"""

FINISH = _GATE + """
-- ARGV: prefix, breaker threshold, breaker cooldown (ms), JSON [[id, token, now, outcome, next_ms,
--        attempt_json, breaker, status_code, error, handoff], ...], retention of finished deliveries (s),
--        token prefix, cap, rate, burst, defer_ms, lease_ms
-- Returns {per entry: 0 lease lost, 1 stored, 2 stored and a delivery made due (wake the claimers),
--          the deliveries handed over: {entry index, claimed row...}}.
-- A finishing attempt frees a slot of its destination; with `handoff` = '1' (the worker keeps the slot
-- busy) and nothing else due, the next parked delivery of that destination is leased to the same
-- worker at once.
local prefix, threshold, cooldown_ms = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local retention_s, token_prefix = tonumber(ARGV[5]), ARGV[6]
local L = {cap = tonumber(ARGV[7]), rate = tonumber(ARGV[8]), burst = tonumber(ARGV[9]), threshold = threshold,
           defer_ms = tonumber(ARGV[10]), lease_ms = tonumber(ARGV[11])}
local results, handed = {}, {}
for i, e in ipairs(cjson.decode(ARGV[4])) do
  local id, token, now, outcome, next_ms, attempt_json, breaker, code, err, handoff =
    e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8], e[9], e[10]
  local dkey = prefix .. 'dlv:' .. id
  local held = redis.call('HMGET', dkey, 'lease', 'dest')
  if held[1] ~= token then
    table.insert(results, 0)
  else
    local made_due = false
    local dest = held[2]
    if outcome == 'retry' then
      redis.call('HSET', dkey, 'lease', '', 'status', 'pending', 'next_ms', next_ms, 'last_code', code,
                 'last_error', err, 'updated_ms', now)
    else
      redis.call('HSET', dkey, 'lease', '', 'status', outcome, 'next_ms', '', 'last_code', code,
                 'last_error', err, 'updated_ms', now, 'manual', '0')
    end
    redis.call('RPUSH', dkey .. ':att', attempt_json)
    if outcome ~= 'retry' then
      -- finished deliveries are kept for the retention period (redelivery makes them permanent again)
      redis.call('EXPIRE', dkey, retention_s)
      redis.call('EXPIRE', dkey .. ':att', retention_s)
    end
    redis.call('ZREM', prefix .. 'leases', id)
    local skey = prefix .. 'dest:' .. dest
    if breaker == 'ok' then
      if redis.call('HGET', skey, 'fails') ~= '0' then
        redis.call('HSET', skey, 'fails', '0', 'open_until', '0', 'probe_until', '0')
      end
    elseif breaker == 'fail' then
      local fails = redis.call('HINCRBY', skey, 'fails', 1)
      if fails >= threshold then
        redis.call('HSET', skey, 'open_until', tostring(tonumber(now) + cooldown_ms), 'probe_until', '0')
      end
    end
    -- a slot is free again: release one parked delivery of this destination (unconditionally, so a
    -- slot that expired on its own can never leave a parked delivery stranded)
    redis.call('ZREM', prefix .. 'slots:' .. dest, id)
    local waiting = redis.call('ZPOPMIN', prefix .. 'wait:' .. dest)
    if waiting[1] then
      local next_id = waiting[1]
      local verdict = tonumber(now)
      -- hand over only while nothing else is due: otherwise the parked delivery queues in `due`
      -- behind what waits there, so a destination with a long backlog cannot keep worker slots
      -- from other destinations
      if handoff == '1' and #redis.call('ZRANGEBYSCORE', prefix .. 'due', '-inf', now, 'LIMIT', 0, 1) == 0 then
        verdict = gate(prefix, dest, tonumber(now), L, true)
      end
      if verdict == 'go' then
        local next_token = token_prefix .. ':' .. i
        local row = claimed_row(prefix, next_id, next_token,
                                lease(prefix, next_id, dest, tonumber(now), L.lease_ms, next_token, 'wait'), dest)
        table.insert(row, 1, i)
        table.insert(handed, row)
      elseif verdict == 'park' then
        redis.call('ZADD', prefix .. 'wait:' .. dest, waiting[2], next_id)
      else
        redis.call('ZADD', prefix .. 'due', verdict, next_id)
        made_due = true
      end
    end
    if outcome == 'retry' then
      redis.call('ZADD', prefix .. 'due', next_ms, id)
      made_due = true
    end
    table.insert(results, made_due and 2 or 1)
  end
end
return {results, handed}
"""

REAP = """
local prefix, now, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', prefix .. 'leases', '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
  local dkey = prefix .. 'dlv:' .. id
  local dest = redis.call('HGET', dkey, 'dest')
  local attempt = redis.call('HGET', dkey, 'attempts')
  redis.call('HSET', dkey, 'lease', '', 'last_error', 'worker_lost', 'updated_ms', now)
  redis.call('RPUSH', dkey .. ':att', cjson.encode({attempt = tonumber(attempt), at_ms = tonumber(now),
    error = 'worker_lost: the attempt did not finish within its lease; retried', trigger = 'lease'}))
  redis.call('ZREM', prefix .. 'leases', id)
  if dest then
    redis.call('ZREM', prefix .. 'slots:' .. dest, id)
    local waiting = redis.call('ZPOPMIN', prefix .. 'wait:' .. dest)
    if waiting[1] then redis.call('ZADD', prefix .. 'due', now, waiting[1]) end
  end
  redis.call('ZADD', prefix .. 'due', now, id)
end
return #ids
"""

REDELIVER = """
local prefix, id, now = ARGV[1], ARGV[2], ARGV[3]
local dkey = prefix .. 'dlv:' .. id
local f = redis.call('HMGET', dkey, 'status', 'lease')
if not f[1] then return 'missing' end
if f[2] and f[2] ~= '' then return 'in_flight' end
if f[1] == 'pending' then
  redis.call('ZADD', prefix .. 'due', now, id)
  redis.call('HSET', dkey, 'next_ms', now)
  return 'pending'
end
redis.call('HSET', dkey, 'status', 'pending', 'manual', '1', 'next_ms', now, 'updated_ms', now)
redis.call('PERSIST', dkey)
redis.call('PERSIST', dkey .. ':att')
redis.call('ZADD', prefix .. 'due', now, id)
return 'requeued'
"""
