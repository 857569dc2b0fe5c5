import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import type { Reason } from "../../src/core/message.js";
import { PROTOCOL_NAMES, type ProtocolName } from "../../src/protocols/codec.js";
import {
  connect,
  listeningNode,
  type ProtocolClient,
  pbFrame,
  pbMessage,
  protocolClient,
  type Received,
  type TestSocket,
  tryUpgrade,
  watchedAdapter,
} from "../helpers/ws-client.js";

type Node = Awaited<ReturnType<typeof listeningNode>>;

/** A frame as a client puts it on the wire: text or binary, whatever its bytes. */
type RawFrame = { text: string } | { binary: Uint8Array } | { textBytes: Uint8Array };

function sendRaw(socket: TestSocket, frame: RawFrame): void {
  if ("text" in frame) socket.ws.send(frame.text, { binary: false });
  else if ("binary" in frame) socket.ws.send(frame.binary, { binary: true });
  else socket.ws.send(frame.textBytes, { binary: false });
}

/** What a bad frame gets: one reply (as the client reads it) and the connection stays, or a close code. */
type Outcome = { reply: unknown } | { close: number };

interface BadCase {
  what: string;
  frame: RawFrame;
  outcome: Outcome;
}

const readReply = (protocol: ProtocolName, frame: Received): unknown => {
  if (typeof frame !== "string") return pbMessage(frame);
  if (protocol === "json") return JSON.parse(frame);
  return frame;
};

const json = (value: unknown): RawFrame => ({ text: JSON.stringify(value) });
const jsonReply = (event: string, fields: Record<string, unknown> = {}) => ({
  reply: { event, from: "west", ...fields },
});
const pbReply = (event: string, fields: Record<string, unknown> = {}) => ({
  reply: { event, from: "west", ...fields },
});
/** bad_request, as a JSON or protobuf client reads it: with why (and the id, when JSON could read it). */
const badRequest = (reason: Reason, fields: Record<string, unknown> = {}) => ({
  reply: { event: "bad_request", from: "west", ...fields, reason },
});

const LONG = "x".repeat(257);
const INVALID_UTF8 = new Uint8Array([0x70, 0x69, 0xff, 0xfe]);

