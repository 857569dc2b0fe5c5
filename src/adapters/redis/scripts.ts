import { createHash } from "node:crypto";
import type { RedisArgument, RedisLink } from "./link.js";

/** A Lua script, run by its SHA1 (EVALSHA) once Redis has it. */
export class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  /**
   * Runs it on the Redis that holds `keys[0]`. EVALSHA first; a NOSCRIPT (a new or restarted Redis) means it did not
   * run, so the source is sent once.
   */
  async run(
    link: RedisLink,
    keys: readonly string[],
    args: readonly RedisArgument[],
    bytes = false,
  ): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await link.command(keys[0] as string, ["EVALSHA", this.sha, ...tail], bytes);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return link.command(keys[0] as string, ["EVAL", this.source, ...tail], bytes);
    }
  }
}

/** Deletes KEYS[1] only if it still holds ARGV[1]: a release that cannot remove someone else's claim. */
export const COMPARE_AND_DELETE = new Script(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`);

/**
 * Sets KEYS[1] to ARGV[2] with an expiry of ARGV[3] ms only if it still holds ARGV[1]: a takeover that loses to any
 * other change.
 */
export const COMPARE_AND_SET = new Script(`
if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3]) return 1 end
return 0`);

/**
 * Keeps an owner record: KEYS[1] holding ARGV[1] gets its expiry (ARGV[2] ms) renewed; holding one of ARGV[3..]
 * (this owner under an incarnation its node has left), it is moved to ARGV[1]. Missing or anyone else's: 0, the
 * registration is lost. A missing record is never written back: Redis may have lost it, or another owner may have
 * held the channel and let it go meanwhile, and nothing tells the two apart.
 */
export const RENEW_OWNER = new Script(`
local held = redis.call("GET", KEYS[1])
if held == ARGV[1] then redis.call("PEXPIRE", KEYS[1], ARGV[2]) return 1 end
if not held then return 0 end
for i = 3, #ARGV do
  if held == ARGV[i] then redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1 end
end
return 0`);

/**
 * Writes a node's heartbeat record KEYS[1] (ARGV[2], expiring in ARGV[3] ms) with ARGV[4] "NX" (a new incarnation)
 * or "XX" (a renewal, which never brings an expired record back), and on success scores node ARGV[1] in the registry
 * KEYS[2] by its expiry on Redis's clock, forgetting nodes whose records expired a minute ago.
 */
export const HEARTBEAT = new Script(`
if not redis.call("SET", KEYS[1], ARGV[2], ARGV[4], "PX", ARGV[3]) then return 0 end
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call("ZADD", KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now - 60000)
return 1`);

/** A node leaves: its heartbeat record KEYS[1] and its registry entry ARGV[1] in KEYS[2] go. */
export const LEAVE = new Script(`
redis.call("DEL", KEYS[1])
redis.call("ZREM", KEYS[2], ARGV[1])
return 1`);
