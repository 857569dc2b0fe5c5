import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Data, Delivery, Reason, Reply, ReplyEvent } from "../../src/index.js";
import { embeddedNode, recordingClient } from "../helpers/embedded.js";

describe("data keeps its kind between native clients", async () => {
  const node = await embeddedNode();
  const receiver = recordingClient(node, "receiver");
  const sender = node.client("sender");
  await receiver.client.reg("kinds");

  const cases: [string, Data][] = [
    ["text", "hello"],
    ["empty text", ""],
    ["json number", 42],
    ["json false", false],
    ["json object", { a: [1, "two", null] }],
    ["json array", []],
    ["bytes", new Uint8Array([0, 255, 10])],
    ["empty bytes", new Uint8Array()],
  ];
  for (const [name, data] of cases) {
    it(`${name} arrives as sent`, async () => {
      receiver.inbox.length = 0;
      assert.equal((await sender.send("kinds", data)).event, "sending_succeeded");
      assert.deepEqual((receiver.inbox[0] as Delivery).data, data);
    });
  }
});

describe("keys and channel names follow the rule of docs/protocol.md#names", async () => {
  const node = await embeddedNode();
  const client = node.client("namer");

  const invalid: [string, unknown, Reason][] = [
    ["empty", "", "channel name is empty"],
    ["a space", "a b", "channel name contains whitespace"],
    ["a tab", "a\tb", "channel name contains whitespace"],
    ["a newline", "a\n", "channel name contains whitespace"],
    ["a non-breaking space", "a\u00a0b", "channel name contains whitespace"],
    ["a double quote", 'a"b', "channel name contains a quote"],
    ["a control character", "a\u0001", "channel name contains a control character"],
    ["DEL", "a\u007f", "channel name contains a control character"],
    ["257 bytes", "x".repeat(257), "channel name too long"],
    ["129 two-byte characters (258 bytes)", "é".repeat(129), "channel name too long"],
    ["a lone surrogate", "a\ud800", "channel name is not valid UTF-8"],
    ["a right-to-left override (U+202E)", "ab\u202Ecd", "channel name contains a format character"],
    ["a left-to-right isolate (U+2066)", "\u2066ab", "channel name contains a format character"],
    ["a zero-width space (U+200B)", "a\u200Bb", "channel name contains a format character"],
    ["a zero-width joiner (U+200D)", "a\u200Db", "channel name contains a format character"],
    [
      "a byte order mark (U+FEFF, whitespace to JavaScript)",
      "\uFEFFab",
      "channel name contains a format character",
    ],
    ["a soft hyphen (U+00AD)", "a\u00ADb", "channel name contains a format character"],
    ["a tag character (U+E0041)", "a\u{E0041}", "channel name contains a format character"],
    ["a number", 7, "channel is not a string"],
    ["an object", { name: "x" }, "channel is not a string"],
  ];
  for (const [what, name, reason] of invalid) {
    it(`a channel name with ${what} gets each command's *_failed reply: ${reason}`, async () => {
      const ch = name as string;
      const failed = (event: ReplyEvent): Reply => ({ event, from: "west", channel: ch, reason });
      assert.deepEqual(await client.reg(ch), failed("registration_failed"));
      assert.deepEqual(await client.unreg(ch), failed("unregistration_failed"));
      assert.deepEqual(await client.send(ch, "x"), failed("sending_failed"));
      assert.deepEqual(await client.sub(ch), failed("subscription_failed"));
      assert.deepEqual(await client.unsub(ch), failed("unsubscription_failed"));
      assert.deepEqual(await client.pub(ch, "x"), failed("publication_failed"));
    });
    it(`a client key with ${what} is refused`, () => {
      assert.throws(() => node.client(name as string), TypeError);
    });
  }

  it("a null channel is a missing channel, as JSON's null is", async () => {
    const missing = { event: "subscription_failed", from: "west", reason: "missing channel" };
    assert.deepEqual(await client.sub(null as unknown as string), { ...missing, channel: null });
  });

  const valid = ["x", "x".repeat(256), "é".repeat(128), "user.42/room:1", "日本語", "emoji🙂", "a'b", "{}[]"];
  for (const name of valid) {
    it(`${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}… (${name.length})` : name)} is a valid name`, async () => {
      assert.equal((await client.sub(name)).event, "subscription_succeeded");
      assert.equal((await client.unsub(name)).event, "unsubscription_succeeded");
      node.client(name);
    });
  }

  it("data that cannot travel (a function, a bigint, a symbol) gets *_failed: data is not text, JSON or bytes", async () => {
    for (const data of [() => 1, 10n, Symbol("s")]) {
      const reason = "data is not text, JSON or bytes";
      assert.deepEqual(await client.pub("ok", data as unknown as Data), {
        event: "publication_failed",
        from: "west",
        channel: "ok",
        reason,
      });
      assert.deepEqual(await client.send("ok", data as unknown as Data), {
        event: "sending_failed",
        from: "west",
        channel: "ok",
        reason,
      });
    }
  });

  it("no data (undefined) gets *_failed: missing data", async () => {
    assert.deepEqual(await client.pub("ok", undefined as unknown as Data), {
      event: "publication_failed",
      from: "west",
      channel: "ok",
      reason: "missing data",
    });
    assert.deepEqual(await client.send("ok", undefined as unknown as Data), {
      event: "sending_failed",
      from: "west",
      channel: "ok",
      reason: "missing data",
    });
  });

  it("a bad channel is named before bad data", async () => {
    assert.deepEqual(await client.send("a b", undefined as unknown as Data), {
      event: "sending_failed",
      from: "west",
      channel: "a b",
      reason: "channel name contains whitespace",
    });
  });
});

describe('the key "west" is the server\'s', async () => {
  const node = await embeddedNode();
  it("a native client cannot take it", () => {
    assert.throws(() => node.client("west"), TypeError);
  });
});
