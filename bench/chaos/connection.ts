import WebSocket from "ws";
import type { CloseInitiator, CommandEvent } from "./history.js";
import { encodePayload, type Payload } from "./payload.js";
import type { Recorder } from "./recorder.js";

/** Where a connection goes and what it tells the history. */
export interface ConnectionTarget {
  /** ws://127.0.0.1:PORT of the node. */
  url: string;
  node: number;
  /** The node process's incarnation when the connection was opened. */
  incarnation: number;
  /** Asked at the close: did the nemesis kill that node process? */
  nodeKilled: () => boolean;
}

/** A frame of the JSON protocol as the server sends it. */
interface ServerFrame {
  event?: unknown;
  channel?: unknown;
  from?: unknown;
  id?: unknown;
  data?: unknown;
  offset?: unknown;
  epoch?: unknown;
  recovered?: unknown;
}

/** Where a client stands in a channel with history: the last publication it got (or where it started). */
export interface Position {
  offset: number;
  epoch: string;
}

/**
 * One JSON-protocol WebSocket of a chaos client, from its open to its close. Records everything it sends and
 * receives, and tracks, from the replies, which channels it holds and which it is subscribed to.
 */
export class ChaosConnection {
  /** Channels this connection owns, as far as the replies and notices tell. */
  readonly owned = new Set<string>();
  readonly subscribed = new Set<string>();
  /** Resolves once the socket is closed (and the close recorded). */
  readonly closed: Promise<void>;
  private readonly pending = new Map<number, { event: CommandEvent; channel: string }>();
  private nextId = 1;
  private nextSeq = 1;
  private initiator: CloseInitiator = "server";
  private open = true;

  private constructor(
    private readonly ws: WebSocket,
    readonly conn: string,
    private readonly recorder: Recorder,
    target: ConnectionTarget,
    /** The client's positions in channels with history, kept across its connections (to recover from). */
    private readonly positions: Map<string, Position>,
  ) {
    recorder.record({ type: "open", conn, node: target.node, incarnation: target.incarnation });
    ws.on("message", (data: Buffer, isBinary: boolean) =>
      this.received(isBinary ? "" : data.toString("utf8")),
    );
    this.closed = new Promise((resolve) =>
      ws.once("close", (code: number) => {
        this.open = false;
        recorder.record({
          type: "close",
          conn,
          code,
          initiator: this.initiator,
          nodeKilled: target.nodeKilled(),
        });
        resolve();
      }),
    );
  }

  /** Opens `/websocket/json/KEY` on the target node; rejects if the upgrade fails or takes over `timeoutMs`. */
  static connect(
    target: ConnectionTarget,
    conn: string,
    key: string,
    recorder: Recorder,
    timeoutMs: number,
    positions: Map<string, Position>,
  ): Promise<ChaosConnection> {
    const ws = new WebSocket(`${target.url}/websocket/json/${key}`, {
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    ws.on("error", () => undefined);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new ChaosConnection(ws, conn, recorder, target, positions)));
      ws.once("unexpected-response", (_request, response) => {
        ws.terminate();
        reject(new Error(`upgrade refused with ${response.statusCode}`));
      });
      ws.once("error", reject);
      ws.once("close", () => reject(new Error("closed before it opened")));
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Commands sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** A payload no other send or publish of the run has. */
  payload(kind: Payload["kind"]): string {
    return encodePayload({ kind, conn: this.conn, seq: this.nextSeq++ });
  }

  /** Sends a command (with the next id) and records it; false if the socket is no longer open. */
  command(event: CommandEvent, channel: string, data?: string): boolean {
    if (!this.open || this.ws.readyState !== WebSocket.OPEN) return false;
    const id = this.nextId++;
    this.pending.set(id, { event, channel });
    // A subscribe recovers from where the client last was in the channel, when it has been in it.
    const from = event === "subscribe" ? this.positions.get(channel) : undefined;
    const fields = { ...(data === undefined ? {} : { data }), ...(from === undefined ? {} : from) };
    this.recorder.record({ type: "command", conn: this.conn, id, event, channel, ...fields });
    this.ws.send(JSON.stringify({ event, channel, id, ...fields }));
    return true;
  }

  /** Closes the socket with 1000 (the close is recorded as the initiator's). */
  close(initiator: CloseInitiator): void {
    if (!this.open || this.initiator !== "server") return;
    this.initiator = initiator;
    this.recorder.record({ type: "closing", conn: this.conn, initiator });
    this.ws.close(1000);
  }

  /** Drops the socket at once (a close that did not complete). */
  terminate(initiator: CloseInitiator): void {
    if (!this.open) return;
    this.initiator = initiator;
    this.ws.terminate();
  }

  private received(text: string): void {
    const frame = parseFrame(text);
    const event = typeof frame?.event === "string" ? frame.event : `unreadable frame ${JSON.stringify(text)}`;
    const channel = typeof frame?.channel === "string" ? frame.channel : undefined;
    const position =
      typeof frame?.offset === "number" && typeof frame.epoch === "string"
        ? { offset: frame.offset, epoch: frame.epoch }
        : undefined;
    if (event === "new_message" && channel !== undefined) {
      const from = typeof frame?.from === "string" ? frame.from : "";
      this.recorder.record({
        type: "delivery",
        conn: this.conn,
        channel,
        from,
        data: frame?.data,
        ...position,
      });
      if (position !== undefined) this.positions.set(channel, position);
    } else if (event === "registration_lost" && channel !== undefined && frame?.id === undefined) {
      this.owned.delete(channel);
      this.recorder.record({ type: "lost", conn: this.conn, channel });
    } else {
      const id = typeof frame?.id === "number" ? frame.id : undefined;
      const recovered = typeof frame?.recovered === "boolean" ? { recovered: frame.recovered } : {};
      this.recorder.record({ type: "reply", conn: this.conn, id, event, channel, ...position, ...recovered });
      // Not recovered: the client starts where the reply says (after a recovery, the replay moves it on).
      if (
        event === "subscription_succeeded" &&
        channel !== undefined &&
        position !== undefined &&
        frame?.recovered !== true
      )
        this.positions.set(channel, position);
      if (id !== undefined) this.answered(id, event);
    }
  }

  private answered(id: number, reply: string): void {
    const command = this.pending.get(id);
    if (command === undefined) return;
    this.pending.delete(id);
    const { channel } = command;
    if (reply === "registration_succeeded" || reply === "registration_already_exist") this.owned.add(channel);
    else if (command.event === "unregister") this.owned.delete(channel);
    else if (reply === "subscription_succeeded" || reply === "subscription_already_exist")
      this.subscribed.add(channel);
    else if (command.event === "unsubscribe") this.subscribed.delete(channel);
  }
}

function parseFrame(text: string): ServerFrame | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as ServerFrame) : undefined;
  } catch {
    return undefined;
  }
}
