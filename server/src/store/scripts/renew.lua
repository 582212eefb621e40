-- Extends an open socket's lease (see connect.lua); puts it back if it had
-- lapsed while the socket was still open.
-- KEYS[1] room hash; ARGV[1] member_id; ARGV[2] socket_id; ARGV[3] lease ms.
-- Returns 1, or -1 when the room is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'sock:' .. ARGV[1] .. ':' .. ARGV[2], now + tonumber(ARGV[3]))
return 1
