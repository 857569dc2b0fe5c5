import { setTimeout as sleep } from "node:timers/promises";
import { LatencyHistogram } from "../harness/latency-histogram.js";
import { nowMicros } from "../harness/payload.js";
import type { ConnectionsMeasurement } from "../harness/records.js";
import { openSpread, startRig } from "../harness/rig.js";
import type { DialectName } from "../systems/dialect.js";
import type { System } from "../systems/systems.js";

/**
 * `connections` idle connections, opened 100 at a time per load process: how long that takes, what it costs
 * the server in CPU, and how much its resident memory grows per connection (read `settleMs` before and after).
 */
export async function runConnections(
  system: System,
  dialect: DialectName,
  connections: number,
  workers: number,
  settleMs: number,
): Promise<ConnectionsMeasurement> {
  const rig = await startRig(system, workers);
  try {
    await sleep(settleMs);
    const rssBefore = rig.server.rssBytes();
    const cpuBefore = rig.server.cpuMicros();
    const loadBefore = await Promise.all(rig.receivers.map((agent) => agent.usage()));
    const started = nowMicros();
    const opened = await openSpread(
      rig.receivers,
      { url: rig.server.url, dialect, keyPrefix: "idle-" },
      connections,
    );
    const connectMicros = nowMicros() - started;
    const loadAfter = await Promise.all(rig.receivers.map((agent) => agent.usage()));
    await sleep(settleMs);
    const cpu = rig.server.cpuMicros() - cpuBefore;
    const growth = rig.server.rssBytes() - rssBefore;
    const ok = opened.reduce((sum, result) => sum + result.opened, 0);
    const failed = opened.reduce((sum, result) => sum + result.failed, 0);
    if (failed > 0) {
      const error = opened.find((result) => result.error !== undefined)?.error;
      throw new Error(`${failed} of ${connections} connections failed to open: ${error}`);
    }
    const busiest = Math.max(...loadAfter.map((after, i) => after - (loadBefore[i] as number)));
    return {
      type: "connections",
      connections,
      opened: ok,
      failed,
      connectMs: connectMicros / 1000,
      connectionsPerSecond: ok / (connectMicros / 1e6),
      serverRssGrowthBytes: growth,
      rssBytesPerConnection: growth / ok,
      serverCpuMicrosPerConnection: cpu / ok,
      serverPeakRssBytes: rig.server.peakRssBytes(),
      handshakeMicros: LatencyHistogram.merged(opened.map((result) => result.handshake)).summary(),
      loadCores: busiest / connectMicros,
      loadProcesses: rig.receivers.length,
    };
  } finally {
    await rig.close();
  }
}
