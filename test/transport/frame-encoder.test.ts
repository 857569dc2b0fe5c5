import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Delivery, type Message, reply } from "../../src/core/message.js";
import type { Codec, Frame } from "../../src/protocols/codec.js";
import { jsonCodec } from "../../src/protocols/json.js";
import { pbCodec } from "../../src/protocols/pb.js";
import { textCodec } from "../../src/protocols/text.js";
import { frameEncoder } from "../../src/transport/frame-encoder.js";

const delivery = (data: Delivery["data"]): Delivery => ({
  event: "new_message",
  from: "alice",
  channel: "news",
  data,
});

/** A codec that counts its encodes. */
function counting(codec: Codec): Codec & { encodes: number } {
  const counted = {
    ...codec,
    encodes: 0,
    encode(message: Message): Frame {
      counted.encodes++;
      return codec.encode(message);
    },
  };
  return counted;
}

/** The fields of one server frame (RFC 6455 section 5.2). */
function parse(frame: Buffer): { fin: boolean; opcode: number; masked: boolean; payload: Buffer } {
  const first = frame[0] as number;
  const second = frame[1] as number;
  const length7 = second & 0x7f;
  const [length, offset] =
    length7 === 126
      ? [frame.readUInt16BE(2), 4]
      : length7 === 127
        ? [Number(frame.readBigUInt64BE(2)), 10]
        : [length7, 2];
  assert.equal(frame.length, offset + length, "one complete frame");
  return {
    fin: (first & 0x80) !== 0,
    opcode: first & 0x0f,
    masked: (second & 0x80) !== 0,
    payload: frame.subarray(offset),
  };
}

const bytesOf = (frame: Frame) => (typeof frame === "string" ? Buffer.from(frame) : Buffer.from(frame));

describe("frameEncoder: each message encoded and framed once per protocol", () => {
  it("the same Message object is encoded once: every subscriber gets the same Buffer", () => {
    const codec = counting(jsonCodec);
    const encode = frameEncoder(codec);
    const message = delivery("hello");
    const first = encode(message);
    assert.equal(encode(message), first);
    assert.equal(encode(message), first);
    assert.equal(codec.encodes, 1);
  });

  it("another message is encoded anew, even with the same fields", () => {
    const codec = counting(jsonCodec);
    const encode = frameEncoder(codec);
    const first = encode(delivery("hello"));
    const second = encode(delivery("hello"));
    assert.notEqual(second, first);
    assert.deepEqual(second, first);
    const third = encode(delivery("bye"));
    assert.deepEqual(parse(third).payload, Buffer.from(jsonCodec.encode(delivery("bye"))));
    assert.equal(codec.encodes, 3);
  });

  it("text and json send text frames, pb binary frames: complete, unmasked, carrying what the codec encoded", () => {
    const cases: [Codec, number][] = [
      [textCodec, 1],
      [jsonCodec, 1],
      [pbCodec, 2],
    ];
    for (const [codec, opcode] of cases) {
      for (const message of [delivery("hello"), delivery(new Uint8Array(300).fill(7)), reply("pong")]) {
        const frame = parse(frameEncoder(codec)(message));
        assert.deepEqual(
          frame,
          { fin: true, opcode, masked: false, payload: bytesOf(codec.encode(message)) },
          `${codec.name} ${message.event}`,
        );
      }
    }
  });

  it("pb's bad_encoding, which it sends as text, goes out as a text frame", () => {
    const frame = parse(frameEncoder(pbCodec)(reply("bad_encoding")));
    assert.deepEqual(frame, { fin: true, opcode: 1, masked: false, payload: Buffer.from("bad_encoding") });
  });

  it("bytes a codec returns as a view into a larger buffer are framed as the view alone", () => {
    const backing = Buffer.from("xxxxxbinaryyyyyy");
    const codec: Codec = {
      ...pbCodec,
      encode: () => new Uint8Array(backing.buffer, backing.byteOffset + 5, 6),
    };
    assert.deepEqual(parse(frameEncoder(codec)(delivery("ignored"))).payload, Buffer.from("binary"));
  });
});
