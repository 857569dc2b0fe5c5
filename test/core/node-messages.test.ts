import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type Data, DELIVERY_EVENT, type Delivery, type JsonValue } from "../../src/core/message.js";
import { decodeNodeMessage, encodeNodeMessage, type NodeMessage } from "../../src/core/node-messages.js";

const text = fc.string({ unit: "grapheme", maxLength: 40 });
const json: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 3 }).map((value) => value as JsonValue);
const data: fc.Arbitrary<Data> = fc.oneof(text, fc.uint8Array({ maxLength: 64 }), json);
const delivery: fc.Arbitrary<Delivery> = fc.record(
  { event: fc.constant(DELIVERY_EVENT), from: text, channel: text, data, reply_to: text },
  { requiredKeys: ["event", "from", "channel", "data"] },
);
const requestId = fc.integer({ min: 1, max: 0xffffffff });
const seq = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const owner = fc.record({ nodeId: text, sessionId: fc.integer({ min: 0, max: 0xffffffff }) });
const message: fc.Arbitrary<NodeMessage> = fc.oneof(
  fc.record({ origin: text, seq, type: fc.constant("publish" as const), delivery }),
  fc.record({
    origin: text,
    seq,
    type: fc.constant("request" as const),
    requestId,
    body: fc.oneof(
      fc.record({ type: fc.constant("send" as const), owner, delivery }),
      fc.record({ type: fc.constant("reply" as const), token: text, from: text, data }),
      fc.record({ type: fc.constant("disconnect" as const), key: text }),
    ),
  }),
  fc.record({
    origin: text,
    seq,
    type: fc.constant("answer" as const),
    requestId,
    body: fc.oneof(
      fc.record({
        type: fc.constant("send" as const),
        outcome: fc.constantFrom("delivered" as const, "not_owner" as const, "fenced" as const),
      }),
      fc.record({
        type: fc.constant("reply" as const),
        outcome: fc.constantFrom("accepted" as const, "unknown" as const),
      }),
      fc.record({
        type: fc.constant("disconnect" as const),
        closed: fc.integer({ min: 0, max: 0xffffffff }),
      }),
    ),
  }),
);

/** Bytes as plain arrays (a Buffer reads back where a Uint8Array was written), the rest after a JSON round trip. */
function comparable(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: [...value] };
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, comparable(v)]));
  return JSON.parse(JSON.stringify(value) ?? "null");
}

function dataOf(message: NodeMessage): Data | undefined {
  if (message.type === "publish") return message.delivery.data;
  if (message.type === "answer") return undefined;
  if (message.body.type === "send") return message.body.delivery.data;
  return message.body.type === "reply" ? message.body.data : undefined;
}

describe("messages between nodes (the envelope every adapter carries)", () => {
  it("every message reads back as it was written (origin, sequence number, body), data keeping its kind (text, json, bytes)", () => {
    fc.assert(
      fc.property(message, (written) => {
        const read = decodeNodeMessage(encodeNodeMessage(written));
        assert.ok(read !== undefined);
        assert.deepEqual(comparable(read), comparable(written));
        if (written.type !== "answer" && read.type !== "answer") {
          const sent = dataOf(written);
          const got = dataOf(read);
          assert.equal(got instanceof Uint8Array, sent instanceof Uint8Array, "bytes stay bytes");
          assert.equal(typeof got === "string", typeof sent === "string", "text stays text");
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("bytes are never lossy: every byte value, empty data, and bytes that are not UTF-8", () => {
    for (const bytes of [
      new Uint8Array(),
      Uint8Array.from({ length: 256 }, (_, i) => i),
      Uint8Array.of(0xff, 0xfe),
    ]) {
      const read = decodeNodeMessage(
        encodeNodeMessage({
          origin: "n1",
          seq: 1,
          type: "publish",
          delivery: { event: DELIVERY_EVENT, from: "u1", channel: "c", data: bytes },
        }),
      );
      assert.ok(read?.type === "publish");
      assert.deepEqual([...(read.delivery.data as Uint8Array)], [...bytes]);
    }
  });

  it("bytes that are not a whole message read as nothing, never a throw: truncated, extended, garbage", () => {
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 1000 }), (written, cut) => {
        const bytes = encodeNodeMessage(written);
        assert.equal(decodeNodeMessage(bytes.subarray(0, cut % bytes.length)), undefined);
        assert.equal(decodeNodeMessage(Buffer.concat([bytes, Buffer.of(0)])), undefined);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const read = decodeNodeMessage(Buffer.from(bytes));
        if (read !== undefined) assert.deepEqual(encodeNodeMessage(read), Buffer.from(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it("an answer's outcome outside the three known ones reads as nothing", () => {
    const bytes = encodeNodeMessage({
      origin: "n1",
      seq: 1,
      type: "answer",
      requestId: 7,
      body: { type: "send", outcome: "delivered" },
    });
    bytes[bytes.length - 1] = 9;
    assert.equal(decodeNodeMessage(bytes), undefined);
  });
});
