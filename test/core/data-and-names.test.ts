import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Data, Delivery } from "../../src/index.js";
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

  const invalid: [string, unknown][] = [
    ["empty", ""],
    ["a space", "a b"],
    ["a tab", "a\tb"],
    ["a newline", "a\n"],
    ["a non-breaking space", "a\u00a0b"],
    ["a double quote", 'a"b'],
    ["a control character", "a\u0001"],
    ["DEL", "a\u007f"],
    ["257 bytes", "x".repeat(257)],
    ["129 two-byte characters (258 bytes)", "é".repeat(129)],
    ["a lone surrogate", "a\ud800"],
    ["a right-to-left override (U+202E)", "ab\u202Ecd"],
    ["a left-to-right isolate (U+2066)", "\u2066ab"],
    ["a zero-width space (U+200B)", "a\u200Bb"],
    ["a zero-width joiner (U+200D)", "a\u200Db"],
    ["a byte order mark (U+FEFF)", "\uFEFFab"],
    ["a soft hyphen (U+00AD)", "a\u00ADb"],
    ["a tag character (U+E0041)", "a\u{E0041}"],
    ["a number", 7],
    ["an object", { name: "x" }],
  ];
  for (const [what, name] of invalid) {
    it(`a channel name with ${what} gets each command's *_failed reply`, async () => {
      const ch = name as string;
      assert.equal((await client.reg(ch)).event, "registration_failed");
      assert.equal((await client.unreg(ch)).event, "unregistration_failed");
      assert.equal((await client.send(ch, "x")).event, "sending_failed");
      assert.equal((await client.sub(ch)).event, "subscription_failed");
      assert.equal((await client.unsub(ch)).event, "unsubscription_failed");
      assert.equal((await client.pub(ch, "x")).event, "publication_failed");
    });
    it(`a client key with ${what} is refused`, () => {
      assert.throws(() => node.client(name as string), TypeError);
    });
  }

  const valid = ["x", "x".repeat(256), "é".repeat(128), "user.42/room:1", "日本語", "emoji🙂", "a'b", "{}[]"];
  for (const name of valid) {
    it(`${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}… (${name.length})` : name)} is a valid name`, async () => {
      assert.equal((await client.sub(name)).event, "subscription_succeeded");
      assert.equal((await client.unsub(name)).event, "unsubscription_succeeded");
      node.client(name);
    });
  }

  it("data that cannot travel (a function, a bigint, undefined) gets *_failed", async () => {
    for (const data of [() => 1, 10n, undefined, Symbol("s")]) {
      assert.equal((await client.pub("ok", data as unknown as Data)).event, "publication_failed");
      assert.equal((await client.send("ok", data as unknown as Data)).event, "sending_failed");
    }
  });
});

describe('the key "west" is the server\'s', async () => {
  const node = await embeddedNode();
  it("a native client cannot take it", () => {
    assert.throws(() => node.client("west"), TypeError);
  });
});
