import type { Owner } from "../../core/seam.js";

/**
 * Redis names. A channel's owner record and its pub/sub channel share the hash tag `{channel}`, so on a Redis
 * Cluster both live on the channel's shard. Node records and the node registry share the tag `{nodes}`, so that
 * one script renews a node's record and its registry entry together.
 */
export class RedisNames {
  constructor(private readonly prefix: string) {}

  /** Owner record of a point-to-point channel: `nodeId/sessionId`, with an expiry its node renews. */
  owner(channel: string): string {
    return `${this.prefix}reg:{${channel}}`;
  }

  /** Pub/sub channel that carries a WEST channel's publishes between nodes. */
  publications(channel: string): string {
    return `${this.prefix}ps:{${channel}}`;
  }

  /** A channel's history: the list of its last publications (node messages), oldest first. */
  history(channel: string): string {
    return `${this.prefix}hist:{${channel}}`;
  }

  /** A channel's history record: its epoch, top offset, and the replication id it was made under. */
  historyMeta(channel: string): string {
    return `${this.prefix}meta:{${channel}}`;
  }

  /** A channel's presence: a field per subscribed connection (`nodeId/sessionId`) holding its key. */
  presence(channel: string): string {
    return `${this.prefix}presence:{${channel}}`;
  }

  /** The channels a node has presence entries in (beside the registry), so that its entries go when it dies. */
  presenceIndex(nodeId: string): string {
    return `${this.prefix}{nodes}:presence:${nodeId}`;
  }

  /** Who cleans up after a dead node: the first living node to set it. */
  reapClaim(nodeId: string): string {
    return `${this.prefix}{nodes}:reap:${nodeId}`;
  }

  /** Heartbeat record of a node incarnation; it expires when the node stops renewing it. */
  node(nodeId: string): string {
    return `${this.prefix}{nodes}:node:${nodeId}`;
  }

  /** Sorted set of node ids, scored by when their heartbeat expires (Redis's clock, ms): the node registry. */
  registry(): string {
    return `${this.prefix}{nodes}:registry`;
  }

  /** Pub/sub channel on which a node takes requests for the channels it owns, and answers to its own requests. */
  inbox(nodeId: string): string {
    return `${this.prefix}inbox:{${nodeId}}`;
  }
}

export function ownerValue({ nodeId, sessionId }: Owner): string {
  return `${nodeId}/${sessionId}`;
}

export function parseOwner(value: string): Owner | undefined {
  const slash = value.lastIndexOf("/");
  const sessionId = Number(value.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(sessionId)) return undefined;
  return { nodeId: value.slice(0, slash), sessionId };
}
