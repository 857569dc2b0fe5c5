import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import type { Command, Data, Delivery, Message, Reason } from "../../src/core/message.js";
import { reply } from "../../src/core/message.js";
import type { Decoded } from "../../src/protocols/codec.js";
import { MessageType, pbCodec } from "../../src/protocols/pb.js";
import { pbFrame } from "../helpers/ws-client.js";

const decode = (frame: Uint8Array): Decoded => pbCodec.decode(Buffer.from(frame), true);
const commandOf = (decoded: Decoded): Command => {
  assert.equal(decoded.type, "command");
  return (decoded as { command: Command }).command;
};
/** The encoded Message as the fields actually on the wire (absent ones are not own properties). */
const onWire = (message: Message): Record<string, unknown> => {
  const frame = pbCodec.encode(message);
  assert.ok(frame instanceof Uint8Array, "a binary frame");
  const decoded = MessageType.decode(frame) as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(decoded).map((field) => [field, decoded[field]]));
};
const badRequest = (reason: Reason): Decoded => ({
  type: "reply",
  reply: reply("bad_request", undefined, undefined, reason),
});
const delivery = (data: Data): Delivery => ({ event: "new_message", from: "u2", channel: "c1", data });

describe("protobuf schema", () => {
  it("the codec's Message is message.proto's Message, field for field", () => {
    const protoPath = fileURLToPath(new URL("../../../src/protocols/message.proto", import.meta.url));
    const parsed = protobuf.parse(readFileSync(protoPath, "utf8")).root;
    parsed.resolveAll();
    MessageType.resolveAll();
    const describeFields = (type: protobuf.Type) =>
      type.fieldsArray
        .map((f) => ({ name: f.name, id: f.id, type: f.type, required: f.required, repeated: f.repeated }))
        .sort((a, b) => a.id - b.id);
    const fromProto = describeFields(parsed.lookupType("Message"));
    assert.deepEqual(describeFields(MessageType), fromProto);
    assert.deepEqual(fromProto, [
      { name: "event", id: 1, type: "string", required: true, repeated: false },
      { name: "channel", id: 2, type: "string", required: false, repeated: false },
      { name: "from", id: 3, type: "string", required: false, repeated: false },
      { name: "id", id: 4, type: "string", required: false, repeated: false },
      { name: "data", id: 5, type: "bytes", required: false, repeated: false },
      { name: "offset", id: 6, type: "uint64", required: false, repeated: false },
      { name: "epoch", id: 7, type: "string", required: false, repeated: false },
      { name: "recovered", id: 8, type: "bool", required: false, repeated: false },
      { name: "limit", id: 9, type: "uint32", required: false, repeated: false },
      { name: "replyTo", id: 10, type: "string", required: false, repeated: false },
      { name: "timeoutMs", id: 11, type: "uint32", required: false, repeated: false },
      { name: "reason", id: 12, type: "string", required: false, repeated: false },
      { name: "complete", id: 13, type: "bool", required: false, repeated: false },
    ]);
  });
});

/** The original WEST's message.proto (2015), the schema its protobuf clients were built on. */
const ORIGINAL_SCHEMA = `
message Message {
  optional string id = 4;
  optional string from = 3;
  required string event = 1;
  optional string channel = 2;
  optional bytes data = 5;
}`;

describe("protobuf schema: a client built on the original message.proto", () => {
  const original = protobuf.parse(ORIGINAL_SCHEMA).root.lookupType("Message");
  const read = (message: Message) => {
    const frame = pbCodec.encode(message);
    assert.ok(frame instanceof Uint8Array, "a binary frame");
    return original.toObject(original.decode(frame));
  };

  it("decodes a reply carrying a reason, the unknown field skipped", () => {
    const withReason = reply("registration_failed", "a b", "7", "channel name contains whitespace");
    assert.ok(Buffer.from(pbCodec.encode(withReason)).includes("channel name contains whitespace"), "sent");
    assert.deepEqual(read(withReason), {
      event: "registration_failed",
      from: "west",
      channel: "a b",
      id: "7",
    });
    assert.deepEqual(read(reply("internal_error", undefined, undefined, "timed out")), {
      event: "internal_error",
      from: "west",
    });
  });

  it("decodes replies without a reason and deliveries as before", () => {
    assert.deepEqual(read(reply("registration_succeeded", "c1", "7")), {
      event: "registration_succeeded",
      from: "west",
      channel: "c1",
      id: "7",
    });
    const { data, ...fields } = read(delivery("hi"));
    assert.deepEqual(fields, { event: "new_message", from: "u2", channel: "c1" });
    assert.deepEqual(Buffer.from(data as Uint8Array), Buffer.from("hi"));
  });

  it("a command it encodes decodes here as it did", () => {
    const frame = original.encode({ event: "register", channel: "c1", id: "9" }).finish();
    assert.deepEqual(commandOf(decode(frame)), { event: "register", channel: "c1", id: "9" });
  });
});

