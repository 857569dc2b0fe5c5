import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Data, Delivery, Message } from "../../src/index.js";
import { PROTOCOL_NAMES, type ProtocolName } from "../../src/protocols/codec.js";
import {
  encodeCommand,
  listeningNode,
  type ProtocolClient,
  protocolClient,
  type WireMessage,
} from "../helpers/ws-client.js";

type Sender = ProtocolName | "native";

/**
 * One piece of data sent by one kind of client, and what each kind of receiver gets
 * (docs/protocol.md, "Data across protocols").
 */
interface Case {
  what: string;
  from: Sender;
  /** json: a JSON value; text: the MSG word as written; pb: bytes; native: any Data. */
  sent: unknown;
  json: { data: unknown; encoding?: "base64" };
  text: string;
  pb: Buffer;
  native: Data;
}

const NON_UTF8 = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);

const CASES: Case[] = [
  {
    what: "json text",
    from: "json",
    sent: "hello there",
    json: { data: "hello there" },
    text: "hello there",
    pb: Buffer.from("hello there"),
    native: "hello there",
  },
  {
    what: "json object",
    from: "json",
    sent: { a: [1, "two", null], b: { c: true } },
    json: { data: { a: [1, "two", null], b: { c: true } } },
    text: '{"a":[1,"two",null],"b":{"c":true}}',
    pb: Buffer.from('{"a":[1,"two",null],"b":{"c":true}}'),
    native: { a: [1, "two", null], b: { c: true } },
  },
  {
    what: "json number",
    from: "json",
    sent: 42,
    json: { data: 42 },
    text: "42",
    pb: Buffer.from("42"),
    native: 42,
  },
  {
    what: "json false",
    from: "json",
    sent: false,
    json: { data: false },
    text: "false",
    pb: Buffer.from("false"),
    native: false,
  },
  {
    what: "json empty string (empty data is data)",
    from: "json",
    sent: "",
    json: { data: "" },
    text: "",
    pb: Buffer.alloc(0),
    native: "",
  },
  {
    what: "json non-ASCII text",
    from: "json",
    sent: "héllo 日本 🙂",
    json: { data: "héllo 日本 🙂" },
    text: "héllo 日本 🙂",
    pb: Buffer.from("héllo 日本 🙂"),
    native: "héllo 日本 🙂",
  },
  {
    what: "text word",
    from: "text",
    sent: "All",
    json: { data: "All" },
    text: "All",
    pb: Buffer.from("All"),
    native: "All",
  },
  {
    what: "text quoted with escapes",
    from: "text",
    sent: '"say \\"hi\\" \\\\ bye"',
    json: { data: 'say "hi" \\ bye' },
    text: 'say "hi" \\ bye',
    pb: Buffer.from('say "hi" \\ bye'),
    native: 'say "hi" \\ bye',
  },
  {
    what: "text that looks like a number stays text",
    from: "text",
    sent: "42",
    json: { data: "42" },
    text: "42",
    pb: Buffer.from("42"),
    native: "42",
  },
  {
    what: 'text "" (empty data)',
    from: "text",
    sent: '""',
    json: { data: "" },
    text: "",
    pb: Buffer.alloc(0),
    native: "",
  },
  {
    what: "pb valid UTF-8 bytes",
    from: "pb",
    sent: Buffer.from("héllo"),
    json: { data: "héllo" },
    text: "héllo",
    pb: Buffer.from("héllo"),
    native: new Uint8Array(Buffer.from("héllo")),
  },
  {
    what: "pb bytes that are not UTF-8",
    from: "pb",
    sent: NON_UTF8,
    json: { data: Buffer.from(NON_UTF8).toString("base64"), encoding: "base64" },
    text: `base64:${Buffer.from(NON_UTF8).toString("base64")}`,
    pb: Buffer.from(NON_UTF8),
    native: NON_UTF8,
  },
  {
    what: "pb zero bytes",
    from: "pb",
    sent: new Uint8Array(),
    json: { data: "" },
    text: "",
    pb: Buffer.alloc(0),
    native: new Uint8Array(),
  },
  {
    what: "native text",
    from: "native",
    sent: "native hi",
    json: { data: "native hi" },
    text: "native hi",
    pb: Buffer.from("native hi"),
    native: "native hi",
  },
  {
    what: "native json value",
    from: "native",
    sent: [1, { x: null }],
    json: { data: [1, { x: null }] },
    text: '[1,{"x":null}]',
    pb: Buffer.from('[1,{"x":null}]'),
    native: [1, { x: null }],
  },
  {
    what: "native bytes that are not UTF-8",
    from: "native",
    sent: NON_UTF8,
    json: { data: Buffer.from(NON_UTF8).toString("base64"), encoding: "base64" },
    text: `base64:${Buffer.from(NON_UTF8).toString("base64")}`,
    pb: Buffer.from(NON_UTF8),
    native: NON_UTF8,
  },
];

/** The raw frame a client of `protocol` writes for `pub`/`send` with `sent` (text: the MSG as written). */
function frameFor(protocol: ProtocolName, event: "publish" | "send", channel: string, sent: unknown) {
  if (protocol === "text") return `${event === "publish" ? "pub" : "send"} ${channel} ${sent as string}`;
  return encodeCommand(protocol, { event, channel, data: sent });
}

function expectedAt(receiver: ProtocolName, from: string, channel: string, c: Case): WireMessage {
  const base = { event: "new_message", from, channel };
  if (receiver === "json") return { ...base, ...c.json };
  if (receiver === "text") return { ...base, data: c.text };
  return { ...base, data: c.pb };
}

/** Binary data reaches native clients as a Uint8Array: compared by bytes. */
function nativeData(data: Data): Data {
  return data instanceof Uint8Array ? { bytes: [...data] } : data;
}

