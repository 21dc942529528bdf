"""The Lua scripts of a distributed crawl (crawler/distributed.py): each is one atomic step on the
shared queue, claims and leases, timed by the Redis server's clock (machines' clocks may differ).

Keys in a script's KEYS are the crawl's own (RedisKeys); the per-site page sets are named from
ARGV because their names depend on the site (fine on one Redis server, not on a Redis Cluster).
"""

from __future__ import annotations

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Queue one site unless some process seeded it before. KEYS: seeded, sites. ARGV: root, task.
SEED = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
"""

# Claim the next site with a lease. KEYS: sites, claims, leases. ARGV: worker, lease ms.
CLAIM = (
    _NOW
    + """
local raw = redis.call('LPOP', KEYS[1])
if not raw then return false end
local root = cjson.decode(raw)['root']
redis.call('HSET', KEYS[2], root, cjson.encode({worker = ARGV[1], task = raw, at = now}))
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), root)
return raw
"""
)

# Extend the leases of the sites this worker still holds; returns the roots it no longer holds.
# KEYS: claims, leases. ARGV: worker, lease ms, root...
RENEW = (
    _NOW
    + """
local lost = {}
for i = 3, #ARGV do
  local claim = redis.call('HGET', KEYS[1], ARGV[i])
  if claim and cjson.decode(claim)['worker'] == ARGV[1] then
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
"""
)

# A site's items are all handed over: it is done, whoever holds it now. If its lease had expired
# and it waits in the queue again, it leaves the queue. KEYS: claims, leases, done, sites,
# site-pages. ARGV: worker, root, task. Returns 1 when this worker still held the claim.
FINISH = """
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('LREM', KEYS[4], 0, ARGV[3])
local claim = redis.call('HGET', KEYS[1], ARGV[2])
if claim and cjson.decode(claim)['worker'] == ARGV[1] then
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('DEL', KEYS[5])
  return 1
end
return 0
"""

# Put one claimed site back at the head of the queue and forget its pages (shared by RELEASE and
# REAP). Needs locals: claims, leases, sites, done, pages (key names), pages_prefix, root.
_REQUEUE = """
local function requeue(claims, leases, sites, done, pages, pages_prefix, root)
  local claim = redis.call('HGET', claims, root)
  redis.call('HDEL', claims, root)
  redis.call('ZREM', leases, root)
  local site_pages = pages_prefix .. root
  local fingerprints = redis.call('SMEMBERS', site_pages)
  for i = 1, #fingerprints, 500 do
    redis.call('SREM', pages, unpack(fingerprints, i, math.min(i + 499, #fingerprints)))
  end
  redis.call('DEL', site_pages)
  if claim and redis.call('SISMEMBER', done, root) == 0 then
    redis.call('LPUSH', sites, cjson.decode(claim)['task'])
    return 1
  end
  return 0
end
"""

# Give back the sites this worker holds (graceful stop). KEYS: claims, leases, sites, done, pages.
# ARGV: worker, site-pages prefix, root...
RELEASE = (
    _REQUEUE
    + """
local released = 0
for i = 3, #ARGV do
  local claim = redis.call('HGET', KEYS[1], ARGV[i])
  if claim and cjson.decode(claim)['worker'] == ARGV[1] then
    released = released + requeue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[2], ARGV[i])
  end
end
return released
"""
)

# Re-queue every site whose lease has expired (its worker died or lost Redis). Any worker runs
# it. KEYS: claims, leases, sites, done, pages, reaped counter. ARGV: site-pages prefix.
REAP = (
    _NOW
    + _REQUEUE
    + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, root in ipairs(expired) do
  requeue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], root)
end
if #expired > 0 then redis.call('INCRBY', KEYS[6], #expired) end
return expired
"""
)

# A page is new to the whole crawl: add its fingerprint, and remember it under its site so a
# re-queued site forgets it. KEYS: pages, site-pages. ARGV: fingerprint. Returns 1 when new.
FIRST_SIGHTING = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[2], ARGV[1])
  return 1
end
return 0
"""

# Live leases left: expired ones do not count (they are about to be reaped). KEYS: leases.
LIVE_LEASES = (
    _NOW
    + """
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""
)
