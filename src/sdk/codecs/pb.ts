import type { Reader, Writer } from "protobufjs";
import { type Codec, utf8Encoder, type Wire } from "./wire.js";

type Runtime = { Reader: typeof Reader; Writer: typeof Writer };

const STRING_FIELDS = [
  [1, "event"],
  [2, "channel"],
  [3, "from"],
  [4, "id"],
  [7, "epoch"],
  [10, "reply_to"],
  [12, "reason"],
] as const;
const LENGTH_DELIMITED = 2;
const VARINT = 0;

/**
 * The protobuf protocol (the `Message` of src/protocols/message.proto), written with protobufjs's runtime, which
 * is loaded only when a client asks for `protocol: "pb"`. Data is bytes on this protocol: a string goes as its
 * UTF-8, any other non-bytes value as its JSON text; received data is always a Uint8Array.
 */
export async function loadPbCodec(): Promise<Codec> {
  const imported = (await import("protobufjs/minimal.js")) as unknown as Runtime & { default?: Runtime };
  const { Reader, Writer } = imported.default ?? imported;
  return {
    protocol: "pb",
    encode(message) {
      const writer = Writer.create();
      for (const [field, name] of STRING_FIELDS) {
        const value = message[name];
        if (value !== undefined) writer.uint32((field << 3) | LENGTH_DELIMITED).string(value);
      }
      if (message.data !== undefined) writer.uint32((5 << 3) | LENGTH_DELIMITED).bytes(bytesOf(message.data));
      if (message.offset !== undefined) writer.uint32((6 << 3) | VARINT).uint64(message.offset);
      if (message.recovered !== undefined) writer.uint32((8 << 3) | VARINT).bool(message.recovered);
      if (message.limit !== undefined) writer.uint32((9 << 3) | VARINT).uint32(message.limit);
      if (message.timeout_ms !== undefined) writer.uint32((11 << 3) | VARINT).uint32(message.timeout_ms);
      if (message.complete !== undefined) writer.uint32((13 << 3) | VARINT).bool(message.complete);
      return writer.finish();
    },
    decode(frame) {
      if (typeof frame === "string") throw new Error("a text frame on the protobuf protocol");
      const reader = Reader.create(frame instanceof Uint8Array ? frame : new Uint8Array(frame));
      const message: Partial<Wire> = {};
      while (reader.pos < reader.len) {
        const tag = reader.uint32();
        const field = tag >>> 3;
        const name = STRING_FIELDS.find(([number]) => number === field)?.[1];
        if (name !== undefined) message[name] = reader.string();
        else if (field === 5) message.data = reader.bytes();
        else if (field === 6)
          message.offset = numberOf(reader.uint64() as unknown as number | { toNumber(): number });
        else if (field === 8) message.recovered = reader.bool();
        else if (field === 9) message.limit = reader.uint32();
        else if (field === 11) message.timeout_ms = reader.uint32();
        else if (field === 13) message.complete = reader.bool();
        else reader.skipType(tag & 7);
      }
      if (typeof message.event !== "string") throw new Error("a message without event");
      return message as Wire;
    },
  };
}

function bytesOf(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  return utf8Encoder.encode(typeof data === "string" ? data : JSON.stringify(data));
}

function numberOf(value: number | { toNumber(): number }): number {
  return typeof value === "number" ? value : value.toNumber();
}
