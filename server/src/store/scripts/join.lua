-- Takes seat 2 if it is free: the check and the write are one step, so of
-- any number of concurrent joins exactly one wins.
-- KEYS[1] room hash; ARGV[1] member record (JSON); ARGV[2] channel; ARGV[3] signal.
-- Returns the room's PTTL, -1 when the room is gone, -2 when it is full.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'm2') == 1 then return -2 end
redis.call('HSET', KEYS[1], 'm2', ARGV[1])
redis.call('SPUBLISH', ARGV[2], ARGV[3])
return redis.call('PTTL', KEYS[1])