describe("protobuf protocol: decoding commands", () => {
  const forms: [string, Parameters<typeof pbFrame>[0], Command][] = [
    ["ping", { event: "ping" }, { event: "ping" }],
    ["ping with an id", { event: "ping", id: "p1" }, { event: "ping", id: "p1" }],
    [
      "register",
      { event: "register", channel: "c1", id: "7" },
      { event: "register", channel: "c1", id: "7" },
    ],
    ["unregister", { event: "unregister", channel: "c1" }, { event: "unregister", channel: "c1" }],
    ["subscribe", { event: "subscribe", channel: "c1" }, { event: "subscribe", channel: "c1" }],
    ["unsubscribe", { event: "unsubscribe", channel: "c1" }, { event: "unsubscribe", channel: "c1" }],
    ["send without data", { event: "send", channel: "r1" }, { event: "send", channel: "r1" }],
    ["an unknown event", { event: "dance", channel: "c1" }, { event: "dance", channel: "c1" }],
    ["an empty id", { event: "ping", id: "" }, { event: "ping", id: "" }],
  ];
  for (const [what, fields, expected] of forms) {
    it(`reads ${what}`, () => {
      assert.deepEqual(commandOf(decode(pbFrame(fields))), expected);
    });
  }

  it("reads send and publish with their data as bytes", () => {
    const send = commandOf(decode(pbFrame({ event: "send", channel: "r1", data: "hi" })));
    assert.equal(send.event, "send");
    assert.ok(send.data instanceof Uint8Array);
    assert.deepEqual(Buffer.from(send.data), Buffer.from("hi"));
    const bytes = new Uint8Array([0, 0xff, 0xfe, 10]);
    const publish = commandOf(decode(pbFrame({ event: "publish", channel: "c1", data: bytes })));
    assert.equal(publish.event, "publish");
    assert.equal(publish.channel, "c1");
    assert.deepEqual(Buffer.from(publish.data as Uint8Array), Buffer.from(bytes));
  });

  it("zero bytes of data are data", () => {
    const frame = pbFrame({ event: "publish", channel: "c1", data: new Uint8Array() });
    assert.deepEqual(Buffer.from(frame.subarray(-2)), Buffer.from([0x2a, 0x00]), "field 5, length 0");
    const publish = commandOf(decode(frame));
    assert.ok(publish.data instanceof Uint8Array);
    assert.equal(publish.data.length, 0);
  });

  it("a field order other than the schema's reads the same", () => {
    const writer = protobuf.Writer.create();
    writer.uint32((5 << 3) | 2).bytes(Buffer.from("x"));
    writer.uint32((2 << 3) | 2).string("c1");
    writer.uint32((1 << 3) | 2).string("publish");
    const publish = commandOf(decode(writer.finish()));
    assert.equal(publish.event, "publish");
    assert.equal(publish.channel, "c1");
    assert.deepEqual(Buffer.from(publish.data as Uint8Array), Buffer.from("x"));
  });
});

