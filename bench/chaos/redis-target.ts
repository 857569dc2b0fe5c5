import {
  type RedisCluster,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
} from "../../src/devrel/redis-servers.js";
import type { Deadline } from "./deadline.js";
import type { FaultKind } from "./history.js";
import type { Random } from "./random.js";

export type ChaosMode = "standalone" | "cluster";

/** What one Redis fault did, for the history: whom it hit and how long it was planned to last. */
export interface RedisFault {
  kind: FaultKind;
  target: string;
  /** The redis-server process it hits. */
  port: number;
  plannedMs: number;
}

/** The Redis the nodes share, and the fault the nemesis can inflict on it. */
export interface RedisTarget {
  readonly mode: ChaosMode;
  /** The `west start` flags that point a node at it. */
  readonly nodeArgs: string[];
  /** Describes the fault it is about to inflict (chosen with `random`). */
  plan(random: Random): RedisFault;
  /**
   * Inflicts `fault`; `started` is called at the moment it begins (the kill). Resolves once the fault is over
   * (Redis back on its port, or the killed master restarted), early if the run is aborted.
   */
  inflict(fault: RedisFault, deadline: Deadline, started: () => void): Promise<void>;
  /** Waits until the Redis side is whole again (a cluster healthy again); before the next fault. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** How long Redis stays down when the nemesis restarts it. */
const REDIS_DOWNTIME_MS = { min: 100, max: 2500 };
/** How long a killed cluster master stays down after its replica took over. */
const MASTER_DOWNTIME_MS = { min: 500, max: 3000 };

export async function startRedisTarget(mode: ChaosMode): Promise<RedisTarget> {
  if (mode === "standalone") return standalone(await startRedisServer());
  return cluster(await startRedisCluster({ masters: 3, replicasPerMaster: 1 }));
}

/** One redis-server; the fault: kill -9, down for a while, restarted on its port with no data. */
function standalone(server: RedisServer): RedisTarget {
  return {
    mode: "standalone",
    nodeArgs: [`--redis=${server.url}`],
    plan: (random) => ({
      kind: "restart_redis",
      target: `redis 127.0.0.1:${server.port}`,
      port: server.port,
      plannedMs: Math.round(random.between(REDIS_DOWNTIME_MS.min, REDIS_DOWNTIME_MS.max)),
    }),
    async inflict(fault, deadline, started) {
      started();
      await server.kill9();
      await deadline.sleep(fault.plannedMs);
      await server.restart();
    },
    settle: async () => undefined,
    stop: () => server.stop(),
  };
}

/**
 * A Redis Cluster of 3 masters with a replica each; the fault: kill -9 one master, wait for its replica to
 * take over, keep it down a while, restart it (it rejoins as a replica of its former replica).
 */
function cluster(redis: RedisCluster): RedisTarget {
  return {
    mode: "cluster",
    nodeArgs: [`--redis-cluster=${redis.seeds.join(",")}`],
    plan(random) {
      const { port } = random.pick(redis.nodes.filter((node) => node.role === "master"));
      return {
        kind: "kill_redis_master",
        target: `redis master 127.0.0.1:${port}`,
        port,
        plannedMs: Math.round(random.between(MASTER_DOWNTIME_MS.min, MASTER_DOWNTIME_MS.max)),
      };
    },
    async inflict(fault, deadline, started) {
      started();
      await redis.killNode(fault.port);
      await redis.waitHealthy();
      await deadline.sleep(fault.plannedMs);
      await redis.restartNode(fault.port);
    },
    settle: () => redis.waitHealthy(),
    stop: () => redis.stop(),
  };
}
