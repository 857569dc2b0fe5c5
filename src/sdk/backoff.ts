export interface BackoffOptions {
  /** The first retry waits up to this long (default 250 ms)... */
  minDelayMs?: number;
  /** ...each further one up to twice as long as the one before, capped here (default 10 s). */
  maxDelayMs?: number;
}

/**
 * Exponential backoff with full jitter: the n-th retry waits a random time from 0 to min(max, min * 2^n), so
 * that clients dropped together do not come back together. `reset` starts over (after a stable connection).
 */
export class Backoff {
  private attempt = 0;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.minDelayMs = options.minDelayMs ?? 250;
    this.maxDelayMs = Math.max(this.minDelayMs, options.maxDelayMs ?? 10_000);
  }

  next(): number {
    const ceiling = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
