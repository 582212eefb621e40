-- Deletes every key of a room and announces it, in one step.
-- KEYS[1] room hash, KEYS[2] message list, KEYS[3] nonce hash; ARGV[1] channel;
-- ARGV[2] signal. Returns 1, or 0 when the room was already gone.
local existed = redis.call('EXISTS', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if existed == 0 then return 0 end
redis.call('SPUBLISH', ARGV[1], ARGV[2])
return 1
