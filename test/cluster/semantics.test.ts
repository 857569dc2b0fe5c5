import { execFile } from "node:child_process";
import { before } from "node:test";
import { promisify } from "node:util";
import type { RedisCluster, RedisServer } from "../../src/devrel/redis-servers.js";
import { redisCluster, redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { historySuite } from "./history-semantics.js";
import { semanticSuite } from "./semantics.js";
import { localMode, type Mode, redisMode } from "./three-nodes.js";

const run = promisify(execFile);
const skip = skipWithoutRedis();
let standalone: RedisServer;
let cluster: RedisCluster;
before(async () => {
  if (skip) return;
  [standalone, cluster] = await Promise.all([redisServer(), redisCluster()]);
});

/** FLUSHALL on every master: Redis lost everything, as after a restart without persistence. */
async function flushAll(ports: number[]): Promise<void> {
  for (const port of ports) await run("redis-cli", ["-p", String(port), "FLUSHALL"]);
}

const modes: [Mode, string | false, (() => Promise<void>) | undefined][] = [
  [localMode, false, undefined],
  [
    redisMode("redis standalone (global mode)", () => ({ url: standalone.url })),
    skip,
    () => flushAll([standalone.port]),
  ],
  [
    redisMode("redis cluster, 3 masters + 3 replicas (sharded mode)", () => ({
      cluster: cluster.seeds.slice(0, 2),
    })),
    skip,
    () => flushAll(cluster.nodes.filter((node) => node.role === "master").map((node) => node.port)),
  ],
];
for (const [mode, skipped] of modes) semanticSuite(mode, skipped);
for (const [mode, skipped, flush] of modes) historySuite(mode, skipped, flush);
