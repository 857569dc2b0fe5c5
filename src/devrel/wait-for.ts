import { setTimeout as delay } from "node:timers/promises";

/** How often a condition on another process is checked again. */
const POLL_INTERVAL_MS = 25;

/**
 * Resolves once `condition` returns true, checking it every few ms; rejects, naming `what`, once `timeoutMs`
 * has passed or when `condition` throws. For states of other processes, which send no event when they change.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(POLL_INTERVAL_MS);
  }
}
