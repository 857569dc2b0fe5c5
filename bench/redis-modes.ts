import type { RedisCluster, RedisServer } from "../src/devrel/redis-servers.js";
import { startRedisCluster, startRedisServer } from "../src/devrel/redis-servers.js";
import type { WestClient, WestNode } from "../src/index.js";
import { startWest } from "../src/index.js";
import type { WestOptions } from "../src/options.js";
import { processCpuMicros } from "./harness/proc-stats.js";

export interface ModeResult {
  mode: string;
  scenario: string;
  /** The history size of the scenario's channels; undefined: channels without history. */
  history?: number;
  deliveries: number;
  deliveriesPerSecond: number;
  /** CPU of the WEST process (all its nodes) per delivery. */
  westCpuMicrosPerDelivery: number;
  /** CPU of the Redis processes per message published or carried. */
  redisCpuMicrosPerMessage: number;
}

interface Deployment {
  mode: string;
  options: WestOptions;
  redisPids: () => (number | undefined)[];
  nodes: number;
  history?: number;
}

/** History on every channel of the scenarios (`>` matches them all): its cost against none, in the same run. */
const HISTORY_SIZE = 100;
const withHistory = (deployment: Deployment): Deployment => ({
  ...deployment,
  options: {
    ...deployment.options,
    channels: [{ match: ">", history: { size: HISTORY_SIZE, ttlSeconds: 600 } }],
  },
  history: HISTORY_SIZE,
});

/**
 * Fan-out and many-channel scenarios on three nodes over Redis, against one local node, in the same run; each
 * without history and with it (size 100), one right after the other.
 */
export async function redisModeScenarios(): Promise<ModeResult[]> {
  const server: RedisServer = await startRedisServer();
  const cluster: RedisCluster = await startRedisCluster();
  const deployments: Deployment[] = [
    { mode: "local, 1 node", options: {}, redisPids: () => [], nodes: 1 },
    {
      mode: "redis standalone, 3 nodes",
      options: { dist: "redis", redis: { url: server.url } },
      redisPids: () => [server.pid],
      nodes: 3,
    },
    {
      mode: "redis cluster 3+3, 3 nodes",
      options: { dist: "redis", redis: { cluster: cluster.seeds } },
      redisPids: () => cluster.nodes.map((n) => n.pid),
      nodes: 3,
    },
  ];
  const results: ModeResult[] = [];
  try {
    for (const deployment of deployments)
      for (const variant of [deployment, withHistory(deployment)])
        results.push(await fanout(variant, 999, 1000));
    for (const deployment of deployments)
      for (const variant of [deployment, withHistory(deployment)])
        results.push(await channels(variant, 1000, 20));
  } finally {
    await Promise.allSettled([server.stop(), cluster.stop()]);
  }
  return results;
}

async function startNodes(deployment: Deployment): Promise<WestNode[]> {
  return Promise.all(
    Array.from({ length: deployment.nodes }, () =>
      startWest({ port: false, logLevel: "silent", ...deployment.options }),
    ),
  );
}

/** One publisher on node 1; `subscribers` spread evenly over the nodes; `publishes` with up to 100 in flight. */
async function fanout(deployment: Deployment, subscribers: number, publishes: number): Promise<ModeResult> {
  const nodes = await startNodes(deployment);
  const expected = subscribers * publishes;
  let delivered = 0;
  const done = countdown(expected, () => delivered);
  for (let i = 0; i < subscribers; i++) {
    await (nodes[i % nodes.length] as WestNode)
      .client(`s${i}`, () => {
        delivered++;
        done.check();
      })
      .sub("fanout");
  }
  const publisher = (nodes[0] as WestNode).client("publisher");
  const measured = await measureRun(deployment, async () => {
    await inFlight(publishes, 100, (i) => publisher.pub("fanout", `message ${i}`));
    await done.promise;
  });
  await Promise.all(nodes.map((n) => n.stop()));
  return result(
    deployment,
    `fan-out: 1 publisher, ${subscribers} subscribers`,
    expected,
    publishes,
    measured,
  );
}

/** `pairs` publisher/subscriber pairs on as many channels, publisher and subscriber on different nodes. */
async function channels(deployment: Deployment, pairs: number, rounds: number): Promise<ModeResult> {
  const nodes = await startNodes(deployment);
  const expected = pairs * rounds;
  let delivered = 0;
  const done = countdown(expected, () => delivered);
  const publishers: WestClient[] = [];
  for (let i = 0; i < pairs; i++) {
    const subscriberNode = nodes[(i + 1) % nodes.length] as WestNode;
    await subscriberNode
      .client(`s${i}`, () => {
        delivered++;
        done.check();
      })
      .sub(`ch${i}`);
    publishers.push((nodes[i % nodes.length] as WestNode).client(`p${i}`));
  }
  const measured = await measureRun(deployment, async () => {
    await inFlight(expected, 100, (i) => (publishers[i % pairs] as WestClient).pub(`ch${i % pairs}`, "x"));
    await done.promise;
  });
  await Promise.all(nodes.map((n) => n.stop()));
  return result(deployment, `channels: ${pairs} pairs on ${pairs} channels`, expected, expected, measured);
}

interface Measured {
  elapsedNs: number;
  westCpuMicros: number;
  redisCpuMicros: number;
}

async function measureRun(deployment: Deployment, run: () => Promise<void>): Promise<Measured> {
  const redisBefore = deployment.redisPids().reduce((sum: number, pid) => sum + processCpuMicros(pid), 0);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await run();
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const cpu = process.cpuUsage(cpuBefore);
  const redisAfter = deployment.redisPids().reduce((sum: number, pid) => sum + processCpuMicros(pid), 0);
  return { elapsedNs, westCpuMicros: cpu.user + cpu.system, redisCpuMicros: redisAfter - redisBefore };
}

function result(
  deployment: Deployment,
  scenario: string,
  deliveries: number,
  messages: number,
  measured: Measured,
): ModeResult {
  return {
    mode: deployment.mode,
    scenario,
    ...(deployment.history === undefined ? {} : { history: deployment.history }),
    deliveries,
    deliveriesPerSecond: deliveries / (measured.elapsedNs / 1e9),
    westCpuMicrosPerDelivery: measured.westCpuMicros / deliveries,
    redisCpuMicrosPerMessage: measured.redisCpuMicros / messages,
  };
}

/** Runs `count` operations with at most `window` unanswered at a time. */
async function inFlight(
  count: number,
  window: number,
  operation: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await operation(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
}

function countdown(expected: number, delivered: () => number) {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const timer = setTimeout(() => resolve(), 60_000);
  return {
    promise: promise.then(() => {
      clearTimeout(timer);
      if (delivered() !== expected) throw new Error(`lost deliveries: ${delivered()} of ${expected}`);
    }),
    check() {
      if (delivered() === expected) resolve();
    },
  };
}
