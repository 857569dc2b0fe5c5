import { LatencyHistogram } from "../harness/latency-histogram.js";
import { shares, startRig } from "../harness/rig.js";
import { untilServerIdle } from "../harness/server-idle.js";
import { withTimeout } from "../harness/timeout.js";
import type { DialectName } from "../systems/dialect.js";
import type { System } from "../systems/systems.js";
import type { StormConfig } from "./config.js";
import type { StormRun } from "./records.js";

/** Client i's key; it subscribes to a channel of its own, CHANNEL_PREFIX + i. */
export const KEY_PREFIX = "storm-";
const CHANNEL_PREFIX = "feed-";
/** Beyond the clients' own timeout: the load workers' answers over IPC. */
const ANSWER_SLACK_MS = 15_000;

/**
 * One reconnect storm: a fresh server, idle, then `clients` clients spread over the load workers, each
 * connecting and subscribing without waiting for any other; the server's CPU from before the storm until it
 * is idle again. Every process it started is stopped, also when it fails.
 */
export async function runOneStorm(
  system: System,
  dialect: DialectName,
  config: StormConfig,
  tokens: string[] | undefined,
): Promise<StormRun> {
  const rig = await startRig(system, config.workers);
  try {
    await untilServerIdle(rig.server);
    const cpuBefore = rig.server.cpuMicros();
    const stormed = Promise.all(
      shares(rig.receivers, config.clients).map(({ agent, first, count }) =>
        agent.storm({
          url: rig.server.url,
          dialect,
          keyPrefix: KEY_PREFIX,
          first,
          count,
          plan: { prefix: CHANNEL_PREFIX, first },
          ...(tokens === undefined ? {} : { tokens: tokens.slice(first, first + count) }),
          timeoutMs: config.clientTimeoutMs,
        }),
      ),
    );
    const parts = await withTimeout(stormed, config.clientTimeoutMs + ANSWER_SLACK_MS, "the storm");
    await untilServerIdle(rig.server);
    if (rig.server.exited !== undefined) throw new Error(rig.server.exited);
    const serverCpu = rig.server.cpuMicros() - cpuBefore;
    const started = Math.min(...parts.map((part) => part.firstAttemptMicros));
    const ended = Math.max(...parts.map((part) => Math.max(part.lastReplyMicros, part.lastAttemptMicros)));
    const wallMicros = Math.max(1, ended - started);
    const sum = (pick: (part: (typeof parts)[number]) => number) =>
      parts.reduce((total, part) => total + pick(part), 0);
    const firstError = parts.find((part) => part.error !== undefined)?.error;
    return {
      clients: config.clients,
      subscribed: sum((part) => part.subscribed),
      refused: sum((part) => part.refused),
      failed: sum((part) => part.failed),
      ...(firstError === undefined ? {} : { firstError }),
      allSubscribedMs: wallMicros / 1000,
      launchSpreadMs: (Math.max(...parts.map((part) => part.lastAttemptMicros)) - started) / 1000,
      perClientMicros: LatencyHistogram.merged(parts.map((part) => part.perClient)).summary(),
      serverCpuMicrosPerConnection: serverCpu / config.clients,
      serverCores: serverCpu / wallMicros,
      serverPeakRssBytes: rig.server.peakRssBytes(),
      loadCpuMicrosPerConnection: sum((part) => part.cpuMicros) / config.clients,
      loadCores: Math.max(...parts.map((part) => part.cpuMicros)) / wallMicros,
      loadProcesses: parts.length,
    };
  } finally {
    await rig.close();
  }
}
