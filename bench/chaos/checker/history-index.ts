import type {
  CommandSent,
  ConnectionClose,
  ConnectionClosing,
  ConnectionOpen,
  DeliveryReceived,
  HistoryEvent,
  ReplyReceived,
} from "../history.js";
import { type Payload, parsePayload } from "../payload.js";

/** A command with its place in the history and, once it came, its reply. */
export interface IndexedCommand {
  command: CommandSent;
  index: number;
  reply?: ReplyReceived;
  replyIndex?: number;
}

/** A connection instance from its open to its close (none if the history ends first). */
export interface ConnectionLife {
  open: ConnectionOpen;
  /** When its client (or the driver) began closing it, if one did. */
  closing?: ConnectionClosing;
  close?: ConnectionClose;
  closeIndex?: number;
}

export interface IndexedDelivery {
  delivery: DeliveryReceived;
  index: number;
  /** The payload it carried, if it is one of the run's. */
  payload?: Payload;
}

/** A reply that matches no command, or a second reply to one. */
export interface StrayReply {
  reply: ReplyReceived;
  index: number;
  why: string;
}

/**
 * Events of two connections are ordered only when their turns are at least this far apart. Within one turn
 * the driver reads the ready sockets in an arbitrary order. One turn apart is not enough either: the driver
 * can read socket X early in turn N, then data arrives on X, then later data on Y, which the driver reads
 * still in turn N, and X's in turn N+1. Two turns apart is: a turn ends in a check phase (recorder.ts), and
 * the next one in a later loop iteration's, so turn N+1 holds a whole poll of the sockets; data read in turn
 * N+2 or later had not arrived when that poll began, after everything read in turn N.
 */
export const ORDERING_TURNS = 2;

/**
 * Events the driver records when it acts (sends a command, begins a close, starts a fault), not when it reads
 * something: their time is exact, and anything recorded before them had reached the driver by then.
 */
const DRIVER_ACTS = new Set<HistoryEvent["type"]>([
  "command",
  "closing",
  "run",
  "node_start",
  "fault_start",
  "fault_end",
]);

/** The history, looked up the ways the rules need: commands by id and by payload, connections, deliveries. */
export class HistoryIndex {
  readonly connections = new Map<string, ConnectionLife>();
  /** By `CONN#ID`. */
  readonly commands = new Map<string, IndexedCommand>();
  /** Sends and publishes by their payload. */
  readonly byPayload = new Map<string, IndexedCommand>();
  /** The command each reply answers, by the reply's index in the history. */
  readonly answered = new Map<number, IndexedCommand>();
  readonly deliveries: IndexedDelivery[] = [];
  readonly strayReplies: StrayReply[] = [];
  /**
   * Whether every event carries its event-loop turn. A history recorded before turns existed has none: its
   * order is taken as it is, each event its own turn.
   */
  readonly hasTurns: boolean;

  constructor(readonly history: readonly HistoryEvent[]) {
    this.hasTurns = history.length > 0 && history.every((event) => typeof event.turn === "number");
    history.forEach((event, index) => {
      switch (event.type) {
        case "open":
          this.connections.set(event.conn, { open: event });
          return;
        case "closing": {
          const life = this.connections.get(event.conn);
          if (life !== undefined) life.closing = event;
          return;
        }
        case "close": {
          const life = this.connections.get(event.conn);
          if (life !== undefined) {
            life.close = event;
            life.closeIndex = index;
          }
          return;
        }
        case "command": {
          const indexed = { command: event, index };
          this.commands.set(`${event.conn}#${event.id}`, indexed);
          if (event.data !== undefined) this.byPayload.set(event.data, indexed);
          return;
        }
        case "reply":
          this.matchReply(event, index);
          return;
        case "delivery": {
          const payload = parsePayload(event.data);
          this.deliveries.push(
            payload === undefined ? { delivery: event, index } : { delivery: event, index, payload },
          );
          return;
        }
        default:
          return;
      }
    });
  }

  /** The event-loop turn of the event at `index` (its index in a history without turns). */
  turn(index: number): number {
    return this.hasTurns ? (this.history[index]?.turn ?? index) : index;
  }

  /**
   * Whether the event at `a` certainly came before the one at `b`: `a` first in the history and either both
   * on one connection (one socket, read in order), or `b` something the driver did (a command it sent: it had
   * read `a` by then), or `b` at least `ORDERING_TURNS` turns later. In a history without turns: `a` first.
   * Other events of different connections are concurrent: the rules must not rely on their order.
   */
  before(a: number, b: number): boolean {
    if (a >= b) return false;
    if (!this.hasTurns) return true;
    const later = this.history[b];
    if (later !== undefined && DRIVER_ACTS.has(later.type)) return true;
    const conn = connOf(this.history[a]);
    if (conn !== undefined && conn === connOf(later)) return true;
    return this.turn(b) - this.turn(a) >= ORDERING_TURNS;
  }

  /**
   * A time before which the event at `index` cannot have happened. Something the driver read may have reached
   * it well before it read it (in a burst, after a stall), but not before the last event `ORDERING_TURNS` turns
   * earlier (see `ORDERING_TURNS`). In a history without turns, and for what the driver did, its `at`.
   */
  earliest(index: number): number {
    const event = this.history[index];
    if (event === undefined) return Number.NEGATIVE_INFINITY;
    if (!this.hasTurns || DRIVER_ACTS.has(event.type)) return event.at;
    const limit = this.turn(index) - ORDERING_TURNS;
    // Turns never decrease along the history: the last event at or below the limit, by bisection.
    let low = 0;
    let high = index;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.turn(middle) <= limit) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? Number.NEGATIVE_INFINITY : (this.history[low - 1]?.at ?? Number.NEGATIVE_INFINITY);
  }

  /** The node a connection was on, for messages. */
  describe(conn: string): string {
    const node = this.connections.get(conn)?.open.node;
    return node === undefined ? conn : `${conn} (node ${node})`;
  }

  private matchReply(reply: ReplyReceived, index: number): void {
    const command = reply.id === undefined ? undefined : this.commands.get(`${reply.conn}#${reply.id}`);
    if (command === undefined) {
      this.strayReplies.push({ reply, index, why: "answers no command of its connection" });
    } else if (command.reply !== undefined) {
      this.strayReplies.push({
        reply,
        index,
        why: `is a second reply (the first was ${command.reply.event})`,
      });
    } else {
      command.reply = reply;
      command.replyIndex = index;
      this.answered.set(index, command);
    }
  }
}

/** The connection an event belongs to, if it belongs to one. */
function connOf(event: HistoryEvent | undefined): string | undefined {
  return event !== undefined && "conn" in event ? event.conn : undefined;
}
