import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { describe, it } from "node:test";
import fc from "fast-check";
import protobuf from "protobufjs";
import {
  BAD_REQUEST_REASONS,
  COMMANDS,
  type Command,
  type Data,
  type Delivery,
  type JsonValue,
  REASONS,
  REPLY_EVENTS,
  type Reply,
  type RequestId,
} from "../../src/core/message.js";
import { isValidKey, isValidName } from "../../src/core/names.js";
import { DEFAULTS } from "../../src/options.js";
import type { Codec, Decoded, ProtocolName } from "../../src/protocols/codec.js";
import { jsonCodec } from "../../src/protocols/json.js";
import { MessageType, pbCodec } from "../../src/protocols/pb.js";
import { TEXT_REQUEST_OUTCOMES, textCodec } from "../../src/protocols/text.js";
import { decodeFrame, TEXT_WORDS, textQuote } from "../helpers/ws-client.js";

/**
 * Properties of the three codecs (docs/protocol.md): decoding any frame returns a well-formed Decoded and
 * never throws; a command written the way a client of the protocol writes it decodes to itself; a reply or a
 * delivery encoded by the server reads back, the way a client reads it, as what was sent (per data kind).
 */

const CODECS: Record<ProtocolName, Codec> = { text: textCodec, json: jsonCodec, pb: pbCodec };
const RUNS = { arbitrary: 6000, structured: 5000, roundTrip: 3000 };
/** Replies a codec makes by itself, for a frame that is no command. */
const CODEC_REPLIES = new Set(["bad_request", "bad_encoding", "action_not_allowed"]);

const hasLoneSurrogate = (text: string) => /\p{Cs}/u.test(text);

function isFiniteJson(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isFiniteJson);
  if (typeof value === "object" && value !== null && !(value instanceof Uint8Array))
    return Object.values(value).every(isFiniteJson);
  return true;
}

/** What every decode result must look like, whatever the frame. */
function assertWellFormed(codec: Codec, decoded: Decoded): void {
  switch (decoded.type) {
    case "close":
      assert.deepEqual(Object.keys(decoded), ["type"]);
      assert.notEqual(codec.name, "pb", "pb has no bye");
      return;
    case "reply": {
      const { reply } = decoded;
      assert.ok(CODEC_REPLIES.has(reply.event), `codec reply ${reply.event}`);
      assert.equal(reply.from, "west");
      assert.ok(reply.channel === undefined);
      assertId(reply.id);
      if (reply.event === "bad_request")
        assert.ok(
          (BAD_REQUEST_REASONS as readonly string[]).includes(reply.reason as string),
          `bad_request says why, from the list: ${reply.reason}`,
        );
      else assert.equal(reply.reason, undefined, `${reply.event} has no reason`);
      return;
    }
    case "command": {
      const { command } = decoded;
      for (const field of Object.keys(command))
        assert.ok(
          ["event", "channel", "id", "data", "offset", "epoch", "limit"].includes(field),
          `field ${field}`,
        );
      const whole = (value: unknown) =>
        typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
      assert.ok(command.offset === undefined || whole(command.offset), `offset ${command.offset}`);
      assert.ok(command.limit === undefined || whole(command.limit), `limit ${command.limit}`);
      assert.ok(command.epoch === undefined || typeof command.epoch === "string", "epoch is a string");
      assert.notEqual(codec.name === "text" && "offset" in command, true, "text has no offsets");
      assert.equal(typeof command.event, "string");
      assert.ok(command.channel === undefined || typeof command.channel === "string");
      assertId(command.id);
      if ("data" in command) {
        assert.ok(command.data !== undefined && command.data !== null, "data present means data");
        assert.ok(isFiniteJson(command.data), "a JSON value a JSON client can receive as it was sent");
      }
      if (codec.name !== "json") {
        assert.ok(command.id === undefined || typeof command.id === "string");
        for (const text of [command.event, command.channel, command.epoch])
          assert.ok(text === undefined || !hasLoneSurrogate(text), "strings from UTF-8 are well-formed");
      }
      if (codec.name === "text") assert.ok(command.data === undefined || typeof command.data === "string");
      if (codec.name === "pb") assert.ok(command.data === undefined || command.data instanceof Uint8Array);
      return;
    }
    default:
      assert.fail(`unknown decode result ${JSON.stringify(decoded)}`);
  }
}

function assertId(id: RequestId | undefined): void {
  assert.ok(id === undefined || typeof id === "string" || Number.isFinite(id), `id ${String(id)}`);
}

