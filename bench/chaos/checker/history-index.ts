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

  constructor(readonly history: readonly HistoryEvent[]) {
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
