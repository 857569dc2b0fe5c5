import { localAdapter } from "../../src/adapters/local/local-adapter.js";
import type { Adapter, AdapterFactory } from "../../src/index.js";

/**
 * The local adapter with every answer arriving after a random delay (0-`maxDelayMs` ms, so replies can
 * overtake one another), or never, or as a failure (`fail`: that error, or a plain one when true): how a remote
 * adapter behaves, for the core's ordering, deadline and fault rules.
 */
export function delayedAdapter(
  behaviour: { maxDelayMs?: number; fail?: boolean | Error; hang?: boolean } = {},
): AdapterFactory {
  const { fail } = behaviour;
  const failure = fail instanceof Error ? fail : new Error("adapter failure for the test");
  const later = <T>(value: T): Promise<T> =>
    new Promise((resolve, reject) => {
      if (behaviour.hang) return;
      setTimeout(
        () => (fail ? reject(failure) : resolve(value)),
        Math.random() * (behaviour.maxDelayMs ?? 3),
      );
    });
  return (context) => {
    const local = localAdapter(context);
    const adapter: Adapter = {
      ...local,
      registry: {
        ...local.registry,
        claim: () => later(true),
        release: () => later(undefined),
        ownerOf: () => later(undefined),
      },
      backplane: {
        ...local.backplane,
        subscribe: () => later(undefined),
        unsubscribe: () => later(undefined),
        publish: () => later(undefined),
      },
    };
    return adapter;
  };
}
