/** Lets a test wait for "something changed" or a deadline, whichever comes first; no polling interval. */
export class Wakeup {
  private waiters: (() => void)[] = [];

  /** Resolves at the next `wake()` or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Re-checks `condition` at every wake; throws, naming `what`, once `timeoutMs` has passed. */
  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await this.wait(left);
    }
  }
}
