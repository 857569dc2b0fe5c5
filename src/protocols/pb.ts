import { isUtf8 } from "node:buffer";
import protobuf from "protobufjs";
import {
  type Command,
  DELIVERY_EVENT,
  isNotice,
  isResponse,
  isWholeNumber,
  type Message,
  type Reason,
  reply,
} from "../core/message.js";
import type { Codec, Decoded } from "./codec.js";
import { dataAsBytes } from "./data.js";
import { replyData } from "./json.js";

/**
 * message.proto beside this file, field for field: the seed's fields 1-5 as they were, and v2's additions, which a
 * client built on the seed's schema skips as unknown fields. Names as protobufjs reads the .proto (camelCase:
 * `reply_to` is replyTo); the wire knows only the numbers.
 */
export const MessageType = new protobuf.Type("Message")
  .add(new protobuf.Field("event", 1, "string", "required"))
  .add(new protobuf.Field("channel", 2, "string", "optional"))
  .add(new protobuf.Field("from", 3, "string", "optional"))
  .add(new protobuf.Field("id", 4, "string", "optional"))
  .add(new protobuf.Field("data", 5, "bytes", "optional"))
  .add(new protobuf.Field("offset", 6, "uint64", "optional"))
  .add(new protobuf.Field("epoch", 7, "string", "optional"))
  .add(new protobuf.Field("recovered", 8, "bool", "optional"))
  .add(new protobuf.Field("limit", 9, "uint32", "optional"))
  .add(new protobuf.Field("replyTo", 10, "string", "optional"))
  .add(new protobuf.Field("timeoutMs", 11, "uint32", "optional"))
  .add(new protobuf.Field("reason", 12, "string", "optional"))
  .add(new protobuf.Field("complete", 13, "bool", "optional"));
new protobuf.Root().define("west").add(MessageType);

interface WireMessage {
  event: string;
  channel?: string;
  from?: string;
  id?: string;
  data?: Uint8Array;
  /** A Long when decoded (protobufjs reads every uint64 so), a number when encoded. */
  offset?: number | Long;
  epoch?: string;
  recovered?: boolean;
  limit?: number;
  replyTo?: string;
  timeoutMs?: number;
  reason?: string;
  complete?: boolean;
}

type Long = { toNumber(): number; greaterThan(other: number): boolean };

const has = (object: object, field: string) => Object.hasOwn(object, field);

/** `/websocket/pb/:key`: one encoded Message per binary frame (docs/protocol.md, "Protobuf protocol"). */
export const pbCodec: Codec = {
  name: "pb",

  decode(payload, isBinary): Decoded {
    if (!isBinary) return { type: "reply", reply: reply("bad_encoding") };
    let decoded: WireMessage;
    try {
      decoded = MessageType.decode(payload) as unknown as WireMessage;
    } catch (error) {
      // protobufjs reports a missing required field (proto2's `required string event`) as a ProtocolError.
      return badRequest(
        error instanceof protobuf.util.ProtocolError ? "missing event" : "not a protobuf Message",
      );
    }
    if (hasReplacement(decoded) && !stringsAreUtf8(payload)) return badRequest("a string field is not UTF-8");
    const command: Command = { event: decoded.event };
    if (has(decoded, "channel")) command.channel = decoded.channel;
    if (has(decoded, "id")) command.id = decoded.id;
    if (has(decoded, "data")) command.data = decoded.data;
    if (has(decoded, "offset")) {
      const offset = wholeNumber(decoded.offset);
      if (offset === undefined) return badRequest("offset is not a whole number");
      command.offset = offset;
    }
    if (has(decoded, "epoch")) command.epoch = decoded.epoch;
    if (has(decoded, "limit")) command.limit = decoded.limit;
    if (has(decoded, "timeoutMs")) command.timeoutMs = decoded.timeoutMs;
    return { type: "command", command };
  },

  encode(message: Message): Uint8Array | string {
    if (message.event === "bad_encoding") return "bad_encoding";
    const wire: WireMessage = { event: message.event, from: message.from };
    if (message.channel !== undefined) wire.channel = message.channel;
    if ("id" in message && message.id !== undefined) wire.id = String(message.id);
    if (isNotice(message)) return MessageType.encode(wire).finish();
    if (isResponse(message)) {
      wire.data = dataAsBytes(message.data);
      return MessageType.encode(wire).finish();
    }
    if (message.event === DELIVERY_EVENT) {
      wire.data = dataAsBytes(message.data);
      if (message.reply_to !== undefined) wire.replyTo = message.reply_to;
    } else {
      if (message.data !== undefined) wire.data = Buffer.from(JSON.stringify(replyData(message)));
      if (message.reason !== undefined) wire.reason = message.reason;
      if (message.recovered !== undefined) wire.recovered = message.recovered;
      if (message.complete !== undefined) wire.complete = message.complete;
    }
    if (message.offset !== undefined) wire.offset = message.offset;
    if (message.epoch !== undefined) wire.epoch = message.epoch;
    return MessageType.encode(wire).finish();
  },
};

function badRequest(reason: Reason): Decoded {
  return { type: "reply", reply: reply("bad_request", undefined, undefined, reason) };
}

/** An offset as a number, when it is one JavaScript holds exactly (below 2^53). */
function wholeNumber(value: number | Long | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return isWholeNumber(value) ? value : undefined;
  return value.greaterThan(Number.MAX_SAFE_INTEGER) ? undefined : value.toNumber();
}

/** Fields 1-4 (event, channel, from, id), 7 (epoch) and 10 (reply_to) are protobuf strings. */
const STRING_FIELDS = new Set([1, 2, 3, 4, 7, 10]);

/** Invalid UTF-8 in a string field decodes to U+FFFD: only then is the frame worth a second look. */
function hasReplacement(message: WireMessage): boolean {
  return [message.event, message.channel, message.from, message.id, message.epoch, message.replyTo].some(
    (text) => text?.includes("\uFFFD"),
  );
}

/**
 * A protobuf string must be UTF-8. Reading one that is not would silently turn it into another name
 * (every invalid byte becomes U+FFFD), so such a frame is one the codec cannot read.
 */
function stringsAreUtf8(payload: Uint8Array): boolean {
  const reader = protobuf.Reader.create(payload);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (STRING_FIELDS.has(tag >>> 3) && (tag & 7) === 2) {
      if (!isUtf8(reader.bytes())) return false;
    } else {
      reader.skipType(tag & 7);
    }
  }
  return true;
}
