import type { Adapter, AdapterContext, AdapterHealth } from "../../core/seam.js";
import { LocalHistory } from "./local-history.js";
import { LocalPresence } from "./local-presence.js";

const HEALTHY: AdapterHealth = { fields: { dist: "local" } };
const NODE_ID = "local";

/** One node, no peers: the local registry is the whole truth, so nothing crosses machines. */
export function localAdapter({
  events,
  url,
}: Pick<AdapterContext, "events"> & Partial<AdapterContext>): Adapter {
  const startedAt = Date.now();
  const history = new LocalHistory((delivery) => events.publication(delivery));
  const presence = new LocalPresence((notice, about) => events.notice(notice, about), NODE_ID);
  return {
    registry: {
      nodeId: NODE_ID,
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
    presence,
    nodes: () => [{ nodeId: NODE_ID, url, startedAt, ...events.stats() }],
    health: () => HEALTHY,
    close: async () => history.close(),
  };
}
