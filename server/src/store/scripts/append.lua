-- Appends a message under the room's limit, gives the list the room's TTL
-- and announces the message, all in one step so ids follow list order.
-- KEYS[1] room hash, KEYS[2] message list.
-- ARGV[1] member_id, ARGV[2] name, ARGV[3] body (each a JSON string literal),
-- ARGV[4] max messages, ARGV[5] channel, ARGV[6] nonce member ('' or ',"nonce":"..."').
-- Returns the message JSON, -1 when the room is gone, -2 at the limit.
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return -1 end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[4]) then return -2 end
local id = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local msg = '{"id":' .. string.format('%d', id) .. ',"member_id":' .. ARGV[1] .. ',"name":' .. ARGV[2]
  .. ',"body":' .. ARGV[3] .. ',"sent_at_ms":' .. now .. '}'
redis.call('RPUSH', KEYS[2], msg)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PUBLISH', ARGV[5], '{"type":"message","message":' .. msg .. ARGV[6] .. '}')
return msg
