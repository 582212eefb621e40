-- Creates a room with its creator in seat 1, under the room's TTL.
-- KEYS[1] room hash; ARGV[1] creator record (JSON); ARGV[2] TTL in ms.
-- Returns 1, or 0 when the id is taken.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'm1', ARGV[1], 'seq', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
