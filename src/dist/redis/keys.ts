/**
 * Redis names. A channel's owner record and its pub/sub channel share the hash tag `{channel}`, so on a
 * Redis Cluster both live on the channel's shard; every operation touches a single key.
 */
export class RedisNames {
  constructor(private readonly prefix: string) {}

  /** Owner record of a point-to-point channel: `nodeId/sessionId`. */
  owner(channel: string): string {
    return `${this.prefix}reg:{${channel}}`;
  }

  /** Pub/sub channel that carries a WEST channel's publishes between nodes. */
  publications(channel: string): string {
    return `${this.prefix}ps:{${channel}}`;
  }

  /** Heartbeat record of a node; it expires when the node stops renewing it. */
  node(nodeId: string): string {
    return `${this.prefix}node:{${nodeId}}`;
  }

  nodePattern(): string {
    return `${this.prefix}node:*`;
  }

  /** Pub/sub channel on which a node takes sends for the channels it owns, and answers to its own sends. */
  inbox(nodeId: string): string {
    return `${this.prefix}inbox:{${nodeId}}`;
  }
}

export function ownerValue(nodeId: string, sessionId: number): string {
  return `${nodeId}/${sessionId}`;
}

export function parseOwner(value: string): { nodeId: string; sessionId: number } | undefined {
  const slash = value.lastIndexOf("/");
  const sessionId = Number(value.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(sessionId)) return undefined;
  return { nodeId: value.slice(0, slash), sessionId };
}