const CASES: Record<ProtocolName, BadCase[]> = {
  json: [
    { what: "invalid JSON", frame: { text: '{"event":"ping"' }, outcome: badRequest("not JSON") },
    { what: "plain words", frame: { text: "ping" }, outcome: badRequest("not JSON") },
    { what: "a JSON array", frame: { text: '[{"event":"ping"}]' }, outcome: badRequest("not a JSON object") },
    { what: "a JSON number", frame: { text: "7" }, outcome: badRequest("not a JSON object") },
    { what: "a JSON string", frame: { text: '"ping"' }, outcome: badRequest("not a JSON object") },
    { what: "JSON null", frame: { text: "null" }, outcome: badRequest("not a JSON object") },
    {
      what: "a missing event",
      frame: json({ channel: "c", id: "1" }),
      outcome: badRequest("missing event", { id: "1" }),
    },
    {
      what: "a numeric event",
      frame: json({ event: 5, id: 2 }),
      outcome: badRequest("event is not a string", { id: 2 }),
    },
    {
      what: "an object id",
      frame: json({ event: "ping", id: { a: 1 } }),
      outcome: badRequest("id is not a string or a number"),
    },
    {
      what: "a boolean id",
      frame: json({ event: "ping", id: true }),
      outcome: badRequest("id is not a string or a number"),
    },
    {
      what: "a numeric channel",
      frame: json({ event: "register", channel: 5, id: "3" }),
      outcome: badRequest("channel is not a string", { id: "3" }),
    },
    {
      what: "data beyond a double's range",
      frame: { text: '{"event":"publish","channel":"c","data":1e400,"id":"d"}' },
      outcome: badRequest("number out of range", { id: "d" }),
    },
    {
      what: "an id beyond a double's range",
      frame: { text: '{"event":"ping","id":1e400}' },
      outcome: badRequest("number out of range"),
    },
    {
      what: "an encoding other than base64",
      frame: json({ event: "publish", channel: "c", data: "00ff", encoding: "hex", id: "e" }),
      outcome: badRequest("encoding is not base64", { id: "e" }),
    },
    {
      what: "base64 data that is not a string",
      frame: json({ event: "publish", channel: "c", data: [1], encoding: "base64" }),
      outcome: badRequest("base64 data is not a string"),
    },
    {
      what: "invalid base64",
      frame: json({ event: "send", channel: "c", data: "AP8", encoding: "base64" }),
      outcome: badRequest("invalid base64"),
    },
    {
      what: "a binary frame",
      frame: { binary: Buffer.from('{"event":"ping"}') },
      outcome: jsonReply("bad_encoding"),
    },
    {
      what: "an empty binary frame",
      frame: { binary: new Uint8Array() },
      outcome: jsonReply("bad_encoding"),
    },
    { what: "an empty text frame", frame: { text: "" }, outcome: badRequest("not JSON") },
    {
      what: "an unknown command",
      frame: json({ event: "shout", channel: "c", id: "u" }),
      outcome: jsonReply("action_not_allowed", { channel: "c", id: "u" }),
    },
    {
      what: "a channel with a space",
      frame: json({ event: "register", channel: "a b" }),
      outcome: jsonReply("registration_failed", {
        channel: "a b",
        reason: "channel name contains whitespace",
      }),
    },
    {
      what: "a channel with a quote",
      frame: json({ event: "subscribe", channel: 'a"b' }),
      outcome: jsonReply("subscription_failed", { channel: 'a"b', reason: "channel name contains a quote" }),
    },
    {
      what: "a channel with a control character",
      frame: json({ event: "publish", channel: "a\u0000b", data: "x" }),
      outcome: jsonReply("publication_failed", {
        channel: "a\u0000b",
        reason: "channel name contains a control character",
      }),
    },
    {
      what: "a channel of 257 bytes",
      frame: json({ event: "send", channel: LONG, data: "x" }),
      outcome: jsonReply("sending_failed", { channel: LONG, reason: "channel name too long" }),
    },
    { what: "invalid UTF-8 in a text frame", frame: { textBytes: INVALID_UTF8 }, outcome: { close: 1007 } },
  ],
  text: [
    { what: "an unknown command", frame: { text: "shout c" }, outcome: { reply: "west:action_not_allowed" } },
    { what: "an upper-case command", frame: { text: "PING" }, outcome: { reply: "west:action_not_allowed" } },
    { what: "a JSON command", frame: json({ event: "ping" }), outcome: { reply: "west:action_not_allowed" } },
    {
      what: "an unbalanced quote",
      frame: { text: 'pub c "hello' },
      outcome: { reply: "west:action_not_allowed" },
    },
    {
      what: "a command word that names an Object property",
      frame: { text: "toString c" },
      outcome: { reply: "west:action_not_allowed" },
    },
    {
      what: "__proto__ as a command word",
      frame: { text: "__proto__ c x" },
      outcome: { reply: "west:action_not_allowed" },
    },
    {
      what: "an unknown escape",
      frame: { text: 'pub c "a\\tb"' },
      outcome: { reply: "west:action_not_allowed" },
    },
    { what: "a missing part", frame: { text: "send c" }, outcome: { reply: "west:action_not_allowed" } },
    { what: "an extra part", frame: { text: "sub c d" }, outcome: { reply: "west:action_not_allowed" } },
    { what: "an empty frame", frame: { text: "" }, outcome: { reply: "west:action_not_allowed" } },
    { what: "a binary frame", frame: { binary: Buffer.from("ping") }, outcome: { reply: "bad_encoding" } },
    {
      what: "an empty binary frame",
      frame: { binary: new Uint8Array() },
      outcome: { reply: "bad_encoding" },
    },
    {
      what: "a channel with a quote",
      frame: { text: 'reg a"b' },
      outcome: { reply: 'west a"b:registration_failed' },
    },
    {
      what: "a quoted channel with a space",
      frame: { text: 'sub "a b"' },
      outcome: { reply: "west a b:subscription_failed" },
    },
    {
      what: "a channel with a control character",
      frame: { text: "pub a\u0007b x" },
      outcome: { reply: "west a\u0007b:publication_failed" },
    },
    {
      what: "a channel of 257 bytes",
      frame: { text: `send ${LONG} x` },
      outcome: { reply: `west ${LONG}:sending_failed` },
    },
    { what: "invalid UTF-8 in a text frame", frame: { textBytes: INVALID_UTF8 }, outcome: { close: 1007 } },
  ],
  pb: [
    {
      what: "garbage",
      frame: { binary: new Uint8Array([0xff, 0xff, 0xff, 0x01]) },
      outcome: badRequest("not a protobuf Message"),
    },
    {
      what: "an empty binary frame",
      frame: { binary: new Uint8Array() },
      outcome: badRequest("missing event"),
    },
    {
      what: "a Message without event",
      frame: { binary: new Uint8Array([0x12, 0x01, 0x63]) },
      outcome: badRequest("missing event"),
    },
    {
      what: "a channel that is not UTF-8",
      frame: { binary: new Uint8Array([0x0a, 8, ...Buffer.from("register"), 0x12, 2, 0x63, 0xff]) },
      outcome: badRequest("a string field is not UTF-8"),
    },
    { what: "a text frame", frame: { text: "ping" }, outcome: { reply: "bad_encoding" } },
    { what: "an empty text frame", frame: { text: "" }, outcome: { reply: "bad_encoding" } },
    {
      what: "an unknown command",
      frame: { binary: pbFrame({ event: "shout", channel: "c", id: "u" }) },
      outcome: pbReply("action_not_allowed", { channel: "c", id: "u" }),
    },
    {
      what: "a channel with a space",
      frame: { binary: pbFrame({ event: "register", channel: "a b" }) },
      outcome: pbReply("registration_failed", { channel: "a b", reason: "channel name contains whitespace" }),
    },
    {
      what: "a channel with a quote",
      frame: { binary: pbFrame({ event: "subscribe", channel: 'a"b' }) },
      outcome: pbReply("subscription_failed", { channel: 'a"b', reason: "channel name contains a quote" }),
    },
    {
      what: "a channel with a control character",
      frame: { binary: pbFrame({ event: "publish", channel: "a\nb", data: "x" }) },
      outcome: pbReply("publication_failed", { channel: "a\nb", reason: "channel name contains whitespace" }),
    },
    {
      what: "a channel of 257 bytes",
      frame: { binary: pbFrame({ event: "send", channel: LONG, data: "x" }) },
      outcome: pbReply("sending_failed", { channel: LONG, reason: "channel name too long" }),
    },
    { what: "invalid UTF-8 in a text frame", frame: { textBytes: INVALID_UTF8 }, outcome: { close: 1007 } },
  ],
};

