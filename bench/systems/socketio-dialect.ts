import { findPayload } from "../harness/payload.js";
import type { Dialect } from "./dialect.js";

// Engine.IO 4 packet types (first character) and Socket.IO 5 packet types (second, inside a message).
const ENGINE_PING = 0x32;
const ENGINE_MESSAGE = 0x34;
const IO_CONNECT = 0x30;
const IO_EVENT = 0x32;
const IO_ACK = 0x33;
const TRUE = Buffer.from("true");

let ackId = 0;
const event = (...args: string[]) => `42${++ackId}${JSON.stringify(args)}`;

/**
 * Socket.IO 4 over a plain WebSocket, packet for packet what socket.io-client sends with
 * transports: ["websocket"]: `40` joins the default namespace, `42<id>[...]` emits with an acknowledgement,
 * `43<id>[...]` is the acknowledgement, and an Engine.IO ping `2` is answered `3`. The baseline server
 * (bench/baselines/socketio-server.ts) acknowledges every request with `true` or `false`.
 */
export const socketIo: Dialect = {
  path: () => "/socket.io/?EIO=4&transport=websocket",
  hello: () => "40",
  needsHello: true,
  subscribe: (channel) => event("subscribe", channel),
  register: (channel) => event("register", channel),
  publish: (channel, payload) => event("publish", channel, payload),
  send: (channel, payload) => event("send", channel, payload),
  reader: (sink) => (data) => {
    const engineType = data[0];
    if (engineType === ENGINE_PING) {
      sink.send("3");
      return;
    }
    if (engineType !== ENGINE_MESSAGE) return;
    const ioType = data[1];
    if (ioType === IO_EVENT) {
      const at = findPayload(data);
      if (at >= 0) sink.delivery(data, at);
    } else if (ioType === IO_ACK) {
      sink.reply(data.includes(TRUE), data);
    } else if (ioType === IO_CONNECT) {
      sink.reply(true, data);
    } else {
      sink.reply(false, data);
    }
  },
};