describe("protobuf protocol: a binary frame that does not decode gets bad_request", () => {
  const bad: [string, Uint8Array, Reason][] = [
    ["garbage", new Uint8Array([0xff, 0xff, 0xff]), "not a protobuf Message"],
    ["text bytes", Buffer.from("hello, this is not protobuf"), "not a protobuf Message"],
    ["an empty frame", new Uint8Array(), "missing event"],
    ["a message without event", pbFrame({ event: "x", channel: "c1" }).subarray(3), "missing event"],
    [
      "a truncated message",
      pbFrame({ event: "publish", channel: "c1", data: "hello" }).subarray(0, 12),
      "not a protobuf Message",
    ],
    ["a length past the end", new Uint8Array([0x0a, 0x10, 0x70]), "not a protobuf Message"],
  ];
  for (const [what, frame, reason] of bad) {
    it(`${what}: ${reason}`, () => {
      assert.deepEqual(decode(frame), badRequest(reason));
    });
  }

  /** A frame of `register` whose field `field` holds `bytes`. */
  const withField = (field: number, bytes: number[]) =>
    new Uint8Array([0x0a, 8, ...Buffer.from("register"), (field << 3) | 2, bytes.length, ...bytes]);
  for (const [name, field] of [
    ["channel", 2],
    ["id", 4],
    ["from", 3],
  ] as const) {
    it(`a ${name} that is not UTF-8 (a protobuf string must be)`, () => {
      assert.deepEqual(decode(withField(field, [0x63, 0xff])), badRequest("a string field is not UTF-8"));
    });
  }

  it("an event that is not UTF-8", () => {
    assert.deepEqual(
      decode(new Uint8Array([0x0a, 3, 0x70, 0xc3, 0x28])),
      badRequest("a string field is not UTF-8"),
    );
  });

  it("a real U+FFFD in a name is valid UTF-8 and reads as itself", () => {
    assert.deepEqual(commandOf(decode(withField(2, [...Buffer.from("a\uFFFDb")]))), {
      event: "register",
      channel: "a\uFFFDb",
    });
  });

  it("data that is not UTF-8 is fine: data is bytes", () => {
    const publish = commandOf(
      decode(pbFrame({ event: "publish", channel: "c\uFFFD", data: new Uint8Array([0xff]) })),
    );
    assert.deepEqual(Buffer.from(publish.data as Uint8Array), Buffer.from([0xff]));
    assert.equal(publish.channel, "c\uFFFD");
  });

  it("bad_request is an encoded Message {event, from}", () => {
    assert.deepEqual(onWire(reply("bad_request")), { event: "bad_request", from: "west" });
    assert.deepEqual(onWire(reply("bad_request", undefined, undefined, "missing event")), {
      event: "bad_request",
      from: "west",
      reason: "missing event",
    });
  });
});

describe("protobuf protocol: a text frame", () => {
  it("gets the text frame bad_encoding", () => {
    const decoded = pbCodec.decode(Buffer.from("ping"), false);
    assert.deepEqual(decoded, { type: "reply", reply: reply("bad_encoding") });
    assert.equal(pbCodec.encode(reply("bad_encoding")), "bad_encoding");
  });
});

describe("protobuf protocol: encoding replies and deliveries", () => {
  it("a reply is an encoded Message with absent fields left out", () => {
    assert.deepEqual(onWire(reply("registration_succeeded", "c1", "7")), {
      event: "registration_succeeded",
      from: "west",
      channel: "c1",
      id: "7",
    });
    assert.deepEqual(onWire(reply("pong")), { event: "pong", from: "west" });
    assert.deepEqual(onWire(reply("action_not_allowed", undefined, "x")), {
      event: "action_not_allowed",
      from: "west",
      id: "x",
    });
    assert.deepEqual(onWire(reply("registration_lost", "r1")), {
      event: "registration_lost",
      from: "west",
      channel: "r1",
    });
  });

  it("a reply with a reason carries it as field 12, after the v1 fields", () => {
    const frame = pbCodec.encode(reply("sending_failed", "c1", "7", "missing data"));
    const tail = Buffer.concat([Buffer.from([(12 << 3) | 2, 12]), Buffer.from("missing data")]);
    assert.deepEqual(Buffer.from(frame as Uint8Array).subarray(-tail.length), tail);
    assert.deepEqual(onWire(reply("sending_failed", "c1", "7", "missing data")), {
      event: "sending_failed",
      from: "west",
      channel: "c1",
      id: "7",
      reason: "missing data",
    });
  });

  const kinds: [string, Data, Buffer][] = [
    ["text as its UTF-8 bytes", "héllo", Buffer.from("héllo", "utf8")],
    ["empty text as zero bytes", "", Buffer.alloc(0)],
    ["a json object as its JSON text", { a: [1, "two", null] }, Buffer.from('{"a":[1,"two",null]}')],
    ["a json number as its JSON text", 42, Buffer.from("42")],
    ["json false as its JSON text", false, Buffer.from("false")],
    ["binary as is", new Uint8Array([0xff, 0xfe, 0x00]), Buffer.from([0xff, 0xfe, 0x00])],
    ["empty binary as zero bytes", new Uint8Array(), Buffer.alloc(0)],
  ];
  for (const [what, data, bytes] of kinds) {
    it(`a delivery carries ${what}`, () => {
      const fields = onWire(delivery(data));
      assert.deepEqual(
        { ...fields, data: Buffer.from(fields.data as Uint8Array) },
        { event: "new_message", from: "u2", channel: "c1", data: bytes },
      );
    });
  }

  it("bytes that are a view into a larger buffer are sent from their own range", () => {
    const view = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    assert.deepEqual(Buffer.from(onWire(delivery(view)).data as Uint8Array), Buffer.from([2, 3]));
  });
});
