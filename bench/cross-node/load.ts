import { setTimeout as sleep } from "node:timers/promises";
import type { SendResult } from "../harness/agent.js";
import { type AgentHandle, localAgent, workerAgent } from "../harness/agent-handle.js";
import { assertComplete } from "../harness/measure-deliveries.js";
import type { DeliveryMeasurement } from "../harness/records.js";
import { OPEN_TIMEOUT_MS, type Rig } from "../harness/rig.js";
import type { DialectName } from "../systems/dialect.js";
import type { Deployment } from "./deployment.js";
import type { CrossRun } from "./records.js";

/** Connections being set up at once, per open. */
const CONNECT_CONCURRENCY = 100;
/**
 * Before the warm-up, time for a subscription to reach the other nodes: a subscribe's reply may come before
 * the other nodes know of it (a NATS route's interest, the sharded adapter's SSUBSCRIBE, sent after the join).
 */
const INTEREST_MS = 300;
/** Warm-up rounds tried before a loss in the warm-up fails the run. */
const WARMUP_ATTEMPTS = 3;

/** A deployment's load: senders in this process, receivers in a worker process; `lastSent` as the senders saw it. */
export interface CrossRig extends Rig {
  lastSent(): SendResult | undefined;
}

export async function crossRig(deployment: Deployment): Promise<CrossRig> {
  const local = localAgent();
  let last: SendResult | undefined;
  const senders: AgentHandle = {
    ...local,
    publish: async (spec) => {
      last = await local.publish(spec);
      return last;
    },
  };
  const receivers = [await workerAgent()];
  return {
    server: deployment.server,
    senders,
    receivers,
    lastSent: () => last,
    async close() {
      await Promise.allSettled([senders, ...receivers].map((agent) => agent.close()));
    },
  };
}

/** Opens `count` connections of `agent` on node `node` (0-based); client keys `${keyPrefix}${first + i}`. */
export async function openOn(
  agent: AgentHandle,
  deployment: Deployment,
  dialect: DialectName,
  node: number,
  keyPrefix: string,
  first: number,
  count: number,
): Promise<void> {
  const url = deployment.urls[node % deployment.urls.length] as string;
  const result = await agent.open({
    url,
    dialect,
    keyPrefix,
    first,
    count,
    concurrency: CONNECT_CONCURRENCY,
    timeoutMs: OPEN_TIMEOUT_MS,
  });
  if (result.failed > 0)
    throw new Error(`${result.failed} of ${count} connections to ${url} failed to open: ${result.error}`);
}

/** [first, count] of each of `parts` even shares of `count` items. */
export function evenShares(count: number, parts: number): [first: number, count: number][] {
  return Array.from({ length: parts }, (_, i) => {
    const first = Math.floor((i * count) / parts);
    return [first, Math.floor(((i + 1) * count) / parts) - first];
  });
}

/**
 * Warm-up phases until one loses nothing (the first may start before every node knows every subscription). Each
 * case warms up with its largest measured phase, so that a JIT-compiled server is measured warm.
 */
export async function warmUp(phase: () => Promise<DeliveryMeasurement>): Promise<void> {
  await sleep(INTEREST_MS);
  for (let attempt = 1; attempt <= WARMUP_ATTEMPTS; attempt++) {
    const measured = await phase();
    if (measured.lost === 0 && measured.duplicated === 0) return;
    if (attempt === WARMUP_ATTEMPTS) assertComplete(measured, `warm-up (${attempt} attempts)`);
  }
}

/** A measured phase as the section records it; `sent` gives the acknowledged publishes per second. */
export function crossRun(m: DeliveryMeasurement, sent?: SendResult): CrossRun {
  const run: CrossRun = {
    deliveries: m.deliveries,
    received: m.received,
    lost: m.lost,
    duplicated: m.duplicated,
    cpuMicrosPerDelivery: m.serverCpuMicrosPerDelivery,
    serverCores: m.serverCores,
    deliveriesPerSecond: m.deliveriesPerSecond,
    latencyMicros: m.latencyMicros,
    loadCores: m.loadCores,
  };
  if (sent !== undefined) {
    const acked = sent.sent.reduce((sum, n) => sum + n, 0);
    run.publishesPerSecond = acked / (Math.max(1, sent.lastReplyMicros - sent.firstSendMicros) / 1e6);
  }
  return run;
}
