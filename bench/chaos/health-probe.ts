import { request } from "node:http";
import { abortableSleep } from "./deadline.js";
import type { NodeFleet } from "./node-fleet.js";
import type { Recorder } from "./recorder.js";

/** How often a node's /healthz is asked again while it does not answer 200. */
const POLL_INTERVAL_MS = 100;
/** How long one /healthz request may take (a paused or starting node does not answer). */
const REQUEST_TIMEOUT_MS = 1000;

/** The status of GET `url`, or undefined when nothing answers in time. */
export function httpStatus(url: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** Resolves true once `baseUrl`/healthz answers 200, false after `giveUpMs` or on abort. */
export async function becomesHealthy(
  baseUrl: string,
  giveUpMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const giveUpAt = performance.now() + giveUpMs;
  while (!signal.aborted) {
    if ((await httpStatus(`${baseUrl}/healthz`)) === 200) return true;
    if (performance.now() >= giveUpAt) return false;
    await abortableSleep(POLL_INTERVAL_MS, signal);
  }
  return false;
}

/**
 * After fault `fault` ended (at `endedAt` on the run's clock), polls every node's /healthz until it answers
 * 200 and records how long that took; null for a node that did not within `giveUpMs`.
 */
export async function probeRecovery(
  fault: number,
  endedAt: number,
  fleet: NodeFleet,
  recorder: Recorder,
  giveUpMs: number,
  signal: AbortSignal,
): Promise<void> {
  await Promise.all(
    Array.from({ length: fleet.count }, async (_, node) => {
      const healthy = await becomesHealthy(fleet.httpUrl(node), giveUpMs, signal);
      if (signal.aborted) return;
      const afterMs = healthy ? Math.round(recorder.now() - endedAt) : null;
      recorder.record({ type: "recovery", fault, node, afterMs });
    }),
  );
}
