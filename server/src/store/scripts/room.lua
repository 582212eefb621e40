-- Reads a room and its time left in one step.
-- KEYS[1] room hash. Returns {pttl, field, value, ...}, or -1 when gone.
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return -1 end
local fields = redis.call('HGETALL', KEYS[1])
table.insert(fields, 1, ttl)
return fields
