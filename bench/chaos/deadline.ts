/**
 * When a loop of the run must stop: at a time on the run's clock, or at once when the run is aborted
 * (Ctrl-C). Sleeps end early on abort, so that no loop outlives it.
 */
export class Deadline {
  constructor(
    readonly at: number,
    private readonly now: () => number,
    readonly signal: AbortSignal,
  ) {}

  get passed(): boolean {
    return this.signal.aborted || this.now() >= this.at;
  }

  /** Milliseconds left, 0 once passed. */
  get left(): number {
    return this.signal.aborted ? 0 : Math.max(0, this.at - this.now());
  }

  /** The same abort, an earlier or later time. */
  shiftedBy(ms: number): Deadline {
    return new Deadline(this.at + ms, this.now, this.signal);
  }

  /** Sleeps `ms`, never past an abort; `untilDeadline`: never past the deadline either. */
  sleep(ms: number, untilDeadline = false): Promise<void> {
    return abortableSleep(untilDeadline ? Math.min(ms, this.left) : ms, this.signal);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
