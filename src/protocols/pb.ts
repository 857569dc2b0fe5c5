import { isUtf8 } from "node:buffer";
import protobuf from "protobufjs";
import { type Command, type Message, type Reason, reply } from "../core/message.js";
import type { Codec, Decoded } from "./codec.js";
import { dataAsBytes } from "./data.js";

/**
 * message.proto beside this file, field for field: the seed's fields 1-5 as they were, and v2's additions, which a
 * client built on the seed's schema skips as unknown fields.
 */
export const MessageType = new protobuf.Type("Message")
  .add(new protobuf.Field("event", 1, "string", "required"))
  .add(new protobuf.Field("channel", 2, "string", "optional"))
  .add(new protobuf.Field("from", 3, "string", "optional"))
  .add(new protobuf.Field("id", 4, "string", "optional"))
  .add(new protobuf.Field("data", 5, "bytes", "optional"))
  .add(new protobuf.Field("reason", 12, "string", "optional"));
new protobuf.Root().define("west").add(MessageType);

interface WireMessage {
  event: string;
  channel?: string;
  from?: string;
  id?: string;
  data?: Uint8Array;
  reason?: string;
}

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
    return { type: "command", command };
  },

  encode(message: Message): Uint8Array | string {
    if (message.event === "bad_encoding") return "bad_encoding";
    const wire: WireMessage = { event: message.event, from: message.from };
    if (message.channel !== undefined) wire.channel = message.channel;
    if ("id" in message && message.id !== undefined) wire.id = String(message.id);
    if ("data" in message) wire.data = dataAsBytes(message.data);
    else if (message.reason !== undefined) wire.reason = message.reason;
    return MessageType.encode(wire).finish();
  },
};

function badRequest(reason: Reason): Decoded {
  return { type: "reply", reply: reply("bad_request", undefined, undefined, reason) };
}

/** Fields 1-4 (event, channel, from, id) are protobuf strings. */
const STRING_FIELDS = new Set([1, 2, 3, 4]);

/** Invalid UTF-8 in a string field decodes to U+FFFD: only then is the frame worth a second look. */
function hasReplacement(message: WireMessage): boolean {
  return [message.event, message.channel, message.from, message.id].some((text) => text?.includes("\uFFFD"));
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