/** A well-behaved owner and sender, of two protocols, that must keep exchanging messages. */
async function wellBehavedPair(node: Node, name: string) {
  const owner = await protocolClient(node.wsUrl, "json", `${name}-owner`);
  const sender = await protocolClient(node.wsUrl, "pb", `${name}-sender`);
  const channel = `${name}-pair`;
  assert.equal((await owner.request({ event: "register", channel })).event, "registration_succeeded");
  let n = 0;
  return async function stillExchange(): Promise<void> {
    const data = `still fine ${++n}`;
    assert.equal((await sender.request({ event: "send", channel, data })).event, "sending_succeeded");
    assert.deepEqual(await owner.take(), { event: "new_message", from: sender.key, channel, data });
  };
}

async function answersPing(client: ProtocolClient): Promise<void> {
  assert.equal((await client.request({ event: "ping" })).event, "pong");
}

describe("bad input on each protocol", async () => {
  const node = await listeningNode();
  const stillExchange = await wellBehavedPair(node, "bad");

  for (const protocol of PROTOCOL_NAMES) {
    describe(`${protocol} protocol`, () => {
      for (const c of CASES[protocol]) {
        const expectation =
          "close" in c.outcome
            ? `closes the socket with ${c.outcome.close}`
            : "is answered and the socket stays";
        it(`${c.what} ${expectation}; other clients are unaffected`, async () => {
          const client = await protocolClient(node.wsUrl, protocol, `bad-${protocol}`);
          sendRaw(client.socket, c.frame);
          if ("close" in c.outcome) {
            assert.equal(await client.socket.closedWith(), c.outcome.close);
          } else {
            assert.deepEqual(readReply(protocol, await client.socket.take()), c.outcome.reply);
            await answersPing(client);
            assert.deepEqual(client.socket.received, [], "exactly one reply");
          }
          await stillExchange();
        });
      }

      it("a burst of bad frames gets one reply each, in order, between good commands", async () => {
        const client = await protocolClient(node.wsUrl, protocol, `burst-${protocol}`);
        const replyable = CASES[protocol].filter((c) => "reply" in c.outcome);
        for (const c of replyable) {
          client.command({ event: "ping" });
          sendRaw(client.socket, c.frame);
        }
        for (const c of replyable) {
          assert.equal((await client.take()).event, "pong");
          assert.deepEqual(
            readReply(protocol, await client.socket.take()),
            (c.outcome as { reply: unknown }).reply,
            c.what,
          );
        }
        await stillExchange();
      });
    });
  }
});

