-- Counts one more open socket of a member, refusing past the limit. Writes
-- only into an existing hash, so an ended room is never brought back.
-- KEYS[1] room hash; ARGV[1] member_id; ARGV[2] max sockets; ARGV[3] channel; ARGV[4] signal.
-- Returns the new count, -1 when the room is gone, -2 at the limit.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local field = 'online:' .. ARGV[1]
local n = redis.call('HINCRBY', KEYS[1], field, 1)
if n > tonumber(ARGV[2]) then
  redis.call('HINCRBY', KEYS[1], field, -1)
  return -2
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return n
