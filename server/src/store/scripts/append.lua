-- Appends a message under the room's limit, gives the list the room's TTL
-- and announces the message, all in one step so ids follow list order.
-- A send that names a nonce the same member used before is a retry (its
-- answer was lost): it gets the stored message back, and nothing is stored
-- or announced again.
-- KEYS[1] room hash, KEYS[2] message list, KEYS[3] nonce hash.
-- ARGV[1] member_id, ARGV[2] name, ARGV[3] body (each a JSON string literal),
-- ARGV[4] max messages, ARGV[5] channel, ARGV[6] nonce member ('' or ',"nonce":"..."'),
-- ARGV[7] nonce field ('' or '<member_id>:<nonce>').
-- Returns {id, sent_at_ms} of a new message (the server has the rest of
-- it), {message JSON} of a retry's stored message, -1 when the room is gone,
-- -2 at the limit.
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return -1 end
if ARGV[7] ~= '' then
  local prior = redis.call('HGET', KEYS[3], ARGV[7])
  if prior then return {redis.call('LINDEX', KEYS[2], tonumber(prior) - 1)} end
end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[4]) then return -2 end
local id = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local msg = '{"id":' .. string.format('%d', id) .. ',"member_id":' .. ARGV[1] .. ',"name":' .. ARGV[2]
  .. ',"body":' .. ARGV[3] .. ',"sent_at_ms":' .. now .. '}'
redis.call('RPUSH', KEYS[2], msg)
redis.call('PEXPIRE', KEYS[2], ttl)
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[7], id)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
redis.call('SPUBLISH', ARGV[5], '{"type":"message","message":' .. msg .. ARGV[6] .. '}')
return {id, tonumber(now)}