function decodeChecked(codec: Codec, payload: Uint8Array, isBinary: boolean): Decoded {
  let decoded: Decoded;
  try {
    decoded = codec.decode(Buffer.from(payload), isBinary);
  } catch (error) {
    assert.fail(`${codec.name} decode threw on ${Buffer.from(payload).toString("hex")}: ${error}`);
  }
  assertWellFormed(codec, decoded);
  return decoded;
}

// ---------- generators ----------

/** Strings of every sort: ASCII, any code point, lone surrogates. */
const anyString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("", " ", '"', "\\", "\ud800", "\udc00x", "a\u0000b", "\u00a0", "\ufeff", "bye", "ping"),
);
/** Strings a client can put in a UTF-8 frame unchanged. */
const wellFormedString = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.string({ unit: "grapheme", maxLength: 16 }),
  fc.string({ unit: "binary", maxLength: 16 }).filter((text) => !hasLoneSurrogate(text)),
);
const eventName = fc.oneof(fc.constantFrom(...COMMANDS), wellFormedString);
const validName = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }),
  )
  .filter((name) => isValidName(name, DEFAULTS.maxChannelBytes));
const validKey = validName.filter((name) => isValidKey(name, DEFAULTS.maxKeyBytes));
const bytes = fc.uint8Array({ maxLength: 48 });
/** JSON values as a JSON client sends them (no -0: JSON writes it as 0). */
const jsonValue = fc
  .jsonValue({ maxDepth: 3 })
  .map((value) => JSON.parse(JSON.stringify(value)) as JsonValue);
const jsonId = fc.oneof(
  wellFormedString,
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
);

/** A number or value in raw JSON text, including forms that overflow a double or lose their type. */
const rawJsonValue = fc.oneof(
  jsonValue.map((value) => JSON.stringify(value)),
  anyString.map((text) => JSON.stringify(text)),
  fc.constantFrom(
    "1e400",
    "-1e400",
    "1e308",
    "-0",
    "123456789012345678901234567890",
    "0.1e-400",
    '{"a":1e999}',
    "[1,-1e999]",
    '{"nested":{"deep":[1E+400]}}',
    '"\\ud800"',
    '"\\udc00\\ud800"',
    '"base64"',
    '"QUJD"',
    '"not base64!"',
    "null",
    "true",
    "[]",
    "{}",
  ),
);
const jsonKey = fc.oneof(
  fc.constantFrom(
    "event",
    "channel",
    "id",
    "data",
    "encoding",
    "from",
    "__proto__",
    "constructor",
    "toString",
  ),
  anyString,
);
/** A JSON object text, possibly with duplicate keys and values of any type, usually naming an event. */
const nearValidJson = fc
  .tuple(
    fc.option(
      fc.oneof(
        fc.constantFrom(...COMMANDS).map((e) => JSON.stringify(e)),
        rawJsonValue,
      ),
    ),
    fc.array(fc.tuple(jsonKey, rawJsonValue), { maxLength: 6 }),
  )
  .map(([event, fields]) => {
    const pairs = fields.map(([key, value]) => `${JSON.stringify(key)}:${value}`);
    if (event !== null) pairs.unshift(`"event":${event}`);
    return `{${pairs.join(",")}}`;
  });

/** Character-level damage to a text: drop, insert or replace one character. */
const damaged = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(text, fc.nat(), fc.constantFrom("drop", "insert", "replace"), anyString)
    .map(([t, at, how, extra]) => {
      const i = t.length === 0 ? 0 : at % t.length;
      if (how === "drop") return t.slice(0, i) + t.slice(i + 1);
      if (how === "insert") return t.slice(0, i) + extra + t.slice(i);
      return t.slice(0, i) + extra + t.slice(i + 1);
    });

const textVerb = fc.constantFrom(
  "reg",
  "unreg",
  "sub",
  "unsub",
  "send",
  "pub",
  "ping",
  "bye",
  "PUB",
  "Reg",
  "",
);
const textWord = fc.oneof(
  anyString,
  anyString.map(textQuote),
  fc.constantFrom('"', '""', '"a', 'a"', '"\\x"', '"\\', '"a"b', '"a" "b"', "\\\\", "\t", "\n"),
);
const nearValidText = fc
  .tuple(textVerb, fc.array(textWord, { maxLength: 4 }), fc.constantFrom(" ", "  ", "\t", " \u00a0"))
  .map(([verb, words, separator]) => [verb, ...words].join(separator));

