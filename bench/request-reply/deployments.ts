import { startRedisServer } from "../../src/devrel/redis-servers.js";
import type { WestOptions } from "../../src/options.js";
import { startNatsCluster } from "../cross-node/nats-cluster.js";
import { processCpuMicros } from "../harness/proc-stats.js";
import { forkNodeServer, spawnNatsServer } from "../harness/server-process.js";
import type { Protocol } from "./clients.js";

/** Where the requesters and the owners connect, and the CPU of every server process (Redis included). */
export interface RrDeployment {
  readonly system: string;
  readonly protocol: Protocol;
  readonly requesterUrl: string;
  readonly ownerUrl: string;
  /** The first WEST node's HTTP address, for the HTTP API (WEST only). */
  readonly httpUrl?: string;
  cpuMicros(): number;
  stop(): Promise<void>;
}

/** The bench's API key: loopback only, never a secret. */
export const BENCH_API_KEY = "bench-api-key";

/** WEST as deployed, its per-socket rate limit off (the peers have none). */
const WEST: WestOptions = { maxCommandsPerSecond: 0, api: { key: BENCH_API_KEY } };

export interface RrSystem {
  readonly id: string;
  readonly label: string;
  start(): Promise<RrDeployment>;
}

export const RR_SYSTEMS: RrSystem[] = [
  {
    id: "west-local",
    label: "WEST-TS, 1 node",
    async start() {
      const node = await forkNodeServer("west", WEST);
      return {
        system: "WEST-TS, 1 node",
        protocol: "west",
        requesterUrl: node.url,
        ownerUrl: node.url,
        httpUrl: node.url.replace(/^ws/, "http"),
        cpuMicros: () => node.cpuMicros(),
        stop: () => node.stop(),
      };
    },
  },
  {
    id: "nats-local",
    label: "NATS, 1 server",
    async start() {
      const server = await spawnNatsServer();
      return {
        system: "NATS, 1 server",
        protocol: "nats",
        requesterUrl: server.url,
        ownerUrl: server.url,
        cpuMicros: () => server.cpuMicros(),
        stop: () => server.stop(),
      };
    },
  },
  {
    id: "west-redis",
    label: "WEST-TS, 2 nodes on Redis",
    async start() {
      const redis = await startRedisServer();
      const options: WestOptions = { ...WEST, dist: "redis", redis: { url: redis.url } };
      const nodes = await Promise.all([forkNodeServer("west", options), forkNodeServer("west", options)]);
      const [first, second] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
      return {
        system: "WEST-TS, 2 nodes on Redis",
        protocol: "west",
        requesterUrl: first.url,
        ownerUrl: second.url,
        cpuMicros: () => first.cpuMicros() + second.cpuMicros() + processCpuMicros(redis.pid),
        async stop() {
          await Promise.allSettled(nodes.map((node) => node.stop()));
          await redis.stop();
        },
      };
    },
  },
  {
    id: "nats-cluster",
    label: "NATS, 2-server cluster",
    async start() {
      const cluster = await startNatsCluster(2);
      const [first, second] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
      return {
        system: "NATS, 2-server cluster",
        protocol: "nats",
        requesterUrl: first.url,
        ownerUrl: second.url,
        cpuMicros: () => processCpuMicros(first.pid) + processCpuMicros(second.pid),
        stop: () => cluster.stop(),
      };
    },
  },
];
