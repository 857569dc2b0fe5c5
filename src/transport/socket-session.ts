import WebSocket from "ws";
import type { Core } from "../core/core.js";
import type { Message, Reply } from "../core/message.js";
import type { Logger } from "../log.js";
import type { Codec } from "../protocols/codec.js";

/** Binds one WebSocket to one core Session through its protocol's codec. */
export function attachSocket(socket: WebSocket, codec: Codec, key: string, core: Core, logger: Logger): void {
  const log = logger.child({ key, protocol: codec.name });
  const endpoint = {
    deliver(message: Message): void {
      if (socket.readyState !== WebSocket.OPEN) return;
      let frame: ReturnType<Codec["encode"]>;
      try {
        frame = codec.encode(message);
      } catch (error) {
        log.error({ err: error, event: message.event }, "message could not be encoded");
        return;
      }
      socket.send(frame);
    },
  };
  const session = core.open(key, endpoint);
  const onReply = (reply: Reply) => endpoint.deliver(reply);
  log.info({ session: session.id }, "connected");

  socket.on("message", (payload: Buffer, isBinary: boolean) => {
    const decoded = codec.decode(payload, isBinary);
    if (log.isLevelEnabled("debug")) log.debug({ decoded }, "frame");
    if (decoded.type === "command") session.execute(decoded.command, onReply);
    else if (decoded.type === "reply") session.respond(decoded.reply, onReply);
    else socket.close(1000);
  });
  socket.on("error", (error) => log.info({ err: error }, "socket error"));
  socket.on("close", (code: number) => {
    log.info({ session: session.id, code }, "disconnected");
    session.close().catch((error: unknown) => log.error({ err: error }, "cleanup after close failed"));
  });
}
