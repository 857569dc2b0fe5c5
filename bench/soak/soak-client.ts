import type { SoakCounters } from "./counters.js";
import type { SoakProtocol } from "./wire.js";

/** A delivery some receiver is owed; the deadline is set once the sender's request is acknowledged. */
interface Owed {
  channel: string;
  deadline: number;
}

/**
 * A request in flight: replies come back in order, one per request
 * (docs/protocol.md, "Commands and replies").
 */
export interface InFlight {
  onReply(event: string): void;
  /** The connection went away before the reply: undo what the request promised. */
  onAbandon(): void;
}

type State = "pending" | "confirmed";

/** Ids are remembered for one to two of these windows. */
const DUPLICATE_WINDOW_MS = 15_000;

/**
 * One slot of the soak: a client identity that connects, churns and reconnects, and the bookkeeping of what it
 * holds (subscriptions, registrations), what it wants back after a reconnect, and what it is owed.
 */
export class SoakClient {
  readonly key: string;
  /** The subscriptions and registrations of the current connection. */
  readonly subscriptions = new Map<string, State>();
  readonly registrations = new Map<string, State>();
  /** Topics and the extra registration to take again after a reconnect. */
  readonly wantedTopics = new Set<string>();
  wantsExtra = false;
  readonly inFlight: InFlight[] = [];
  /** Message id -> the delivery this client is owed. */
  readonly owed = new Map<string, Owed>();
  open = false;
  churning = false;
  nextActionAt = 0;
  disconnectAt = Number.POSITIVE_INFINITY;
  reconnectAt = Number.POSITIVE_INFINITY;
  seq = 0;
  /** Message ids received lately, to catch a delivery made twice. */
  private recent = new Set<string>();
  private older = new Set<string>();
  private rotateAt = 0;

  constructor(
    readonly slot: number,
    readonly protocol: SoakProtocol,
    private readonly counters: SoakCounters,
  ) {
    this.key = `s${slot}`;
  }

  /** A delivery to this client was promised (the sender's request is in flight). */
  owe(id: string, channel: string): void {
    this.owed.set(id, { channel, deadline: Number.POSITIVE_INFINITY });
    this.counters.expected++;
  }

  /** The sender's request was acknowledged: the delivery must arrive within `graceMs` from now. */
  confirm(id: string, deadline: number): void {
    const owed = this.owed.get(id);
    if (owed !== undefined) owed.deadline = deadline;
  }

  /** The promise is withdrawn (the sender went away or its request failed). */
  withdraw(id: string): void {
    if (this.owed.delete(id)) this.counters.expected--;
  }

  /** A delivery arrived; a message id seen before (within the last one to two windows) is a duplicate. */
  arrived(id: string, now: number): void {
    if (this.recent.has(id) || this.older.has(id)) {
      this.counters.duplicated++;
      return;
    }
    if (now >= this.rotateAt) {
      this.older = this.recent;
      this.recent = new Set();
      this.rotateAt = now + DUPLICATE_WINDOW_MS;
    }
    this.recent.add(id);
    if (this.owed.delete(id)) this.counters.arrived++;
    else this.counters.unowed++;
  }

  /**
   * This client leaves `channel` (or everything): what it is still owed there is no longer owed, except what
   * is already overdue, which was lost while both stayed connected.
   */
  forgive(now: number, channel?: string): void {
    for (const [id, owed] of this.owed) {
      if (channel !== undefined && owed.channel !== channel) continue;
      this.owed.delete(id);
      if (owed.deadline < now) this.counters.lost++;
      else this.counters.expected--;
    }
  }

  /** Counts what is overdue at `now` as lost; returns how many. */
  sweep(now: number): number {
    let lost = 0;
    for (const [id, owed] of this.owed) {
      if (owed.deadline >= now) continue;
      this.owed.delete(id);
      lost++;
    }
    this.counters.lost += lost;
    return lost;
  }
}
