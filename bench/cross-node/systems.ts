import { startRedisCluster, startRedisServer } from "../../src/devrel/redis-servers.js";
import type { WestOptions } from "../../src/options.js";
import type { SocketIoOptions } from "../baselines/socketio-server.js";
import { forkNodeServer, type ServerProcess } from "../harness/server-process.js";
import type { DialectName } from "../systems/dialect.js";
import { natsUnavailable } from "../systems/nats-installed.js";
import { combinedServer, type Deployment } from "./deployment.js";
import { startNatsCluster } from "./nats-cluster.js";
import type { CrossSystemId } from "./records.js";

const NODES = 3;
/**
 * Socket.IO and NATS limit no client's command rate: neither does WEST here. A subscriber may fall 64 MiB behind
 * before it is cut, as NATS's default max_pending allows (Socket.IO has no limit): the load generator, on the
 * same 2 cores, reads slower than a node sends.
 */
const WEST_UNLIMITED: WestOptions = { maxCommandsPerSecond: 0, slowConsumerBytes: 64 * 1024 * 1024 };

/** A system of the cross-node section: 3 nodes in processes of their own, on 127.0.0.1. */
export interface CrossSystem {
  id: CrossSystemId;
  label: string;
  dialect: DialectName;
  /** How it is deployed and measured, for the report's notes. */
  how: string;
  /** Why it cannot run on this machine, or undefined when it can. */
  unavailable(): string | undefined;
  start(): Promise<Deployment>;
}

/** Starts `NODES` Node servers of `system` with `options`; stops those that started if one fails. */
async function forkNodes(system: string, options: WestOptions | SocketIoOptions): Promise<ServerProcess[]> {
  const started = await Promise.allSettled(
    Array.from({ length: NODES }, () => forkNodeServer(system, options)),
  );
  const nodes = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failed = started.find((result) => result.status === "rejected");
  if (failed !== undefined) {
    await Promise.allSettled(nodes.map((node) => node.stop()));
    throw failed.reason;
  }
  return nodes;
}

/** Node servers on one redis-server. */
async function onRedisServer(
  system: string,
  options: (url: string) => WestOptions | SocketIoOptions,
): Promise<Deployment> {
  const redis = await startRedisServer();
  try {
    const nodes = await forkNodes(system, options(redis.url));
    return {
      urls: nodes.map((node) => node.url),
      server: combinedServer(nodes, () => [redis.pid]),
      async stop() {
        await Promise.allSettled(nodes.map((node) => node.stop()));
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

/** Node servers on a Redis Cluster of 3 masters, no replicas. */
async function onRedisCluster(
  system: string,
  options: (seeds: string[]) => WestOptions | SocketIoOptions,
): Promise<Deployment> {
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  try {
    const nodes = await forkNodes(system, options(cluster.seeds));
    return {
      urls: nodes.map((node) => node.url),
      server: combinedServer(nodes, () => cluster.nodes.map((node) => node.pid)),
      async stop() {
        await Promise.allSettled(nodes.map((node) => node.stop()));
        await cluster.stop();
      },
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function natsCluster(): Promise<Deployment> {
  const cluster = await startNatsCluster(NODES);
  return {
    urls: cluster.nodes.map((node) => node.url),
    server: combinedServer([...cluster.nodes], () => []),
    stop: () => cluster.stop(),
  };
}

/** The systems compared, in report order. */
export const CROSS_SYSTEMS: CrossSystem[] = [
  {
    id: "west-redis",
    label: "WEST on Redis",
    dialect: "west-json",
    how: "WEST-TS, 3 nodes (bench/server-child.ts, dist redis) on one redis-server, its per-socket rate limit off (maxCommandsPerSecond 0: the peers have none, and the one-client case goes past its default 10,000 commands/s) and its slow-consumer limit at 64 MiB (slowConsumerBytes, default 1 MiB; NATS's max_pending default); CPU of the 3 nodes and redis-server",
    unavailable: () => undefined,
    start: () => onRedisServer("west", (url) => ({ ...WEST_UNLIMITED, dist: "redis", redis: { url } })),
  },
  {
    id: "west-cluster",
    label: "WEST on Redis Cluster",
    dialect: "west-json",
    how: "WEST-TS, 3 nodes (dist redis, cluster seeds) on a Redis Cluster of 3 masters, no replicas, limits as above; CPU of the 3 nodes and the 3 redis-servers",
    unavailable: () => undefined,
    start: () =>
      onRedisCluster("west", (cluster) => ({ ...WEST_UNLIMITED, dist: "redis", redis: { cluster } })),
  },
  {
    id: "socketio-redis",
    label: "Socket.IO + Redis adapter",
    dialect: "socketio",
    how: "Socket.IO, 3 nodes with @socket.io/redis-adapter createAdapter (PUBLISH/PSUBSCRIBE, node-redis clients) on one redis-server; CPU of the 3 nodes and redis-server",
    unavailable: () => undefined,
    start: () => onRedisServer("socketio", (url) => ({ adapter: { kind: "redis", url } })),
  },
  {
    id: "socketio-sharded",
    label: "Socket.IO sharded adapter",
    dialect: "socketio",
    how: "Socket.IO, 3 nodes with @socket.io/redis-adapter createShardedAdapter (SPUBLISH/SSUBSCRIBE, a channel per room, node-redis cluster clients) on the same kind of Redis Cluster; CPU of the 3 nodes and the 3 redis-servers",
    unavailable: () => undefined,
    start: () => onRedisCluster("socketio", (seeds) => ({ adapter: { kind: "sharded", seeds } })),
  },
  {
    id: "nats",
    label: "NATS cluster",
    dialect: "nats",
    how: "nats-server, 3 nodes routed to each other (cluster block), clients on each node's WebSocket listener (no TLS); CPU of the 3 nats-servers",
    unavailable: () => natsUnavailable("NATS cluster"),
    start: natsCluster,
  },
];
