-- Reads a room, its time left and the Redis clock in one step (the clock
-- tells live socket leases from lapsed ones).
-- KEYS[1] room hash. Returns {pttl, now_ms, field, value, ...}, or -1 when gone.
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return -1 end
local t = redis.call('TIME')
local fields = redis.call('HGETALL', KEYS[1])
table.insert(fields, 1, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
table.insert(fields, 1, ttl)
return fields
