import type { Duplex } from "node:stream";
import WebSocket from "ws";
import type { Core } from "../core/core.js";
import type { Message, Reply } from "../core/message.js";
import type { Logger } from "../log.js";
import type { Codec } from "../protocols/codec.js";
import type { WriteBatcher } from "./write-batcher.js";

/** ws's error code for a frame over `maxPayload` (it then closes the socket with 1009). */
const FRAME_TOO_BIG = "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH";

export interface SocketContext {
  core: Core;
  logger: Logger;
  batcher: WriteBatcher;
}

/** Binds one WebSocket (over the raw `connection`) to one core Session through its protocol's codec. */
export function attachSocket(
  socket: WebSocket,
  connection: Duplex,
  codec: Codec,
  encode: (message: Message) => Buffer,
  key: string,
  { core, logger, batcher }: SocketContext,
): void {
  // Log lines name the connection; no child logger, which would cost every idle connection memory.
  const about = (fields: object) => ({ key, protocol: codec.name, session: session.id, ...fields });
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
      // The frame is complete (built once per message and protocol, see frameEncoder), so it goes to the
      // socket as is. With no compression ws writes every frame at once, so frames never interleave, and
      // ws's bufferedAmount and close state still see these bytes.
      batcher.hold(connection);
      connection.write(frame);
      core.counters.bytesOut += frame.length;
    },
  };
  const session = core.open(key, endpoint);
  core.counters.socketOpened(codec.name);
  const onReply = (reply: Reply) => endpoint.deliver(reply);
  logger.info(about({}), "connected");

  socket.on("message", (payload: Buffer, isBinary: boolean) => {
    core.counters.bytesIn += payload.length;
    try {
      const decoded = codec.decode(payload, isBinary);
      if (logger.isLevelEnabled("debug")) logger.debug(about({ decoded }), "frame");
      if (decoded.type === "command") session.execute(decoded.command, onReply);
      else if (decoded.type === "reply") session.respond(decoded.reply, onReply);
      else socket.close(1000);
    } catch (error) {
      // A bug of ours must cost this connection at most, never the process.
      logger.error(about({ err: error }), "unexpected fault handling a frame");
      socket.close(1011, "internal error");
    }
  });
  socket.on("error", (error: Error & { code?: string }) => {
    if (error.code === FRAME_TOO_BIG) core.counters.limitHits.frame_size++;
    logger.info(about({ err: error }), "socket error");
  });
  socket.on("close", (code: number) => {
    core.counters.socketClosed(codec.name);
    logger.info(about({ code }), "disconnected");
    session
      .close()
      .catch((error: unknown) => logger.error(about({ err: error }), "cleanup after close failed"));
  });
}
