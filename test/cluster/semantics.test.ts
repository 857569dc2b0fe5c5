import { execFile } from "node:child_process";
import { before } from "node:test";
import { promisify } from "node:util";
import type { RedisCluster, RedisServer } from "../../src/devrel/redis-servers.js";
import { redisCluster, redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { apiSuite } from "./api-semantics.js";
import { historySuite } from "./history-semantics.js";
import { presenceSuite } from "./presence-semantics.js";
import { requestSuite } from "./request-semantics.js";
import { semanticSuite } from "./semantics.js";
import { HEARTBEAT_TTL_MS, localMode, type Mode, redisMode } from "./three-nodes.js";

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
/** `west start` arguments of a node process that joins the same system, to be killed (Redis modes). */
const processes = [
  undefined,
  () => ({ args: ["--dist", "redis", "--redis", standalone.url], heartbeatTtlMs: HEARTBEAT_TTL_MS }),
  () => ({
    args: ["--dist", "redis", "--redis-cluster", cluster.seeds.slice(0, 2).join(",")],
    heartbeatTtlMs: HEARTBEAT_TTL_MS,
  }),
];
for (const [i, [mode, skipped, flush]] of modes.entries()) historySuite(mode, skipped, flush, processes[i]);
for (const [i, [mode, skipped]] of modes.entries()) presenceSuite(mode, skipped, processes[i]);
for (const [i, [mode, skipped]] of modes.entries()) requestSuite(mode, skipped, processes[i]);
for (const [mode, skipped] of modes) apiSuite(mode, skipped);
