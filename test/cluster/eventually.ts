/** Retries `attempt` until it returns true; fails after `timeoutMs` (a generous deadline for a recovery). */
export async function eventually(
  what: string,
  attempt: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await attempt())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
