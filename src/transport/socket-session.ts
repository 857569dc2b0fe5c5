import type { Duplex } from "node:stream";
import WebSocket from "ws";
import type { Core } from "../core/core.js";
import { type Message, type Reply, reply } from "../core/message.js";
import type { Identity } from "../core/session.js";
import type { Logger } from "../log.js";
import type { Codec, Decoded } from "../protocols/codec.js";
import { CommandRate } from "./command-rate.js";
import type { SlowConsumers } from "./slow-consumers.js";
import { Outbox, type WriteBatcher } from "./write-batcher.js";

/** ws's error code for a frame over `maxPayload` (it then closes the socket with 1009). */
const FRAME_TOO_BIG = "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH";

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
  { core, logger, batcher, maxCommandsPerSecond, slowConsumers }: SocketContext,
  identity?: Identity,
): void {
  // Log lines name the connection; no child logger, which would cost every idle connection memory.
  const about = (fields: object) => ({ key, protocol: codec.name, session: session.id, ...fields });
  const outbox = new Outbox(socket, connection);
  /** Closes after the frames already queued in this tick, which would otherwise be dropped. */
  const close = (code: number, reason?: string) => {
    outbox.flush();
    socket.close(code, reason);
  };
  const endpoint = {
    deliver(message: Message): void {
      if (socket.readyState !== WebSocket.OPEN) return;
      let frame: Buffer;
      try {
        frame = encode(message);
      } catch (error) {
        logger.error(about({ err: error, event: message.event }), "message could not be encoded");
        return;
      }
      // Bytes held in the outbox for this tick count as queued too.
      if (slowConsumers.exceeds(outbox.bytes + connection.writableLength, frame.length)) {
        slowConsumers.cut(queue, "bytes");
        return;
      }
      queue.offered += frame.length;
      batcher.write(outbox, frame);
      core.counters.bytesOut += frame.length;
    },
  };
  const session = core.open(key, endpoint, identity);
  core.counters.socketOpened(codec.name);
  const queue = slowConsumers.watch(socket, connection, session, codec.name);
  const onReply = (answer: Reply) => endpoint.deliver(answer);
  const rate = maxCommandsPerSecond > 0 ? new CommandRate(maxCommandsPerSecond) : undefined;
  logger.info(about({}), "connected");

  socket.on("message", (payload: Buffer, isBinary: boolean) => {
    core.counters.bytesIn += payload.length;
    try {
      const decoded = codec.decode(payload, isBinary);
      if (logger.isLevelEnabled("debug")) logger.debug(about({ decoded }), "frame");
      // Frames the codec rejects count too: they cost work all the same. `bye` always passes.
      const verdict = rate === undefined || decoded.type === "close" ? "accept" : rate.take();
      if (verdict !== "accept") core.counters.limitHits.rate++;
      if (verdict === "refuse") session.respond(rateLimited(decoded), onReply);
      else if (verdict === "close") {
        if (socket.readyState === WebSocket.OPEN)
          logger.info(about({ limit: maxCommandsPerSecond }), "rate limit: closing");
        close(4002, "rate");
      } else if (decoded.type === "command") session.execute(decoded.command, onReply);
      else if (decoded.type === "reply") session.respond(decoded.reply, onReply);
      else close(1000);
    } catch (error) {
      // A bug of ours must cost this connection at most, never the process.
      logger.error(about({ err: error }), "unexpected fault handling a frame");
      close(1011, "internal error");
    }
  });
  socket.on("error", (error: Error & { code?: string }) => {
    if (error.code === FRAME_TOO_BIG) core.counters.limitHits.frame_size++;
    logger.info(about({ err: error }), "socket error");
  });
  socket.on("close", (code: number) => {
    core.counters.socketClosed(codec.name);
    logger.info(about({ code }), "disconnected");
    slowConsumers.forget(queue);
    session
      .close()
      .catch((error: unknown) => logger.error(about({ err: error }), "cleanup after close failed"));
  });
}

/** The answer to a frame over the rate, with the channel and id of its command when the codec read them. */
function rateLimited(decoded: Decoded): Reply {
  const { channel, id } =
    decoded.type === "command" ? decoded.command : decoded.type === "reply" ? decoded.reply : {};
  return reply("rate_limited", channel, id);
}
