import { MessageType } from "../../src/protocols/pb.js";
import { findPayload } from "../harness/payload.js";
import type { Dialect, FrameSink } from "./dialect.js";

const SUCCEEDED = Buffer.from("succeeded");
const PONG = Buffer.from("pong");

/** Any frame without a payload is a reply; a success reply names an event `*_succeeded` (or `pong`). */
function replyOrDelivery(sink: FrameSink) {
  return (data: Buffer) => {
    const at = findPayload(data);
    if (at >= 0) sink.delivery(data, at);
    else sink.reply(data.includes(SUCCEEDED) || data.includes(PONG), data);
  };
}

/**
 * WEST's JSON protocol (docs/protocol.md, "JSON protocol"); the ws forwarder baseline speaks the same subset.
 */
export const westJson: Dialect = {
  path: (key) => `/websocket/json/${key}`,
  hello: () => '{"event":"ping"}',
  needsHello: false,
  subscribe: (channel) => JSON.stringify({ event: "subscribe", channel }),
  register: (channel) => JSON.stringify({ event: "register", channel }),
  publish: (channel, payload) => `{"event":"publish","channel":"${channel}","data":"${payload}"}`,
  send: (channel, payload) => `{"event":"send","channel":"${channel}","data":"${payload}"}`,
  reader: replyOrDelivery,
};

function pb(event: string, channel?: string, payload?: string): Buffer {
  const fields = { event, channel, data: payload === undefined ? undefined : Buffer.from(payload) };
  const bytes = MessageType.encode(fields).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** WEST's protobuf protocol: one encoded Message per binary frame. */
export const westPb: Dialect = {
  path: (key) => `/websocket/pb/${key}`,
  hello: () => pb("ping"),
  needsHello: false,
  subscribe: (channel) => pb("subscribe", channel),
  register: (channel) => pb("register", channel),
  publish: (channel, payload) => pb("publish", channel, payload),
  send: (channel, payload) => pb("send", channel, payload),
  reader: replyOrDelivery,
};