/** A frame of exactly `size` bytes that publishes on `protocol` (its payload padded with x). */
function publishOfSize(protocol: ProtocolName, size: number): RawFrame {
  if (protocol === "json") {
    const empty = JSON.stringify({ event: "publish", channel: "big", data: "" });
    return {
      text: JSON.stringify({ event: "publish", channel: "big", data: "x".repeat(size - empty.length) }),
    };
  }
  if (protocol === "text") return { text: `pub big ${"x".repeat(size - "pub big ".length)}` };
  for (let length = size; length >= 0; length--) {
    const frame = pbFrame({ event: "publish", channel: "big", data: new Uint8Array(length).fill(0x78) });
    if (frame.length === size) return { binary: frame };
  }
  throw new Error(`no pb frame of ${size} bytes`);
}

const frameLength = (frame: RawFrame): number =>
  "text" in frame
    ? Buffer.byteLength(frame.text)
    : "binary" in frame
      ? frame.binary.length
      : frame.textBytes.length;

describe("frame size limit", async () => {
  const LIMIT = 1024;
  const watched = watchedAdapter();
  const small = await listeningNode({ maxFrameBytes: LIMIT, adapter: watched.factory });
  const smallPair = await wellBehavedPair(small, "limit");

  for (const protocol of PROTOCOL_NAMES) {
    it(`${protocol}: a frame of exactly maxFrameBytes is accepted`, async () => {
      const client = await protocolClient(small.wsUrl, protocol, `fits-${protocol}`);
      const frame = publishOfSize(protocol, LIMIT);
      assert.equal(frameLength(frame), LIMIT);
      sendRaw(client.socket, frame);
      assert.equal((await client.take()).event, "publication_succeeded");
    });

    it(`${protocol}: a frame of maxFrameBytes + 1 closes that socket with 1009; others are unaffected`, async () => {
      const client = await protocolClient(small.wsUrl, protocol, `too-big-${protocol}`);
      const frame = publishOfSize(protocol, LIMIT + 1);
      assert.equal(frameLength(frame), LIMIT + 1);
      sendRaw(client.socket, frame);
      assert.equal(await client.socket.closedWith(), 1009);
      await smallPair();
    });

    it(`${protocol}: a socket closed with 1009 or 1007 loses its registrations and subscriptions`, async () => {
      const other = await protocolClient(small.wsUrl, "json", `heir-${protocol}`);
      for (const [code, frame] of [
        [1009, publishOfSize(protocol, LIMIT + 1)],
        [1007, { textBytes: INVALID_UTF8 }],
      ] as const) {
        const client = await protocolClient(small.wsUrl, protocol, `closed-${code}-${protocol}`);
        const reg = `closed-${code}-${protocol}-reg`;
        const sub = `closed-${code}-${protocol}-sub`;
        assert.equal(
          (await client.request({ event: "register", channel: reg })).event,
          "registration_succeeded",
        );
        assert.equal(
          (await client.request({ event: "subscribe", channel: sub })).event,
          "subscription_succeeded",
        );
        sendRaw(client.socket, frame);
        assert.equal(await client.socket.closedWith(), code);
        await watched.seen(`release ${reg}`);
        await watched.seen(`unsubscribe ${sub}`);
        assert.equal(
          (await other.request({ event: "register", channel: reg })).event,
          "registration_succeeded",
        );
      }
    });
  }

  it("the default limit is 1 MiB: exactly 1 MiB is accepted, 1 MiB + 1 byte closes with 1009", async () => {
    const node = await listeningNode();
    const stillExchange = await wellBehavedPair(node, "default-limit");
    for (const protocol of PROTOCOL_NAMES) {
      const fits = await protocolClient(node.wsUrl, protocol, `mib-${protocol}`);
      sendRaw(fits.socket, publishOfSize(protocol, 1024 * 1024));
      assert.equal((await fits.take()).event, "publication_succeeded");
      const over = await protocolClient(node.wsUrl, protocol, `mib-over-${protocol}`);
      sendRaw(over.socket, publishOfSize(protocol, 1024 * 1024 + 1));
      assert.equal(await over.socket.closedWith(), 1009);
      await answersPing(fits);
      await stillExchange();
    }
  });
});

