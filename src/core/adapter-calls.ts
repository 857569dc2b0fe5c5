import type { Logger } from "../log.js";
import { withDeadline } from "./deadline.js";
import type { Adapter, Awaitable, History, Presence } from "./seam.js";

/**
 * The node's calls into its adapter: the adapter is attached once it exists; a promise it returns gets the command
 * deadline; work left to finish in the background (an undo after a failed command) is logged, never thrown.
 */
export class AdapterCalls {
  private adapter: Adapter | undefined;
  /** The last promise given a deadline, and the one with the deadline (see `call`). */
  private lastWork: Promise<unknown> | undefined;
  private lastTimed: Promise<unknown> | undefined;

  constructor(
    private readonly commandTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  attach(adapter: Adapter): void {
    this.adapter = adapter;
  }

  get attached(): Adapter | undefined {
    return this.adapter;
  }

  /** The adapter; throws before it is attached. */
  get current(): Adapter {
    if (this.adapter === undefined) throw new Error("no adapter attached");
    return this.adapter;
  }

  /**
   * Runs `work` with the command deadline. Calls that get the same promise back (the publishes of a turn share
   * their batch's) share its deadline too: one timer per batch, not per command.
   */
  call<T>(work: (adapter: Adapter) => Awaitable<T>): Awaitable<T> {
    const result = work(this.current);
    if (!(result instanceof Promise)) return result;
    if (result !== this.lastWork) {
      this.lastWork = result;
      this.lastTimed = withDeadline(result, this.commandTimeoutMs);
    }
    return this.lastTimed as Promise<T>;
  }

  settleQuietly(work: Awaitable<unknown>, channel: string): void {
    if (!(work instanceof Promise)) return;
    work.catch((error: unknown) =>
      this.logger.warn({ err: error, channel }, "undo after a failed command failed"),
    );
  }
}

/** The adapter's history; throws when it keeps none (the node checks that at attach, for configured rules). */
export function historyOf({ history }: Adapter): History {
  if (history === undefined) throw new Error("the adapter keeps no history");
  return history;
}

/** The adapter's presence; throws when it keeps none. */
export function presenceOf({ presence }: Adapter): Presence {
  if (presence === undefined) throw new Error("the adapter keeps no presence");
  return presence;
}
