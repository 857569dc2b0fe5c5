import { localDist } from "../../src/dist/local.js";
import type { Dist, DistFactory } from "../../src/index.js";

/**
 * The local Dist with every answer arriving after a random delay (0-`maxDelayMs` ms, so replies can
 * overtake one another), or never, or as a failure: how a remote Dist behaves, for the core's
 * ordering, deadline and fault rules.
 */
export function delayedDist(
  behaviour: { maxDelayMs?: number; fail?: boolean; hang?: boolean } = {},
): DistFactory {
  const local = localDist();
  const later = <T>(value: T): Promise<T> =>
    new Promise((resolve, reject) => {
      if (behaviour.hang) return;
      setTimeout(
        () => (behaviour.fail ? reject(new Error("dist failure for the test")) : resolve(value)),
        Math.random() * (behaviour.maxDelayMs ?? 3),
      );
    });
  const dist: Dist = {
    claim: (channel, sessionId) => later(local.claim(channel, sessionId) as boolean),
    release: () => later(undefined),
    send: () => later("not_found" as const),
    subscribe: () => later(undefined),
    unsubscribe: () => later(undefined),
    publish: () => later(undefined),
    close: async () => undefined,
  };
  return () => dist;
}
