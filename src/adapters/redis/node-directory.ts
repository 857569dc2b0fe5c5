import type { SystemNode } from "../../core/seam.js";
import type { RedisNames } from "./keys.js";
import type { RedisLink } from "./link.js";
import type { NodeRecord } from "./membership.js";

/**
 * The live nodes: the ids in the node registry whose heartbeat record still exists, with the figures of their
 * last heartbeat. The registry and the records share the `{nodes}` slot: one shard, one MGET.
 */
export async function liveNodes(link: RedisLink, names: RedisNames): Promise<SystemNode[]> {
  const registry = names.registry();
  const ids = (await link.command(registry, ["ZRANGE", registry, "0", "-1"])) as string[];
  if (ids.length === 0) return [];
  const records = (await link.command(registry, ["MGET", ...ids.map((id) => names.node(id))])) as (
    | string
    | null
  )[];
  const nodes: SystemNode[] = [];
  for (const record of records) {
    if (record === null) continue;
    const { nodeId, url, startedAt, beatAt, connections, registrations, subscriptions, byKind, totals } =
      JSON.parse(record) as NodeRecord;
    nodes.push({ nodeId, url, startedAt, beatAt, connections, registrations, subscriptions, byKind, totals });
  }
  return nodes;
}
