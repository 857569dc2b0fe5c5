import type { Dialect, FrameSink } from "./dialect.js";

const LF = 0x0a;
const CONNECT = `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, protocol: 1, headers: false, no_responders: false })}\r\n`;
const PING = "PING\r\n";

let sid = 0;

/**
 * The NATS client protocol over NATS's WebSocket listener. NATS has no per-command reply, so every request
 * ends with PING and its PONG is the acknowledgement: the server answers in order, after it has processed
 * what came before. There is no registration: a point-to-point address is a subject with one subscriber.
 */
export const nats: Dialect = {
  path: () => "/",
  hello: () => CONNECT + PING,
  needsHello: true,
  subscribe: (subject) => `SUB ${subject} ${++sid}\r\n${PING}`,
  register: (subject) => `SUB ${subject} ${++sid}\r\n${PING}`,
  publish: (subject, payload) => `PUB ${subject} ${payload.length}\r\n${payload}\r\n${PING}`,
  send: (subject, payload) => `PUB ${subject} ${payload.length}\r\n${payload}\r\n${PING}`,
  reader: natsReader,
};

/** WebSocket frames carry a byte stream: a frame may hold several operations, or part of one. */
function natsReader(sink: FrameSink): (data: Buffer) => void {
  let rest: Buffer | undefined;
  /** The size of the MSG payload awaited, or -1 while reading operation lines. */
  let payloadBytes = -1;
  return (data) => {
    let buffer = data;
    if (rest !== undefined) {
      buffer = Buffer.concat([rest, data]);
      rest = undefined;
    }
    let pos = 0;
    while (pos < buffer.length) {
      if (payloadBytes >= 0) {
        if (buffer.length - pos < payloadBytes + 2) break;
        sink.delivery(buffer, pos);
        pos += payloadBytes + 2;
        payloadBytes = -1;
        continue;
      }
      const end = buffer.indexOf(LF, pos);
      if (end < 0) break;
      const op = buffer[pos];
      if (op === 0x4d) {
        // MSG <subject> <sid> [reply-to] <#bytes>
        payloadBytes = Number(buffer.toString("latin1", buffer.lastIndexOf(0x20, end) + 1, end - 1));
      } else if (op === 0x50) {
        if (buffer[pos + 1] === 0x4f) sink.reply(true, buffer.subarray(pos, end));
        else sink.send("PONG\r\n");
      } else if (op === 0x2d) {
        sink.reply(false, buffer.subarray(pos, end));
      }
      // INFO and +OK need nothing.
      pos = end + 1;
    }
    if (pos < buffer.length) rest = buffer.subarray(pos);
  };
}