const INVALID_UTF8 = [
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
];
/** The bytes of one protobuf field: any field number, any wire type, any (or no) payload. */
const pbField = fc
  .tuple(
    fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constantFrom(0, 15, 16, 2047, 536870911)),
    fc.oneof(fc.constant(2), fc.integer({ min: 0, max: 7 })),
    fc.oneof(
      wellFormedString.map((text) => Buffer.from(text, "utf8")),
      fc.constantFrom(...INVALID_UTF8).map((b) => Buffer.from(b)),
      fc
        .tuple(wellFormedString, fc.constantFrom(...INVALID_UTF8))
        .map(([text, bad]) => Buffer.concat([Buffer.from(text, "utf8"), Buffer.from(bad)])),
      bytes.map((b) => Buffer.from(b)),
    ),
    fc.oneof(fc.nat(), fc.constantFrom(2 ** 32 - 1, 2 ** 31, Number.MAX_SAFE_INTEGER)),
  )
  .map(([field, wireType, payload, number]) => {
    const writer = protobuf.Writer.create().uint32(((field << 3) | wireType) >>> 0);
    if (wireType === 0) writer.uint64(number);
    else if (wireType === 1) writer.fixed64(number);
    else if (wireType === 2) writer.bytes(payload);
    else if (wireType === 5) writer.fixed32(number);
    // Group and undefined wire types: whatever bytes follow.
    else return Buffer.concat([writer.finish(), payload]);
    return writer.finish();
  });
/** A sequence of protobuf fields, usually with an event, perhaps cut short. */
const nearValidPb = fc
  .tuple(fc.option(eventName), fc.array(pbField, { maxLength: 6 }), fc.option(fc.nat()))
  .map(([event, fields, cut]) => {
    const head = event === null ? [] : [MessageType.encode({ event }).finish()];
    const frame = Buffer.concat([...head, ...fields]);
    return cut === null || frame.length === 0 ? frame : frame.subarray(0, cut % frame.length);
  });
/** A Message encoded by protobufjs from strings that may hold lone surrogates (written as invalid UTF-8). */
const pbFromOddStrings = fc
  .record(
    { event: anyString, channel: anyString, from: anyString, id: anyString, data: bytes },
    { requiredKeys: ["event"] },
  )
  .map((message) => MessageType.encode(message).finish());

// ---------- (a) decode never throws and returns a well-formed result ----------

describe("codec properties: any frame decodes to a command, a reply or a close, without throwing", () => {
  for (const codec of Object.values(CODECS)) {
    it(`${codec.name}: arbitrary bytes, as a text or a binary frame`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (payload, isBinary) => {
          decodeChecked(codec, payload, isBinary);
        }),
        { numRuns: RUNS.arbitrary },
      );
    });

    it(`${codec.name}: arbitrary strings (lone surrogates included) as UTF-8, text or binary frame`, () => {
      fc.assert(
        fc.property(anyString, fc.boolean(), (text, isBinary) => {
          decodeChecked(codec, Buffer.from(text, "utf8"), isBinary);
        }),
        { numRuns: RUNS.arbitrary },
      );
    });

    it(`${codec.name}: near-valid frames of every protocol`, () => {
      const frames = fc.oneof(
        nearValidJson.map((text) => ({ payload: Buffer.from(text, "utf8"), isBinary: false })),
        damaged(nearValidJson).map((text) => ({ payload: Buffer.from(text, "utf8"), isBinary: false })),
        nearValidText.map((text) => ({ payload: Buffer.from(text, "utf8"), isBinary: false })),
        damaged(nearValidText).map((text) => ({ payload: Buffer.from(text, "utf8"), isBinary: false })),
        nearValidPb.map((payload) => ({ payload, isBinary: true })),
        pbFromOddStrings.map((payload) => ({ payload, isBinary: true })),
      );
      fc.assert(
        fc.property(frames, ({ payload, isBinary }) => {
          decodeChecked(codec, payload, isBinary);
        }),
        { numRuns: RUNS.structured },
      );
    });
  }

  it("json: a frame that is no command is bad_request, with the id when it is a string or a finite number", () => {
    fc.assert(
      fc.property(nearValidJson, (text) => {
        const decoded = decodeChecked(jsonCodec, Buffer.from(text, "utf8"), false);
        if (decoded.type !== "reply") return;
        assert.equal(decoded.reply.event, "bad_request");
      }),
      { numRuns: RUNS.structured },
    );
  });

  it("pb: a string field that is not UTF-8 never becomes a name (bad_request instead)", () => {
    fc.assert(
      fc.property(nearValidPb, pbFromOddStrings, (a, b) => {
        for (const payload of [a, b]) {
          const decoded = decodeChecked(pbCodec, payload, true);
          if (decoded.type !== "command") continue;
          const { event, channel, id, epoch } = decoded.command;
          for (const text of [event, channel, id, epoch])
            assert.ok(typeof text !== "string" || !text.includes("\ufffd") || payload.includes(0xef));
        }
      }),
      { numRuns: RUNS.structured },
    );
  });
});

