import { createClient } from "@redis/client";
import { clusterClient } from "./cluster-link.js";
import { RedisNames } from "./keys.js";
import type { NodeRecord } from "./membership.js";

/** Where a deployment's Redis is, as `west cluster` is told. */
export interface RedisTarget {
  url?: string | undefined;
  cluster?: string[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  tls?: boolean | undefined;
  keyPrefix: string;
}

export interface Shard {
  slots: [first: number, last: number][];
  master: string;
  replicas: string[];
}

export interface ClusterView {
  mode: "global" | "sharded";
  /** Live nodes, from the node registry and their heartbeat records. */
  nodes: (NodeRecord & { expiresInMs: number })[];
  /** Sharded mode only. */
  shards: Shard[];
}

export interface ChannelPlace {
  mode: "global" | "sharded";
  /** Sharded mode: the hash slot of the channel's owner record and pub/sub channel. */
  slot?: number;
  /** The Redis (global) or the shard's master (sharded) holding the channel. */
  master: string;
  replicas: string[];
}

type Connection = {
  command(key: string | undefined, args: string[]): Promise<unknown>;
};

/** Reads the live nodes (from the node registry, never by scanning keys) and, in sharded mode, the shards. */
export async function inspectCluster(target: RedisTarget): Promise<ClusterView> {
  return withConnection(target, async (connection, mode) => {
    const names = new RedisNames(target.keyPrefix);
    const registry = names.registry();
    const ids = (await connection.command(registry, ["ZRANGE", registry, "0", "-1"])) as string[];
    const nodes: ClusterView["nodes"] = [];
    for (const id of ids) {
      const key = names.node(id);
      const [record, ttl] = await Promise.all([
        connection.command(key, ["GET", key]) as Promise<string | null>,
        connection.command(key, ["PTTL", key]) as Promise<number>,
      ]);
      if (record !== null) nodes.push({ ...(JSON.parse(record) as NodeRecord), expiresInMs: ttl });
    }
    nodes.sort((a, b) => (a.url ?? "").localeCompare(b.url ?? "") || a.nodeId.localeCompare(b.nodeId));
    const shards = mode === "sharded" ? await readShards(connection) : [];
    return { mode, nodes, shards };
  });
}

/** Which Redis (and in sharded mode which slot and shard) holds `channel`. */
export async function locateChannel(target: RedisTarget, channel: string): Promise<ChannelPlace> {
  return withConnection(target, async (connection, mode) => {
    if (mode === "global") return { mode, master: target.url ?? "", replicas: [] };
    const key = new RedisNames(target.keyPrefix).owner(channel);
    const slot = (await connection.command(key, ["CLUSTER", "KEYSLOT", key])) as number;
    const shard = (await readShards(connection)).find((s) =>
      s.slots.some(([a, b]) => a <= slot && slot <= b),
    );
    if (shard === undefined) throw new Error(`no shard serves slot ${slot}`);
    return { mode, slot, master: shard.master, replicas: shard.replicas };
  });
}

async function readShards(connection: Connection): Promise<Shard[]> {
  type SlotRange = [number, number, [string, number, ...unknown[]], ...[string, number, ...unknown[]][]];
  const ranges = (await connection.command(undefined, ["CLUSTER", "SLOTS"])) as SlotRange[];
  const byMaster = new Map<string, Shard>();
  for (const [first, last, master, ...replicas] of ranges) {
    const address = `${master[0]}:${master[1]}`;
    const shard = byMaster.get(address) ?? { slots: [], master: address, replicas: [] };
    shard.slots.push([first, last]);
    shard.replicas = replicas.map(([host, port]) => `${host}:${port}`).sort();
    byMaster.set(address, shard);
  }
  return [...byMaster.values()].sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
}

/** How long `west cluster` waits for Redis to accept its connection. */
const CONNECT_TIMEOUT_MS = 5000;

async function withConnection<T>(
  target: RedisTarget,
  read: (connection: Connection, mode: "global" | "sharded") => Promise<T>,
): Promise<T> {
  if (target.cluster !== undefined && target.cluster.length > 0) {
    const cluster = clusterClient(
      { ...target, seeds: target.cluster, connectTimeoutMs: CONNECT_TIMEOUT_MS },
      false,
    );
    cluster.on("error", () => undefined);
    await cluster.connect();
    try {
      return await read({ command: (key, args) => cluster.sendCommand(key, true, args) }, "sharded");
    } finally {
      await cluster.close();
    }
  }
  if (target.url === undefined) throw new Error("give --redis URL or --redis-cluster host:port,...");
  const client = createClient({
    url: target.url,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await read({ command: (_key, args) => client.sendCommand(args) }, "global");
  } finally {
    await client.close();
  }
}
