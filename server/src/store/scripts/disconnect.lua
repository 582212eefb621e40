-- Counts one open socket of a member less.
-- KEYS[1] room hash; ARGV[1] member_id; ARGV[2] channel; ARGV[3] signal.
-- Returns the new count, or -1 when the room is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local field = 'online:' .. ARGV[1]
local n = redis.call('HINCRBY', KEYS[1], field, -1)
if n <= 0 then redis.call('HDEL', KEYS[1], field) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return n
