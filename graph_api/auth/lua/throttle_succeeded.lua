-- A right password: the username's failures end, the address gives back the one failure
-- counted in advance, and this address becomes a known client of the user for a while.
-- KEYS: username failures, address failures, known client, index. ARGV: known client ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[4], KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 and redis.call('HINCRBY', KEYS[2], 'count', -1) <= 0 then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[4], KEYS[2])
end
redis.call('SET', KEYS[3], now, 'PX', tonumber(ARGV[1]))
return 0
