import { Script } from "./scripts.js";

/**
 * The channel's epoch and top, made anew (top 0, history dropped) when it has none, or when it was made under
 * another replication id of this Redis: a failover to a replica, a restart without persistence or a restore
 * gives the master a new one, and whatever the history held may have been lost or reordered.
 * KEYS[1] the channel's meta record (hash: epoch, top, replid), KEYS[2] its history (a list of node messages).
 */
const CURRENT = `
local function current(meta, hist, fresh, ttl)
  local replid = string.match(redis.call("INFO", "replication"), "master_replid:(%w+)") or ""
  local got = redis.call("HMGET", meta, "epoch", "top", "replid")
  if got[1] and got[3] == replid then return got[1], tonumber(got[2]) or 0 end
  redis.call("DEL", hist)
  redis.call("HSET", meta, "epoch", fresh, "top", "0", "replid", replid)
  redis.call("PEXPIRE", meta, ttl)
  return fresh, 0
end
`;

/**
 * Publishes on a channel with history, in one step: the next offsets, appended, trimmed to the size, the expiry
 * renewed, and published on the channel's pub/sub channel as `0xB1 FIRST-OFFSET \n EPOCH \n MESSAGES` (see
 * stamped.ts), so that offset order is the order every node receives them in. One call carries the publishes a
 * node made on the channel in one event-loop turn.
 * ARGV: size, ttl (ms), pub/sub channel, PUBLISH or SPUBLISH, a fresh epoch, what to publish (one node message, or
 * a batch of them: batches.ts), then each node message. Returns {epoch, offset of the first}.
 */
export const HISTORY_PUBLISH = new Script(`${CURRENT}
local epoch, top = current(KEYS[1], KEYS[2], ARGV[5], ARGV[2])
local first = string.format("%d", top + 1)
redis.call("HSET", KEYS[1], "top", string.format("%d", top + #ARGV - 6))
redis.call("RPUSH", KEYS[2], unpack(ARGV, 7))
redis.call("LTRIM", KEYS[2], -tonumber(ARGV[1]), -1)
redis.call("PEXPIRE", KEYS[1], ARGV[2])
redis.call("PEXPIRE", KEYS[2], ARGV[2])
redis.call(ARGV[4], ARGV[3], "\\177" .. first .. "\\n" .. epoch .. "\\n" .. ARGV[6])
return {epoch, first}`);

/** The channel's epoch and top (a new epoch when it has none). ARGV: a fresh epoch, ttl (ms). Returns {epoch, top}. */
export const HISTORY_POSITION = new Script(`${CURRENT}
local epoch, top = current(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
return {epoch, string.format("%d", top)}`);

/**
 * What History.read answers, read at one instant. ARGV: a fresh epoch, ttl (ms), limit, the offset to read after
 * ("" for the last `limit`), its epoch. Returns {epoch, top, complete (1/0), offset of the first entry, entries}.
 */
export const HISTORY_READ = new Script(`${CURRENT}
local epoch, top = current(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
local limit = tonumber(ARGV[3])
local first = top - redis.call("LLEN", KEYS[2]) + 1
local from, to
if ARGV[4] == "" then
  from = math.max(0, top - limit)
  to = top
else
  local after = tonumber(ARGV[4])
  if ARGV[5] ~= epoch or after > top then return {epoch, string.format("%d", top), 0, "0", {}} end
  from = after
  to = math.min(top, after + limit)
end
local start = math.max(from + 1, first)
local entries = {}
if to >= start then entries = redis.call("LRANGE", KEYS[2], start - first, to - first) end
local complete = 0
if start == from + 1 then complete = 1 end
return {epoch, string.format("%d", top), complete, string.format("%d", start), entries}`);
