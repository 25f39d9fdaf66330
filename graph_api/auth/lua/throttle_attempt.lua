-- One sign-in attempt, checked and counted in one step on Redis's own clock, before the
-- password is checked: refused (nothing counted) while a delay runs, else counted as failed
-- until proven right. Returns {wait in ms, the username's failures, the address's failures}.
-- KEYS: username failures, address failures, known client (this user from this address), index
-- ARGV: free per username, free per address, window ms, max delay ms, known clients pass (1/0),
--       username label, address label, most entries the index keeps
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, max_delay = tonumber(ARGV[3]), tonumber(ARGV[4])

local function wait(key, free)
  local entry = redis.call('HMGET', key, 'count', 'last')
  if not entry[1] then return 0 end
  local count = tonumber(entry[1])
  if count < free then return 0 end
  local delay = math.min(max_delay, 1000 * 2 ^ math.min(count - free, 30))
  return math.max(0, tonumber(entry[2]) + delay - now)
end

local waiting = wait(KEYS[2], tonumber(ARGV[2]))
if not (ARGV[5] == '1' and redis.call('EXISTS', KEYS[3]) == 1) then
  waiting = math.max(waiting, wait(KEYS[1], tonumber(ARGV[1])))
end
if waiting > 0 then return {math.ceil(waiting), 0, 0} end

local function count(key, kind, label)
  local n = redis.call('HINCRBY', key, 'count', 1)
  if n == 1 then redis.call('HSET', key, 'first', now, 'kind', kind, 'label', label) end
  redis.call('HSET', key, 'last', now)
  redis.call('PEXPIRE', key, window)
  redis.call('ZADD', KEYS[4], now, key)
  return n
end
local user_failures = count(KEYS[1], 'username', ARGV[6])
local address_failures = count(KEYS[2], 'address', ARGV[7])

-- The index lists live entries for administrators: what expired leaves it, and past its size
-- the entries whose latest failure is oldest are forgotten (a spray of usernames stays bounded).
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - window)
local excess = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[8])
if excess > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[4], 0, excess - 1)) do redis.call('DEL', old) end
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, excess - 1)
end
return {0, user_failures, address_failures}
