import type {
  CloseInitiator,
  CommandEvent,
  ExitCause,
  FaultKind,
  HistoryEvent,
  Unstamped,
} from "../../bench/chaos/history.js";
import { encodePayload } from "../../bench/chaos/payload.js";

/**
 * Writes a chaos history by hand, one event per call, each `step` ms after the previous one (or at the
 * time given with `at`). Connections are `KEY.N`, as the driver names them.
 *
 * With `turnStep`, each event is stamped with a driver turn, `turnStep` turns after the previous event's
 * (the events added in one `burst` share a turn); without, the history has no turns, like one recorded before
 * they existed.
 */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private clock = 0;
  private turn = 0;
  private bursting = false;
  private readonly nextId = new Map<string, number>();
  private readonly nextSeq = new Map<string, number>();

  constructor(
    private readonly step = 10,
    private readonly turnStep?: number,
  ) {}

  /** Moves the clock to `ms` for the next event. */
  at(ms: number): this {
    this.clock = ms - this.step;
    return this;
  }

  /** The time the last event got. */
  get now(): number {
    return this.clock;
  }

  add(event: Unstamped): this {
    this.clock += this.step;
    if (this.turnStep === undefined) {
      this.events.push({ ...event, at: this.clock } as HistoryEvent);
      return this;
    }
    if (!this.bursting) this.turn += this.turnStep;
    this.events.push({ ...event, at: this.clock, turn: this.turn } as HistoryEvent);
    return this;
  }

  /**
   * The events `read` adds, all in one driver turn (`turnStep` after the previous event's): what the driver
   * read in one burst. In a history without turns, just those events in order.
   */
  burst(read: () => void): this {
    if (this.turnStep !== undefined) this.turn += this.turnStep;
    this.bursting = true;
    try {
      read();
    } finally {
      this.bursting = false;
    }
    return this;
  }

  node(node: number): this {
    return this.add({ type: "node_start", node, incarnation: 1, pid: 1000 + node, port: 9000 + node });
  }

  nodeExit(node: number, cause: ExitCause, code: number | null = 0, signal: string | null = null): this {
    return this.add({ type: "node_exit", node, incarnation: 1, pid: 1000 + node, code, signal, cause });
  }

  open(conn: string, node = 0): this {
    return this.add({ type: "open", conn, node, incarnation: 1 });
  }

  close(conn: string, how: { code?: number; initiator?: CloseInitiator; nodeKilled?: boolean } = {}): this {
    return this.add({
      type: "close",
      conn,
      code: how.code ?? 1000,
      initiator: how.initiator ?? "driver",
      nodeKilled: how.nodeKilled ?? false,
    });
  }

  /** Sends a command with the connection's next id; returns that id. */
  command(conn: string, event: CommandEvent, channel: string, data?: string): number {
    const id = (this.nextId.get(conn) ?? 0) + 1;
    this.nextId.set(conn, id);
    this.add({ type: "command", conn, id, event, channel, ...(data === undefined ? {} : { data }) });
    return id;
  }

  reply(conn: string, id: number | undefined, event: string, channel?: string): this {
    return this.add({ type: "reply", conn, id, event, channel });
  }

  /** register + registration_succeeded. */
  register(conn: string, channel: string): this {
    return this.reply(conn, this.command(conn, "register", channel), "registration_succeeded", channel);
  }

  /** unregister + unregistration_succeeded. */
  unregister(conn: string, channel: string): this {
    return this.reply(conn, this.command(conn, "unregister", channel), "unregistration_succeeded", channel);
  }

  /** A payload of `conn`'s (the next in its order). */
  payload(conn: string, kind: "send" | "pub" = "send"): string {
    const seq = (this.nextSeq.get(conn) ?? 0) + 1;
    this.nextSeq.set(conn, seq);
    return encodePayload({ kind, conn, seq });
  }

  /** A send and its reply (none: `reply` null); returns the payload. */
  send(conn: string, channel: string, reply: string | null = "sending_succeeded"): string {
    const data = this.payload(conn);
    const id = this.command(conn, "send", channel, data);
    if (reply !== null) this.reply(conn, id, reply, channel);
    return data;
  }

  /** A publish answered publication_succeeded; returns the payload. */
  publish(conn: string, channel: string): string {
    const data = this.payload(conn, "pub");
    this.reply(conn, this.command(conn, "publish", channel, data), "publication_succeeded", channel);
    return data;
  }

  /** `conn` receives `data` on `channel`, from the key of the payload's sender. */
  deliver(
    conn: string,
    channel: string,
    data: string,
    from = data.split(":")[1]?.split(".")[0] ?? "?",
  ): this {
    return this.add({ type: "delivery", conn, channel, from, data });
  }

  lost(conn: string, channel: string): this {
    return this.add({ type: "lost", conn, channel });
  }

  fault(fault: number, kind: FaultKind, durationMs: number): this {
    this.add({ type: "fault_start", fault, kind, target: "node 0", plannedMs: durationMs });
    this.clock += durationMs;
    return this.add({ type: "fault_end", fault, kind, target: "node 0" });
  }

  recovery(fault: number, node: number, afterMs: number | null): this {
    return this.add({ type: "recovery", fault, node, afterMs });
  }
}
