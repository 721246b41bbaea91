"""The scripts ``RedisStore`` runs inside Redis, each atomic because Redis runs a script alone.

``MemoryStore`` (``bot.memory_store``) keeps the same rules in-process; the tests hold the two to one
contract.
"""

# Token bucket, atomic because Redis runs a script alone. Redis's own clock is used so replicas with
# drifting clocks share one bucket fairly. A take with a reserve (ARGV[3]) only succeeds while more than
# that many tokens are left: work that may be shed (automatic replies) never spends the last ones. The wait is returned as a string: Lua numbers would be
# truncated to integers on the way out. An idle bucket refills completely within ``per`` seconds,
# after which it is indistinguishable from a missing one, so it expires then.
TOKEN_BUCKET_LUA = """
local capacity = tonumber(ARGV[1])
local per_second = capacity / tonumber(ARGV[2])
local reserve = tonumber(ARGV[3] or '0')
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_second)
local wait = 0
if tokens >= 1 + reserve then
  tokens = tokens - 1
else
  wait = (1 + reserve - tokens) / per_second
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
return tostring(wait)
"""


# Ledger (feedback, declined questions): four keys per ledger, written together by one script so a
# reader never sees a member's time without its value. <name>:at is a sorted set (member -> wall-clock
# time of its last write), <name>:val and <name>:n hashes (member -> value, member -> count). Members
# older than the retention are dropped, then the oldest beyond the cap; every key expires with the
# retention, so an idle ledger disappears by itself.
#
# Rankings (what /innov stats and the Home tab show) are kept beside, so that reading the top of one
# never reads the whole ledger. A member written with a tally (ARGV[7], JSON {s: scope, i: item, c:
# {counter: n}, r: rank counter, note?}) adds its counts to its item's record in <name>:items:<scope>
# (item -> JSON {v: latest value, at, m: members, c: {counter: total}, note, nm: the note's member}), and
# the item's total of its rank counter (plus at / 1e10, so the most recent of equal totals comes first)
# is its score in the sorted set <name>:rank:<scope> (only items whose total is above 0). <name>:t keeps
# each member's tally, so rewriting, replacing or dropping a member first takes its counts back out. In
# count mode the member's count is its counter "count". (The scoped keys are named from ARGV[8], the
# ledger's key prefix, because a member's earlier scope is only known once its tally is read: this
# needs a single Redis, as innov uses, not Redis Cluster.)
LEDGER_PUT_LUA = """
local member, at = ARGV[1], tonumber(ARGV[3])
local retention, cap = tonumber(ARGV[4]), tonumber(ARGV[5])
local scoped = ARGV[8]

local function rescore(scope, item, it, rank)
  local total = it.c[rank] or 0
  if total > 0 then
    redis.call('ZADD', scoped .. 'rank:' .. scope, total + it.at / 1e10, item)
  else
    redis.call('ZREM', scoped .. 'rank:' .. scope, item)
  end
end

local function untally(m)
  local raw = redis.call('HGET', KEYS[4], m)
  if not raw then return end
  redis.call('HDEL', KEYS[4], m)
  local part = cjson.decode(raw)
  local items = scoped .. 'items:' .. part.s
  local found = redis.call('HGET', items, part.i)
  if not found then return end
  local it = cjson.decode(found)
  it.m = it.m - 1
  if it.m <= 0 then
    redis.call('HDEL', items, part.i)
    redis.call('ZREM', scoped .. 'rank:' .. part.s, part.i)
    return
  end
  for name, n in pairs(part.c) do it.c[name] = (it.c[name] or 0) - n end
  if it.nm == m then
    it.note = nil
    it.nm = nil
  end
  redis.call('HSET', items, part.i, cjson.encode(it))
  rescore(part.s, part.i, it, part.r)
end

local function tally(m, part, value)
  local items = scoped .. 'items:' .. part.s
  local found = redis.call('HGET', items, part.i)
  local it = found and cjson.decode(found) or {m = 0, c = {}}
  it.m = it.m + 1
  for name, n in pairs(part.c) do it.c[name] = (it.c[name] or 0) + n end
  it.v = value
  it.at = at
  if part.note then
    it.note = part.note
    it.nm = m
  end
  redis.call('HSET', items, part.i, cjson.encode(it))
  rescore(part.s, part.i, it, part.r)
  redis.call('HSET', KEYS[4], m, cjson.encode(part))
  redis.call('EXPIRE', items, retention)
  redis.call('EXPIRE', scoped .. 'rank:' .. part.s, retention)
end

untally(member)
redis.call('ZADD', KEYS[1], at, member)
redis.call('HSET', KEYS[2], member, ARGV[2])
local n
if ARGV[6] == '1' then
  n = redis.call('HINCRBY', KEYS[3], member, 1)
else
  redis.call('HSETNX', KEYS[3], member, 1)
  n = tonumber(redis.call('HGET', KEYS[3], member))
end
if ARGV[7] ~= '' then
  local part = cjson.decode(ARGV[7])
  if ARGV[6] == '1' then part.c['count'] = n end
  tally(member, part, ARGV[2])
end
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. tostring(at - retention))
local size = redis.call('ZCARD', KEYS[1]) - #gone
if size > cap then
  local over = redis.call('ZRANGE', KEYS[1], 0, size - cap - 1 + #gone)
  gone = over
end
for _, old in ipairs(gone) do
  untally(old)
  redis.call('ZREM', KEYS[1], old)
  redis.call('HDEL', KEYS[2], old)
  redis.call('HDEL', KEYS[3], old)
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], retention) end
return n
"""


# ``next_fleet_version`` in Redis, atomic: KEYS[1] the record (JSON), KEYS[2] the history (sorted set:
# version -> the generation it was recorded at). ARGV: version, force, known, built here, history cap.
# Returns {version, generation, what the record held for a generation when that was no whole number (read
# as 0, as a missing one is; "" when it was fine)}.
VERSION_LUA = """
local raw = redis.call('GET', KEYS[1])
local current, generation, bad = false, 0, ''
if raw then
  local ok, record = pcall(cjson.decode, raw)
  if ok and type(record) == 'table' and type(record.version) == 'string' then
    current = record.version
    local g = tonumber(record.generation)
    if g and g >= 0 and g < 1e14 and g == math.floor(g) then
      generation = g
    elseif record.generation ~= nil then
      bad = string.sub(tostring(record.generation), 1, 40)
    end
  else
    current = raw
  end
end
local version, known = ARGV[1], tonumber(ARGV[3])
if current == version and not (bad ~= '' and ARGV[2] == '1') then
  return {current, tostring(generation), bad}  -- (a reload of the same version mends a bad generation)
end
local takes = ARGV[2] == '1' or not current or known > generation
if not takes and ARGV[4] == '1' then
  takes = not redis.call('ZSCORE', KEYS[2], version)
end
if not takes then
  return {current, tostring(generation), bad}
end
local top = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local newest = tonumber(top[2]) or 0
generation = math.max(generation, newest, known) + 1
redis.call('SET', KEYS[1], cjson.encode({version = version, generation = generation}))
redis.call('ZADD', KEYS[2], generation, version)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -1 - tonumber(ARGV[5]))
return {version, tostring(generation), bad}
"""


# A claim that can be retried safely: the first attempt may have been applied by Redis after our read
# timed out, so a retry that finds our own token there has still won. Returns 1 when ``token`` owns the key.
CLAIM_LUA = """
local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return 1
end
if owner == ARGV[1] then
  return 1
end
return 0
"""
