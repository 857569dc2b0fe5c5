import type { Dist, DistHealth } from "./dist.js";

const HEALTHY: DistHealth = { fields: { dist: "local" } };

/** One node, no peers: the local registry is the whole truth, so there is nothing to carry. */
export function localDist(): Dist {
  return {
    claim: () => true,
    release: () => undefined,
    send: () => "not_found",
    subscribe: () => undefined,
    unsubscribe: () => undefined,
    publish: () => undefined,
    close: async () => undefined,
    health: () => HEALTHY,
  };
}