describe("clients of different protocols on the same channel", async () => {
  const node = await listeningNode();
  const ws: Record<ProtocolName, ProtocolClient> = {
    text: await protocolClient(node.wsUrl, "text", "t-user"),
    json: await protocolClient(node.wsUrl, "json", "j-user"),
    pb: await protocolClient(node.wsUrl, "pb", "p-user"),
  };
  const nativeInbox: Message[] = [];
  const native = node.client("n-user", (message) => nativeInbox.push(message));
  const keyOf = (sender: Sender) => (sender === "native" ? "n-user" : ws[sender].key);

  /** Sends one command of `sender`; resolves once its reply is in (the reply's event). */
  async function act(
    sender: Sender,
    event: "publish" | "send",
    channel: string,
    sent: unknown,
  ): Promise<string> {
    if (sender === "native") {
      const reply = await (event === "publish"
        ? native.pub(channel, sent as Data)
        : native.send(channel, sent as Data));
      return reply.event;
    }
    ws[sender].socket.send(frameFor(sender, event, channel, sent));
    return (await ws[sender].take()).event;
  }

  const PS = "x-pubsub";
  for (const c of Object.values(ws))
    assert.equal((await c.request({ event: "subscribe", channel: PS })).event, "subscription_succeeded");
  assert.equal((await native.sub(PS)).event, "subscription_succeeded");

  for (const c of CASES) {
    it(`a publish of ${c.what} from ${c.from} reaches every protocol as docs/protocol.md says`, async () => {
      nativeInbox.length = 0;
      const receivers = PROTOCOL_NAMES.filter((p) => p !== c.from);
      if (c.from !== "native") {
        ws[c.from].socket.send(frameFor(c.from, "publish", PS, c.sent));
        // The publisher is subscribed too: it gets its own delivery and its reply.
        const own = [await ws[c.from].take(), await ws[c.from].take()];
        assert.deepEqual(own.map((m) => m.event).sort(), ["new_message", "publication_succeeded"]);
        assert.deepEqual(
          own.find((m) => m.event === "new_message"),
          expectedAt(c.from, keyOf(c.from), PS, c),
        );
      } else {
        assert.equal((await native.pub(PS, c.sent as Data)).event, "publication_succeeded");
      }
      for (const receiver of receivers) {
        assert.deepEqual(
          await ws[receiver].take(),
          expectedAt(receiver, keyOf(c.from), PS, c),
          `at ${receiver}`,
        );
      }
      assert.equal(nativeInbox.length, 1);
      const delivered = nativeInbox[0] as Delivery;
      assert.deepEqual(
        { ...delivered, data: nativeData(delivered.data) },
        {
          event: "new_message",
          from: keyOf(c.from),
          channel: PS,
          data: nativeData(c.native),
        },
      );
      if (c.native instanceof Uint8Array)
        assert.ok(delivered.data instanceof Uint8Array, "binary is a Uint8Array");
    });
  }

  const owners: Sender[] = ["text", "json", "pb", "native"];
  for (const owner of owners) {
    it(`a send from each other protocol reaches a ${owner} owner`, async () => {
      const channel = `x-owned-by-${owner}`;
      const registered =
        owner === "native"
          ? (await native.reg(channel)).event
          : (await ws[owner].request({ event: "register", channel })).event;
      assert.equal(registered, "registration_succeeded");
      for (const c of CASES.filter((k) => k.from !== owner)) {
        nativeInbox.length = 0;
        assert.equal(
          await act(c.from, "send", channel, c.sent),
          "sending_succeeded",
          `${c.what} from ${c.from}`,
        );
        if (owner === "native") {
          const delivered = nativeInbox[0] as Delivery;
          assert.deepEqual(
            { ...delivered, data: nativeData(delivered.data) },
            { event: "new_message", from: keyOf(c.from), channel, data: nativeData(c.native) },
            `${c.what} from ${c.from}`,
          );
        } else {
          assert.deepEqual(await ws[owner].take(), expectedAt(owner, keyOf(c.from), channel, c), c.what);
        }
      }
    });
  }
});

describe("order of many publishes from one WebSocket publisher", async () => {
  const node = await listeningNode();
  const COUNT = 1000;

  for (const publisherProtocol of PROTOCOL_NAMES) {
    it(`${COUNT} publishes from a ${publisherProtocol} client arrive in order at a subscriber of each protocol`, async () => {
      const channel = `order-${publisherProtocol}`;
      const publisher = await protocolClient(node.wsUrl, publisherProtocol, `order-pub-${publisherProtocol}`);
      const subscribers = await Promise.all(
        PROTOCOL_NAMES.map((p) => protocolClient(node.wsUrl, p, `order-sub-${p}`)),
      );
      for (const s of subscribers) {
        assert.equal((await s.request({ event: "subscribe", channel })).event, "subscription_succeeded");
      }
      for (let i = 0; i < COUNT; i++)
        publisher.command({ event: "publish", channel, data: `m${i}`, id: `${i}` });
      for (let i = 0; i < COUNT; i++) {
        const reply = await publisher.take();
        assert.equal(reply.event, "publication_succeeded");
        if (publisherProtocol !== "text") assert.equal(reply.id, `${i}`);
      }
      for (const s of subscribers) {
        const got: string[] = [];
        for (let i = 0; i < COUNT; i++) {
          const m = await s.take();
          assert.equal(m.from, publisher.key);
          got.push(Buffer.isBuffer(m.data) ? m.data.toString("utf8") : (m.data as string));
        }
        assert.deepEqual(
          got,
          Array.from({ length: COUNT }, (_, i) => `m${i}`),
          `at ${s.protocol}`,
        );
      }
    });
  }
});
