/** What a socket's next frame gets: executed, answered `rate_limited`, or the socket closed with 4002. */
export type RateVerdict = "accept" | "refuse" | "close";

/**
 * The command rate limit of one socket (option maxCommandsPerSecond). Each frame takes a token from a bucket
 * of `perSecond` tokens, refilled continuously at `perSecond` per second, so bursts of up to one second's worth
 * pass. A frame that finds no token is refused, and takes one from a second bucket of the same size and refill:
 * a frame that finds that one empty too means persistent excess (a burst over two seconds' worth, or a steady
 * rate over twice the limit), and the socket is closed. Refilled lazily from a timestamp: no timers.
 */
export class CommandRate {
  private tokens: number;
  private refusals: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    now: number = performance.now(),
  ) {
    this.tokens = perSecond;
    this.refusals = perSecond;
    this.last = now;
  }

  /** The verdict on one frame arriving at `now` (ms, monotonic). */
  take(now: number = performance.now()): RateVerdict {
    const refill = ((now - this.last) * this.perSecond) / 1000;
    this.last = now;
    this.tokens = Math.min(this.perSecond, this.tokens + refill);
    this.refusals = Math.min(this.perSecond, this.refusals + refill);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return "accept";
    }
    if (this.refusals >= 1) {
      this.refusals -= 1;
      return "refuse";
    }
    return "close";
  }
}
