import { Script } from "./scripts.js";

/**
 * Presence in Redis: a hash per channel (KEYS[1], `presence:{CH}`), a field per subscribed connection
 * (`nodeId/sessionId`) holding its key. Only the script that adds or removes a field publishes its notice on the
 * channel's pub/sub channel, as `0xB2 j|l FIELD \n KEY \n CHANNEL` (see notices.ts), so each join and leave goes
 * out once, whoever runs it.
 */

/**
 * ARGV: field, key, notify ("1"/"0"), pub/sub channel, PUBLISH or SPUBLISH, the channel's name. Returns 1 if it
 * added the entry.
 */
export const PRESENCE_JOIN = new Script(`
if redis.call("HSETNX", KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if ARGV[3] == "1" then redis.call(ARGV[5], ARGV[4], "\\178j" .. ARGV[1] .. "\\n" .. ARGV[2] .. "\\n" .. ARGV[6]) end
return 1`);

/** ARGV: field, notify, pub/sub channel, PUBLISH or SPUBLISH, the channel's name. Returns 1 if it removed the entry. */
export const PRESENCE_LEAVE = new Script(`
local key = redis.call("HGET", KEYS[1], ARGV[1])
if not key then return 0 end
redis.call("HDEL", KEYS[1], ARGV[1])
if ARGV[2] == "1" then redis.call(ARGV[4], ARGV[3], "\\178l" .. ARGV[1] .. "\\n" .. key .. "\\n" .. ARGV[5]) end
return 1`);

/** A dead node's entries: every field that starts with ARGV[1] (`nodeId/`). ARGV 2-4 as for a leave. */
export const PRESENCE_REAP = new Script(`
local all = redis.call("HGETALL", KEYS[1])
local removed = 0
for i = 1, #all, 2 do
  local field, key = all[i], all[i + 1]
  if string.sub(field, 1, #ARGV[1]) == ARGV[1] then
    redis.call("HDEL", KEYS[1], field)
    removed = removed + 1
    if ARGV[2] == "1" then redis.call(ARGV[4], ARGV[3], "\\178l" .. field .. "\\n" .. key .. "\\n" .. ARGV[5]) end
  end
end
return removed`);
