import type { Command, Data, Message, Reply, Response } from "../core/message.js";
import type { Endpoint, Session } from "../core/session.js";
import type { Logger } from "../log.js";

export type MessageHandler = (message: Message) => void;

/**
 * An in-process client: one client in the sense of docs/protocol.md, "Clients and ownership", with no network
 * hop.
 * Each method resolves to the reply Message; deliveries and notices go to the handler given at creation.
 */
export class WestClient {
  private session: Session | undefined;

  /** @internal Built by `WestNode.client`. */
  constructor(open: (endpoint: Endpoint) => Session, onMessage: MessageHandler | undefined, logger: Logger) {
    const endpoint: Endpoint = {
      deliver(message) {
        if (onMessage === undefined) return true;
        try {
          onMessage(message);
        } catch (error) {
          logger.error({ err: error }, "native client message handler threw");
        }
        return true;
      },
    };
    this.session = open(endpoint);
  }

  get key(): string | undefined {
    return this.session?.key;
  }

  ping(): Promise<Reply> {
    return this.execute({ event: "ping" });
  }

  reg(channel: string): Promise<Reply> {
    return this.execute({ event: "register", channel });
  }

  unreg(channel: string): Promise<Reply> {
    return this.execute({ event: "unregister", channel });
  }

  send(channel: string, data: Data): Promise<Reply> {
    return this.execute({ event: "send", channel, data });
  }

  /**
   * Subscribes `channel`. With `recover` (the offset and epoch of the last publication seen, on a channel with
   * history), every publication after it follows the reply when `recovered` is true.
   */
  sub(channel: string, options: { recover?: { offset: number; epoch: string } } = {}): Promise<Reply> {
    const { recover } = options;
    return this.execute(
      recover === undefined
        ? { event: "subscribe", channel }
        : { event: "subscribe", channel, offset: recover.offset, epoch: recover.epoch },
    );
  }

  /**
   * The last `limit` publications of a channel with history (at most its size), or with `after`, the first
   * `limit` after that offset of that epoch; resolves to `history_succeeded` with them in `data`, oldest first.
   */
  history(
    channel: string,
    options: { limit?: number; after?: { offset: number; epoch: string } } = {},
  ): Promise<Reply> {
    const command: Command = { event: "history", channel };
    if (options.limit !== undefined) command.limit = options.limit;
    if (options.after !== undefined) {
      command.offset = options.after.offset;
      command.epoch = options.after.epoch;
    }
    return this.execute(command);
  }

  unsub(channel: string): Promise<Reply> {
    return this.execute({ event: "unsubscribe", channel });
  }

  pub(channel: string, data: Data): Promise<Reply> {
    return this.execute({ event: "publish", channel, data });
  }

  /** Who is subscribed to a channel with presence: resolves to `presence_succeeded` with `data` = key -> connections. */
  presence(channel: string): Promise<Reply> {
    return this.execute({ event: "presence", channel });
  }

  /**
   * Asks the owner of `channel` (docs/protocol.md, "Request/reply (ext)"): resolves to its `response` (from: the owner's
   * key, data: its answer), or to `request_timeout` after `timeoutMs` (default 5000, at most 60000),
   * `registration_not_found`, `request_failed`, `permission_denied` or `internal_error`. Exactly one of them.
   */
  request(channel: string, data: Data, options: { timeoutMs?: number } = {}): Promise<Reply | Response> {
    const command: Command = { event: "request", channel, data };
    if (options.timeoutMs !== undefined) command.timeoutMs = options.timeoutMs;
    return this.execute<Reply | Response>(command);
  }

  /**
   * Answers a request this client received as the owner of its channel (a delivery with `reply_to`): resolves to
   * `reply_succeeded` once the requester's node took it, or `reply_failed` (the request ended: timed out, or its
   * requester left).
   */
  reply(replyTo: string, data: Data): Promise<Reply> {
    return this.execute({ event: "reply", channel: replyTo, data });
  }

  /** Drops all of this client's registrations and subscriptions. Later calls reject. */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }

  /** The command's one reply; for a request, its outcome (a Response or a Reply). */
  private execute<Answer extends Reply | Response = Reply>(command: Command): Promise<Answer> {
    const session = this.session;
    if (session === undefined || session.closed)
      return Promise.reject(new Error("this WEST client is closed"));
    return new Promise<Answer>((resolve) =>
      session.execute(command, resolve as (answer: Reply | Response) => void),
    );
  }
}
