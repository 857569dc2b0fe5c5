import type { Adapter, AdapterHealth } from "../../core/seam.js";

const HEALTHY: AdapterHealth = { fields: { dist: "local" } };

/** One node, no peers: the local registry is the whole truth, so nothing crosses machines. */
export function localAdapter(): Adapter {
  return {
    registry: {
      nodeId: "local",
      claim: () => true,
      release: () => undefined,
      ownerOf: () => undefined,
      isAlive: () => true,
      mayDeliver: () => true,
    },
    backplane: {
      subscribe: () => undefined,
      unsubscribe: () => undefined,
      publish: () => undefined,
      direct: () => false,
    },
    health: () => HEALTHY,
    close: async () => undefined,
  };
}
