import { setTimeout as sleep } from "node:timers/promises";
import type { ServerProcess } from "./server-process.js";

/**
 * Resolves once the server has used less than `maxBusyMicros` of CPU over `windowMs`, or after `maxWaitMs`
 * (false). A phase measured while the server still works off what came before it (a stalled subscriber's fill,
 * its garbage) would be charged that work; and a thread that runs through a whole short phase shows no CPU at
 * all, since Linux adds a running thread's time only at a scheduler tick.
 */
export async function untilServerIdle(
  server: ServerProcess,
  { windowMs = 50, maxBusyMicros = 1_000, maxWaitMs = 5_000 } = {},
): Promise<boolean> {
  const deadline = performance.now() + maxWaitMs;
  let before = server.cpuMicros();
  while (performance.now() < deadline) {
    await sleep(windowMs);
    const now = server.cpuMicros();
    if (now - before < maxBusyMicros) return true;
    before = now;
  }
  return false;
}
