import { createHash, timingSafeEqual } from "node:crypto";

/** The wanted secret's digest, made once per secret rather than once per check. */
let wanted: { secret: string; digest: Buffer } | undefined;

/** Whether `given` is `secret`, compared in constant time: digests of equal length, whatever the lengths. */
export function secretMatches(given: string, secret: string): boolean {
  if (wanted?.secret !== secret) wanted = { secret, digest: sha256(secret) };
  return timingSafeEqual(sha256(given), wanted.digest);
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
