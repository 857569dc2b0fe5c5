import type { Duplex } from "node:stream";
import WebSocket from "ws";
import type { Core } from "../core/core.js";
import { type Message, type Reply, reply } from "../core/message.js";
import type { Endpoint, Identity, Session } from "../core/session.js";
import type { Logger } from "../log.js";
import type { Codec, Decoded } from "../protocols/codec.js";
import { CommandRate } from "./command-rate.js";
import type { OutgoingQueue, SlowConsumers } from "./slow-consumers.js";
import { Outbox, type WriteBatcher } from "./write-batcher.js";

/** ws's error code for a frame over `maxPayload` (it then closes the socket with 1009). */
const FRAME_TOO_BIG = "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH";
/** A gap in a history channel that could not be filled: the client subscribes again with recovery. */
const RESYNC_CLOSE_CODE = 4004;
/** Closed by the HTTP API's disconnect: the client must not reconnect on its own. */
const DISCONNECTED_CLOSE_CODE = 4003;

export interface SocketContext {
  core: Core;
  logger: Logger;
  batcher: WriteBatcher;
  /** Frames a socket may send per second (see CommandRate); 0: no limit. */
  maxCommandsPerSecond: number;
  slowConsumers: SlowConsumers;
}

/** Binds one WebSocket (over the raw `connection`) to one core Session through its protocol's codec. */
export function attachSocket(
  socket: WebSocket,
  connection: Duplex,
  codec: Codec,
  encode: (message: Message) => Buffer,
  key: string,
  context: SocketContext,
  identity?: Identity,
): void {
  const attached = new SocketSession(socket, connection, codec, encode, key, context, identity);
  bySocket.set(socket, attached);
  socket.on("message", onMessage);
  socket.on("error", onError);
  socket.on("close", onClose);
}

/**
 * The listeners are the same functions for every socket (ws calls them with the socket as `this`), and all of a
 * connection's state is one object: an idle connection costs as little memory as it can.
 */
const bySocket = new WeakMap<WebSocket, SocketSession>();

function onMessage(this: WebSocket, payload: Buffer, isBinary: boolean): void {
  bySocket.get(this)?.receive(payload, isBinary);
}

function onError(this: WebSocket, error: Error & { code?: string }): void {
  bySocket.get(this)?.failed(error);
}

/**
 * Closes `socket` after the frames it already has in this tick's outbox (a bare `socket.close` would drop them:
 * an outbox flushes only to an open socket).
 */
export function closeSocket(socket: WebSocket, code: number, reason?: string): void {
  const attached = bySocket.get(socket);
  if (attached === undefined) socket.close(code, reason);
  else attached.close(code, reason);
}

function onClose(this: WebSocket, code: number): void {
  bySocket.get(this)?.closed(code);
  bySocket.delete(this);
}

/**
 * One connection: the frames it gets in this tick (an Outbox), its outgoing queue as the slow-consumer rules see
 * it, its command rate, and its core Session.
 */
class SocketSession extends Outbox implements Endpoint, OutgoingQueue {
  readonly session: Session;
  readonly protocol: Codec["name"];
  // OutgoingQueue: see SlowConsumers.
  offered = 0;
  progressAt = 0;
  completed = 0;
  pending = 0;
  private readonly rate: CommandRate | undefined;

  constructor(
    socket: WebSocket,
    connection: Duplex,
    private readonly codec: Codec,
    private readonly encode: (message: Message) => Buffer,
    key: string,
    private readonly context: SocketContext,
    identity: Identity | undefined,
  ) {
    super(socket, connection);
    const { core, maxCommandsPerSecond, slowConsumers, logger } = context;
    this.protocol = codec.name;
    this.session = core.open(key, this, identity, codec.name);
    this.rate = maxCommandsPerSecond > 0 ? new CommandRate(maxCommandsPerSecond) : undefined;
    slowConsumers.watch(this);
    logger.info(this.about({}), "connected");
  }

  deliver(message: Message): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    const { slowConsumers, batcher, core } = this.context;
    let frame: Buffer;
    try {
      frame = this.encode(message);
    } catch (error) {
      this.context.logger.error(
        this.about({ err: error, event: message.event }),
        "message could not be encoded",
      );
      return false;
    }
    // Bytes held in the outbox for this tick count as queued too.
    if (slowConsumers.exceeds(this.bytes + this.connection.writableLength, frame.length)) {
      slowConsumers.cut(this, "bytes");
      return false;
    }
    this.offered += frame.length;
    batcher.write(this, frame);
    core.counters.bytesOut += frame.length;
    return true;
  }

  receive(payload: Buffer, isBinary: boolean): void {
    // ws still emits frames while a close is under way (up to its close timeout): a socket the server is closing
    // (token expired, rate, bye, fault) runs no more commands.
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const { core, logger } = this.context;
    const { session } = this;
    core.counters.bytesIn += payload.length;
    try {
      const decoded = this.codec.decode(payload, isBinary);
      if (logger.isLevelEnabled("debug")) logger.debug(this.about({ decoded }), "frame");
      // Frames the codec rejects count too: they cost work all the same. `bye` always passes.
      const verdict = this.rate === undefined || decoded.type === "close" ? "accept" : this.rate.take();
      if (verdict !== "accept") core.counters.limitHits.rate++;
      if (verdict === "refuse") session.respond(rateLimited(decoded), commandOf(decoded));
      else if (verdict === "close") {
        if (this.socket.readyState === WebSocket.OPEN)
          logger.info(this.about({ limit: this.context.maxCommandsPerSecond }), "rate limit: closing");
        this.close(4002, "rate");
      } else if (decoded.type === "command") session.execute(decoded.command);
      else if (decoded.type === "reply") session.respond(decoded.reply);
      else this.close(1000);
    } catch (error) {
      // A bug of ours must cost this connection at most, never the process.
      logger.error(this.about({ err: error }), "unexpected fault handling a frame");
      this.close(1011, "internal error");
    }
  }

  failed(error: Error & { code?: string }): void {
    if (error.code === FRAME_TOO_BIG) this.context.core.counters.limitHits.frame_size++;
    this.context.logger.info(this.about({ err: error }), "socket error");
  }

  closed(code: number): void {
    const { logger, slowConsumers } = this.context;
    logger.info(this.about({ code }), "disconnected");
    slowConsumers.forget(this);
    this.session
      .close()
      .catch((error: unknown) => logger.error(this.about({ err: error }), "cleanup after close failed"));
  }

  /** Closes after the frames already queued in this tick, which would otherwise be dropped. */
  close(code: number, reason?: string): void {
    this.flush();
    this.socket.close(code, reason);
  }

  resync(channel: string): void {
    this.context.logger.info(this.about({ channel }), "closed: resync");
    this.close(RESYNC_CLOSE_CODE, "resync");
  }

  disconnect(): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.close(DISCONNECTED_CLOSE_CODE, "disconnected");
    return true;
  }

  /** Log lines name the connection; no child logger, which would cost every idle connection memory. */
  private about(fields: object): object {
    return { key: this.session.key, protocol: this.codec.name, session: this.session.id, ...fields };
  }
}

/** The command a frame carried, when the codec could read one (the metrics' `command` label). */
function commandOf(decoded: Decoded): string | undefined {
  return decoded.type === "command" ? decoded.command.event : undefined;
}

/** The answer to a frame over the rate, with the channel and id of its command when the codec read them. */
function rateLimited(decoded: Decoded): Reply {
  const { channel, id } =
    decoded.type === "command" ? decoded.command : decoded.type === "reply" ? decoded.reply : {};
  return reply("rate_limited", channel, id);
}