// ---------- (b) round trips ----------

/** Binary data as comparable values: Buffer and Uint8Array of the same bytes are the same data. */
function comparable(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString("hex") };
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, comparable(field)]));
}

function decodedCommand(codec: Codec, frame: string | Uint8Array): Command {
  const isBinary = typeof frame !== "string";
  const decoded = decodeChecked(
    codec,
    typeof frame === "string" ? Buffer.from(frame, "utf8") : frame,
    isBinary,
  );
  assert.equal(decoded.type, "command", `a command, got ${JSON.stringify(decoded)}`);
  return (decoded as { command: Command }).command;
}

const withOptional = <T extends object>(fields: T) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null)) as {
    [K in keyof T]?: Exclude<T[K], null>;
  };

describe("codec properties: a command written as a client writes it decodes to itself", () => {
  it("json: an object with event, channel, id (string or number) and data of kind text or json", () => {
    const command = fc
      .record({
        event: eventName,
        channel: fc.option(wellFormedString),
        id: fc.option(jsonId),
        data: fc.option(jsonValue.filter((value) => value !== null)),
      })
      .map(withOptional);
    fc.assert(
      fc.property(command, (sent) => {
        assert.deepEqual(comparable(decodedCommand(jsonCodec, JSON.stringify(sent))), comparable(sent));
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  it('json: binary data as base64 with "encoding":"base64" decodes to the bytes', () => {
    fc.assert(
      fc.property(eventName, validName, bytes, (event, channel, data) => {
        const frame = JSON.stringify({
          event,
          channel,
          data: Buffer.from(data).toString("base64"),
          encoding: "base64",
        });
        assert.deepEqual(comparable(decodedCommand(jsonCodec, frame)), comparable({ event, channel, data }));
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  it("json: a null channel, id or data is an absent one", () => {
    fc.assert(
      fc.property(eventName, fc.subarray(["channel", "id", "data"]), (event, nulls) => {
        const frame = JSON.stringify({ event, ...Object.fromEntries(nulls.map((field) => [field, null])) });
        assert.deepEqual(decodedCommand(jsonCodec, frame), { event });
      }),
      { numRuns: 200 },
    );
  });

  it("pb: a Message with event, channel, id, data (bytes) and a from that is ignored", () => {
    const message = fc
      .record({
        event: wellFormedString,
        channel: fc.option(wellFormedString),
        id: fc.option(wellFormedString),
        data: fc.option(bytes),
        from: fc.option(wellFormedString),
      })
      .map(withOptional);
    fc.assert(
      fc.property(message, ({ from: _ignored, ...sent }) => {
        const frame = MessageType.encode({ ...sent, from: _ignored }).finish();
        assert.deepEqual(comparable(decodedCommand(pbCodec, frame)), comparable(sent));
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  it("text: each command of the grammar, words quoted when they need it, MSG quoted or bare", () => {
    // A word goes bare when it has no whitespace and does not start with a quote; otherwise quoted.
    const word = (text: string, quote: boolean) =>
      quote || text === "" || /[\s"\\]/u.test(text) ? textQuote(text) : text;
    const shapes = fc.oneof(
      fc.constant<Command>({ event: "ping" }),
      fc
        .tuple(fc.constantFrom("register", "unregister", "subscribe", "unsubscribe"), wellFormedString)
        .map(([event, channel]): Command => ({ event, channel })),
      fc
        .tuple(fc.constantFrom("send", "publish"), wellFormedString, wellFormedString)
        .map(([event, channel, data]): Command => ({ event, channel, data })),
    );
    fc.assert(
      fc.property(shapes, fc.boolean(), fc.boolean(), (sent, quoteChannel, quoteData) => {
        const words = [TEXT_WORDS.get(sent.event) ?? sent.event];
        if (sent.channel !== undefined) words.push(word(sent.channel, quoteChannel));
        if (sent.data !== undefined) words.push(word(sent.data as string, quoteData));
        assert.deepEqual(decodedCommand(textCodec, words.join(" ")), sent);
      }),
      { numRuns: RUNS.roundTrip },
    );
  });
});

/** Data of each kind the server may have to deliver: text, json (not a string) and binary. */
const anyData: fc.Arbitrary<Data> = fc.oneof(
  wellFormedString,
  jsonValue.filter((value) => typeof value !== "string" && value !== null),
  bytes,
  fc.string({ unit: "grapheme", maxLength: 8 }).map((text) => Buffer.from(text, "utf8")),
);
const replyMessage: fc.Arbitrary<Reply> = fc
  .record({
    event: fc.constantFrom(...REPLY_EVENTS),
    channel: fc.option(wellFormedString),
    id: fc.option(jsonId),
    reason: fc.option(fc.constantFrom(...REASONS)),
  })
  .map(({ event, ...optional }) => ({ event, ...withOptional(optional), from: "west" as const }));
const deliveryMessage: fc.Arbitrary<Delivery> = fc
  .record({ from: validKey, channel: validName, data: anyData })
  .map((fields) => ({ event: "new_message" as const, ...fields }));

/** The data a client of `protocol` should read for `data` (docs/protocol.md, "Data across protocols"). */
function expectedData(protocol: ProtocolName, data: Data): unknown {
  const asBytes = data instanceof Uint8Array ? Buffer.from(data) : undefined;
  switch (protocol) {
    case "json":
      return asBytes === undefined ? data : isUtf8(asBytes) ? asBytes.toString("utf8") : asBytes;
    case "text":
      if (typeof data === "string") return data;
      if (asBytes === undefined) return JSON.stringify(data);
      return isUtf8(asBytes) ? asBytes.toString("utf8") : `base64:${asBytes.toString("base64")}`;
    case "pb":
      return asBytes ?? Buffer.from(typeof data === "string" ? data : JSON.stringify(data), "utf8");
  }
}

/** A received frame as a client reads it (the test client's parser), JSON base64 data back to bytes. */
function clientReads(protocol: ProtocolName, frame: string | Uint8Array): Record<string, unknown> {
  const read = decodeFrame(protocol, typeof frame === "string" ? frame : Buffer.from(frame));
  const { encoding, ...message } = read;
  if (encoding === "base64") return { ...message, data: Buffer.from(message.data as string, "base64") };
  return { ...message };
}

describe("codec properties: what the server sends reads back, as a client reads it, as what was sent", () => {
  it("json: a reply is the same object, id of the same JSON type, reason only when it has one", () => {
    fc.assert(
      fc.property(replyMessage, (sent) => {
        assert.deepEqual(clientReads("json", jsonCodec.encode(sent)), { ...sent });
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  it("pb: a reply is the same Message, id as a string, reason only when it has one; bad_encoding is the text frame", () => {
    fc.assert(
      fc.property(replyMessage, (sent) => {
        const frame = pbCodec.encode(sent);
        if (sent.event === "bad_encoding") return assert.equal(frame, "bad_encoding");
        const expected: Record<string, unknown> = { ...sent };
        if (sent.id !== undefined) expected.id = String(sent.id);
        assert.deepEqual(clientReads("pb", frame), expected);
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  it("text: a reply is its event and channel (pong and bad_encoding alone, no reason; an id only on a request's outcome)", () => {
    fc.assert(
      fc.property(replyMessage, (sent) => {
        const outcome = TEXT_REQUEST_OUTCOMES.has(sent.event) && sent.id !== undefined;
        // A text request's ID is a word: the only ids a text client can send.
        fc.pre(!outcome || /^\S+$/.test(String(sent.id)));
        const { reason: _unsent, ...v1 } = sent;
        assert.equal(textCodec.encode(sent), textCodec.encode(v1), "the same frame as without a reason");
        const read = clientReads("text", textCodec.encode(sent));
        if (sent.event === "pong" || sent.event === "bad_encoding")
          return assert.deepEqual(read, { event: sent.event });
        const expected: Record<string, unknown> = { event: sent.event, from: "west" };
        if (sent.channel !== undefined) expected.channel = sent.channel;
        if (outcome) expected.id = String(sent.id);
        assert.deepEqual(read, expected);
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  for (const protocol of ["json", "text", "pb"] as const) {
    it(`${protocol}: a delivery of text, json or binary data reads as its ${protocol} form`, () => {
      fc.assert(
        fc.property(deliveryMessage, (sent) => {
          const read = clientReads(protocol, CODECS[protocol].encode(sent));
          const expected = {
            event: "new_message",
            from: sent.from,
            channel: sent.channel,
            data: expectedData(protocol, sent.data),
          };
          assert.deepEqual(comparable(read), comparable(expected));
        }),
        { numRuns: RUNS.roundTrip },
      );
    });
  }
});
