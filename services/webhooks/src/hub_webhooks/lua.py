"""The Lua scripts that change deliveries atomically (one script = one Redis transaction).

Keys are derived inside the scripts from the namespace prefix (ARGV[1]); the service does not
target Redis Cluster (all keys would need one hash tag).
"""

from __future__ import annotations

FAN_OUT = """
-- ARGV: prefix, ttl, now, dedupe ('1'/'0'), JSON [{event_id, deliveries: [{id, fields, indexes}]}]
local prefix, ttl, now, dedupe = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local results = {}
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
        redis.call('ZADD', prefix .. 'due', now, d.id)
        for _, idx in ipairs(d.indexes) do redis.call('ZADD', prefix .. idx, now, d.id) end
        created = created + 1
      end
    end
  end
  table.insert(results, created)
end
return results
"""

CLAIM = """
local prefix, now, max_claim, scan = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local lease_ms, defer_ms = tonumber(ARGV[5]), tonumber(ARGV[6])
local def_cap, def_rate, def_burst = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local threshold, token_prefix = tonumber(ARGV[10]), ARGV[11]
local due_key, leases_key = prefix .. 'due', prefix .. 'leases'
local out = {}
local claimed = 0
local ids = redis.call('ZRANGEBYSCORE', due_key, '-inf', now, 'LIMIT', 0, scan)
for i, id in ipairs(ids) do
  if claimed >= max_claim then break end
  local dkey = prefix .. 'dlv:' .. id
  local dest = redis.call('HGET', dkey, 'dest')
  if not dest then
    redis.call('ZREM', due_key, id)
  else
    local skey = prefix .. 'dest:' .. dest
    local st = redis.call('HMGET', skey, 'cap', 'rate', 'burst', 'tokens', 'ts', 'fails', 'open_until',
                          'probe_until')
    local cap = tonumber(st[1]) or def_cap
    local rate = tonumber(st[2]) or def_rate
    local burst = tonumber(st[3]) or def_burst
    local fails, open_until, probe_until = tonumber(st[6]) or 0, tonumber(st[7]) or 0, tonumber(st[8]) or 0
    local wait_until = 0
    local probe = false
    if open_until > now then
      wait_until = open_until
    elseif fails >= threshold then
      -- half-open: one probe at a time; the others look again shortly
      if probe_until > now then wait_until = now + defer_ms else probe = true end
    end
    local slots_key = prefix .. 'slots:' .. dest
    local parked = false
    if wait_until == 0 then
      local expired = redis.call('ZREMRANGEBYSCORE', slots_key, '-inf', now)
      for _ = 1, expired do
        local waiting = redis.call('ZPOPMIN', prefix .. 'wait:' .. dest)
        if waiting[1] then redis.call('ZADD', due_key, now, waiting[1]) end
      end
      if redis.call('ZCARD', slots_key) >= cap then
        -- at its concurrency cap: park it in the destination's queue; a finishing attempt releases it
        redis.call('ZREM', due_key, id)
        redis.call('ZADD', prefix .. 'wait:' .. dest, now, id)
        parked = true
      end
    end
    local tokens = burst
    if wait_until == 0 and rate > 0 then
      local ts = tonumber(st[5]) or now
      tokens = math.min(burst, (tonumber(st[4]) or burst) + (now - ts) * rate / 1000)
      if tokens < 1 then wait_until = now + math.ceil((1 - tokens) * 1000 / rate) end
    end
    if parked then
      -- nothing more to do
    elseif wait_until > 0 then
      redis.call('ZADD', due_key, wait_until, id)
    else
      if rate > 0 then redis.call('HSET', skey, 'tokens', tostring(tokens - 1), 'ts', tostring(now)) end
      if probe then redis.call('HSET', skey, 'probe_until', tostring(now + lease_ms)) end
      local token = token_prefix .. ':' .. i
      redis.call('ZREM', due_key, id)
      redis.call('ZADD', leases_key, now + lease_ms, id)
      redis.call('ZADD', slots_key, now + lease_ms, id)
      local attempt = redis.call('HINCRBY', dkey, 'attempts', 1)
      redis.call('HSET', dkey, 'lease', token)
      local f = redis.call('HMGET', dkey, 'url', 'msg_id', 'body', 'endpoint_id', 'account_id', 'manual',
                           'event_type')
      table.insert(out, {id, token, attempt, dest, f[1], f[2], f[3], f[4], f[5], f[6], f[7]})
      claimed = claimed + 1
    end
  end
end
return out
"""

FINISH = """
-- ARGV: prefix, breaker threshold, breaker cooldown (ms), JSON [[id, token, now, outcome, next_ms,
--        attempt_json, breaker, status_code, error], ...], retention of finished deliveries (s)
-- Returns 1 per stored outcome, 0 where the lease was lost.
local prefix, threshold, cooldown_ms = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local retention_s = tonumber(ARGV[5])
local results = {}
for _, e in ipairs(cjson.decode(ARGV[4])) do
  local id, token, now, outcome, next_ms, attempt_json, breaker, code, err =
    e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8], e[9]
  local dkey = prefix .. 'dlv:' .. id
  if redis.call('HGET', dkey, 'lease') ~= token then
    table.insert(results, 0)
  else
    local dest = redis.call('HGET', dkey, 'dest')
    local status = outcome
    if outcome == 'retry' then status = 'pending' end
    redis.call('HSET', dkey, 'lease', '', 'status', status, 'next_ms', outcome == 'retry' and next_ms or '',
               'last_code', code, 'last_error', err, 'updated_ms', now)
    if outcome ~= 'retry' then
      redis.call('HSET', dkey, 'manual', '0')
      -- finished deliveries are kept for the retention period (redelivery makes them permanent again)
      redis.call('EXPIRE', dkey, retention_s)
      redis.call('EXPIRE', dkey .. ':att', retention_s)
    end
    redis.call('RPUSH', dkey .. ':att', attempt_json)
    redis.call('ZREM', prefix .. 'leases', id)
    -- a slot is free again: release one parked delivery of this destination (unconditionally, so a
    -- slot that expired on its own can never leave a parked delivery stranded)
    redis.call('ZREM', prefix .. 'slots:' .. dest, id)
    local waiting = redis.call('ZPOPMIN', prefix .. 'wait:' .. dest)
    if waiting[1] then redis.call('ZADD', prefix .. 'due', now, waiting[1]) end
    if outcome == 'retry' then redis.call('ZADD', prefix .. 'due', next_ms, id) end
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
    table.insert(results, 1)
  end
end
return results
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
