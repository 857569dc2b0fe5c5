/** Deletes KEYS[1] only if it still holds ARGV[1]: a release that cannot remove someone else's claim. */
export const COMPARE_AND_DELETE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`;

/** Sets KEYS[1] to ARGV[2] only if it still holds ARGV[1]: a takeover that loses to any other change. */
export const COMPARE_AND_SET = `
if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("SET", KEYS[1], ARGV[2]) return 1 end
return 0`;
