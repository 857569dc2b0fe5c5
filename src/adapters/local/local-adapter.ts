import type { Adapter, AdapterContext, AdapterHealth } from "../../core/seam.js";
import { LocalHistory } from "./local-history.js";

const HEALTHY: AdapterHealth = { fields: { dist: "local" } };

/** One node, no peers: the local registry is the whole truth, so nothing crosses machines. */
export function localAdapter({ events }: Pick<AdapterContext, "events">): Adapter {
  const history = new LocalHistory((delivery) => events.publication(delivery));
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
    history,
    health: () => HEALTHY,
    close: async () => history.close(),
  };
}
