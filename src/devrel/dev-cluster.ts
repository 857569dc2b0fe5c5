import { redactedUrl } from "../adapters/redis/global-link.js";
import { isPortFree } from "./free-ports.js";
import { startRedisCluster, startRedisServer } from "./redis-servers.js";
import { describeExit, WestNodeProcess } from "./west-nodes.js";

/** Where the nodes' Redis comes from: one given or spawned, a Redis Cluster given or spawned. */
export type RedisChoice =
  | { kind: "url"; url: string }
  | { kind: "cluster"; seeds: string[] }
  | { kind: "spawn" }
  | { kind: "spawn-cluster"; masters: number };

export interface DevClusterOptions {
  westMain: string;
  count: number;
  basePort: number;
  redis: RedisChoice;
  logLevel: string;
  /** Status lines for the user: the Redis address, each node's URL, what stopped. */
  say: (line: string) => void;
  /** A node's own output, line by line. */
  nodeLine: (node: number, line: string) => void;
}

/** Options that devrel sets itself; from the environment they could contradict its flags. */
const OWN_ENV = ["WEST_REDIS_URL", "WEST_REDIS_CLUSTER"];

/**
 * N `west start` processes on consecutive ports sharing one Redis, which it spawns when asked to: the
 * equivalent of the seed's `make devrel`. `stop()` ends what it started, in reverse order.
 */
export class DevCluster {
  readonly nodes: WestNodeProcess[] = [];
  private stopRedis: (() => Promise<void>) | undefined;
  private stopping = false;

  constructor(private readonly options: DevClusterOptions) {}

  /** Starts Redis (if asked to), then the nodes; rejects if any fails (`stop()` then ends what did start). */
  async start(): Promise<void> {
    const { count, basePort, say } = this.options;
    for (let i = 0; i < count; i++) {
      if (!(await isPortFree(basePort + i)))
        throw new Error(`port ${basePort + i} is in use (see --base-port)`);
    }
    const redisArgs = await this.startRedis();
    if (this.stopping) return this.stop();
    const env = { ...process.env };
    for (const name of OWN_ENV) delete env[name];
    const args = ["--dist", "redis", ...redisArgs, "--log-level", this.options.logLevel];
    for (let i = 0; i < count; i++) {
      const node = new WestNodeProcess(this.options.westMain, basePort + i, args, env, (line) =>
        this.options.nodeLine(i + 1, line),
      );
      this.nodes.push(node);
    }
    await Promise.all(
      this.nodes.map(async (node, i) => {
        try {
          await node.ready();
        } catch (error) {
          throw new Error(`node ${i + 1} (${node.url}) did not start: ${(error as Error).message}`);
        }
      }),
    );
    if (this.stopping) return;
    for (const [i, node] of this.nodes.entries()) say(`node ${i + 1}: ${node.url} (pid ${node.pid})`);
  }

  /** Stops the nodes gracefully (they release their channels in Redis), then the Redis it spawned. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.nodes.map(async (node, i) => {
        const wasRunning = node.exit === undefined;
        await node.stop();
        if (wasRunning) this.options.say(`node ${i + 1} stopped (${describeExit(node.exit)})`);
      }),
    );
    await this.stopRedis?.();
    this.stopRedis = undefined;
  }

  /** Ends everything at once, without graceful stops (a second Ctrl-C). Spawned Redis dies at exit. */
  kill(): void {
    for (const node of this.nodes) node.kill();
  }

  /** The `west start` flags that name the Redis; spawns it first when asked to. */
  private async startRedis(): Promise<string[]> {
    const { redis, say } = this.options;
    switch (redis.kind) {
      case "url":
        say(`redis: ${redactedUrl(redis.url)}`);
        return ["--redis", redis.url];
      case "cluster":
        say(`redis cluster: ${redis.seeds.join(",")}`);
        return ["--redis-cluster", redis.seeds.join(",")];
      case "spawn": {
        const server = await startRedisServer();
        this.stopRedis = async () => {
          await server.stop();
          say("redis stopped");
        };
        say(`redis: ${server.url} (spawned, pid ${server.pid})`);
        return ["--redis", server.url];
      }
      case "spawn-cluster": {
        say(`starting a Redis Cluster of ${redis.masters} masters with 1 replica each...`);
        const cluster = await startRedisCluster({ masters: redis.masters, replicasPerMaster: 1 });
        this.stopRedis = async () => {
          await cluster.stop();
          say("redis cluster stopped");
        };
        const pids = cluster.nodes.map((node) => node.pid).join(",");
        say(`redis cluster: ${cluster.seeds.join(",")} (spawned, pids ${pids})`);
        return ["--redis-cluster", cluster.seeds.join(",")];
      }
    }
  }
}