describe("upgrade requests with a bad key or path are refused and no socket opens", async () => {
  const node = await listeningNode();

  const refused: [string, string, number][] = [
    ["a missing key", "/websocket/json", 404],
    ["a missing key with a slash", "/websocket/text/", 404],
    ["an empty key with a query", "/websocket/pb/?protocol=pb", 404],
    ["a key with a space", "/websocket/json/a%20b", 400],
    ["a key with a double quote", "/websocket/text/a%22b", 400],
    ["a key with a control character", "/websocket/pb/a%01b", 400],
    ["a key with a tab", "/websocket/json/a%09b", 400],
    ["a key with a right-to-left override (U+202E)", "/websocket/json/u1%E2%80%AEtxt.exe", 400],
    ["a key with a zero-width space (U+200B)", "/websocket/text/a%E2%80%8Bb", 400],
    ["a key starting with a byte order mark (U+FEFF)", "/websocket/pb/%EF%BB%BFalice", 400],
    ["a key of 257 bytes", `/websocket/json/${"k".repeat(257)}`, 400],
    ["a key that is not UTF-8", "/websocket/json/%FF", 400],
    ["a key that is not valid percent-encoding", "/websocket/json/%E0%A4%A", 400],
    ["the server's own key, west", "/websocket/text/west", 400],
    ["an unknown protocol", "/websocket/xml/alice", 404],
    ["an upper-case protocol", "/websocket/JSON/alice", 404],
    ["no protocol", "/websocket", 404],
    ["a path below the key", "/websocket/json/alice/extra", 404],
    ["the root path", "/", 404],
    ["another path", "/chat/json/alice", 404],
  ];
  for (const [what, path, status] of refused) {
    it(`${what} (${path.length > 40 ? `${path.slice(0, 30)}…` : path}) is refused with ${status}`, async () => {
      const outcome = await tryUpgrade(node.wsUrl, path);
      assert.ok("status" in outcome, "no socket opens");
      assert.equal(outcome.status, status);
    });
  }

  it("the 400 says what a key may be, format characters included", async () => {
    const outcome = await tryUpgrade(node.wsUrl, "/websocket/json/u1%E2%80%AEtxt.exe");
    assert.ok("status" in outcome && outcome.status === 400);
    assert.match(outcome.body, /^invalid client key: 1-256 bytes, .*format characters/);
  });

  it("a key of 256 bytes, a percent-encoded UTF-8 key and a query string are accepted", async () => {
    for (const path of [
      `/websocket/json/${"k".repeat(256)}`,
      `/websocket/text/${encodeURIComponent("日本🙂")}`,
      "/websocket/pb/alice?protocol=pb&keepalive=30&timeout=60",
      "/websocket/json/alice/",
    ]) {
      const outcome = await tryUpgrade(node.wsUrl, path);
      assert.ok("opened" in outcome, `${path} opens`);
    }
  });

  it("the key from the path is the sender of everything the connection sends", async () => {
    const owner = await protocolClient(node.wsUrl, "json", "key-owner");
    assert.equal(
      (await owner.request({ event: "register", channel: "key-ch" })).event,
      "registration_succeeded",
    );
    const outcome = await tryUpgrade(node.wsUrl, `/websocket/json/${encodeURIComponent("日本🙂")}?x=1`);
    assert.ok("opened" in outcome);
    outcome.opened.send(JSON.stringify({ event: "send", channel: "key-ch", data: "hi" }));
    assert.equal(JSON.parse((await outcome.opened.take()) as string).event, "sending_succeeded");
    assert.equal((await owner.take()).from, "日本🙂");
  });

  it("the server keeps serving after refusals", async () => {
    const client = await protocolClient(node.wsUrl, "text", "after-refusals");
    await answersPing(client);
  });
});

