-- Gives back an open socket's lease (see connect.lua).
-- KEYS[1] room hash; ARGV[1] member_id; ARGV[2] channel; ARGV[3] signal;
-- ARGV[4] socket_id. Returns 1, or -1 when the room is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HDEL', KEYS[1], 'sock:' .. ARGV[1] .. ':' .. ARGV[4])
redis.call('SPUBLISH', ARGV[2], ARGV[3])
return 1
