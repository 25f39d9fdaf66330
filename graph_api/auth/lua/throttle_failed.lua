-- The failures counted in advance are confirmed: their delays start now (Redis's clock).
-- KEYS: username failures, address failures, index. ARGV: window ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HSET', KEYS[i], 'last', now)
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[1]))
    redis.call('ZADD', KEYS[3], now, KEYS[i])
  end
end
return 0
