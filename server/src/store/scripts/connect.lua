-- Takes a lease on one more open socket of a member, refusing past the
-- limit. A socket's lease is a hash field `sock:<member_id>:<socket_id>` =
-- deadline (ms, Redis clock), renewed while the socket lives and deleted
-- when it closes; a lease whose deletion was lost (a Redis blip, a crashed
-- instance) lapses instead of holding the seat's sockets for ever.
-- Writes only into an existing hash, so an ended room is never brought back.
-- KEYS[1] room hash; ARGV[1] member_id; ARGV[2] max sockets; ARGV[3] channel;
-- ARGV[4] signal; ARGV[5] socket_id; ARGV[6] lease ms.
-- Returns the member's live sockets, -1 when the room is gone, -2 at the limit.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix = 'sock:' .. ARGV[1] .. ':'
local live = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local f = fields[i]
  if string.sub(f, 1, #prefix) == prefix then
    if tonumber(fields[i + 1]) <= now then
      redis.call('HDEL', KEYS[1], f)
    else
      live = live + 1
    end
  end
end
if live >= tonumber(ARGV[2]) then return -2 end
redis.call('HSET', KEYS[1], prefix .. ARGV[5], now + tonumber(ARGV[6]))
redis.call('SPUBLISH', ARGV[3], ARGV[4])
return live + 1