describe("the handshake hook", async () => {
  const seen: string[] = [];
  const verdicts: Record<string, (request: IncomingMessage) => unknown> = {
    yes: () => true,
    forbid: () => ({ status: 403, body: "no" }),
    teapot: () => ({ status: 418, body: "short and stout" }),
    false: () => false,
    undefined: () => undefined,
    truthy: () => "yes",
    one: () => 1,
    "status-200": () => ({ status: 200, body: "ok?" }),
    throws: () => {
      throw new Error("hook failure for the test");
    },
    "async-yes": async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return true;
    },
    "async-forbid": async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return { status: 403, body: "not now" };
    },
    "async-rejects": () => Promise.reject(new Error("async hook failure for the test")),
  };
  const node = await listeningNode({
    handshake: (request) => {
      seen.push(request.url ?? "");
      const verdict = new URL(request.url ?? "/", "http://x").searchParams.get("verdict") ?? "";
      const hook = verdicts[verdict];
      if (hook === undefined) throw new Error(`no verdict ${verdict}`);
      return hook(request);
    },
  });
  const upgrade = (verdict: string) => tryUpgrade(node.wsUrl, `/websocket/json/hooked?verdict=${verdict}`);

  it("true accepts, and the hook sees the upgrade request", async () => {
    const outcome = await upgrade("yes");
    assert.ok("opened" in outcome);
    assert.ok(seen.includes("/websocket/json/hooked?verdict=yes"));
    outcome.opened.send('{"event":"ping"}');
    assert.deepEqual(JSON.parse((await outcome.opened.take()) as string), { event: "pong", from: "west" });
  });

  it("{status: 403, body: 'no'} refuses with 403 and that body", async () => {
    assert.deepEqual(await upgrade("forbid"), { status: 403, body: "no" });
    assert.deepEqual(await upgrade("teapot"), { status: 418, body: "short and stout" });
  });

  for (const verdict of ["false", "undefined", "truthy", "one", "status-200"]) {
    it(`a hook answering ${verdict} refuses with 401`, async () => {
      const outcome = await upgrade(verdict);
      assert.ok("status" in outcome, "no socket opens");
      assert.equal(outcome.status, 401);
    });
  }

  it("a throwing hook refuses with 500 and the server keeps running", async () => {
    for (const verdict of ["throws", "async-rejects"]) {
      const outcome = await upgrade(verdict);
      assert.ok("status" in outcome, "no socket opens");
      assert.equal(outcome.status, 500);
    }
    assert.ok("opened" in (await upgrade("yes")));
  });

  it("async hooks work: a resolved true accepts, a resolved {status, body} refuses", async () => {
    assert.ok("opened" in (await upgrade("async-yes")));
    assert.deepEqual(await upgrade("async-forbid"), { status: 403, body: "not now" });
  });

  it("a bad key is refused before the hook is asked", async () => {
    const before = seen.length;
    const outcome = await tryUpgrade(node.wsUrl, "/websocket/json/a%20b?verdict=yes");
    assert.ok("status" in outcome);
    assert.equal(outcome.status, 400);
    assert.equal(seen.length, before);
  });

  it("connect() of the helper reports a refusal", async () => {
    await assert.rejects(connect(node.wsUrl, "json", "hooked", "?verdict=forbid"), /403/);
  });
});
