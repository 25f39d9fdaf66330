-- Every live entry with at least its free failures, for administrators, and Redis's clock.
-- KEYS: index. ARGV: free per username, free per address, window ms
-- Returns {now ms, kind, label, failures, first ms, last ms, kind, label, ...}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local found = {now}
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[3]), '+inf')) do
  local e = redis.call('HMGET', key, 'kind', 'label', 'count', 'first', 'last')
  if e[1] then
    local free = tonumber(e[1] == 'address' and ARGV[2] or ARGV[1])
    if tonumber(e[3]) >= free then
      for i = 1, 5 do found[#found + 1] = e[i] end
    end
  end
end
return found
