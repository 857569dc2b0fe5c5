import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Command, Data, Delivery, Reply } from "../../src/core/message.js";
import { reply } from "../../src/core/message.js";
import type { Decoded } from "../../src/protocols/codec.js";
import { textCodec } from "../../src/protocols/text.js";

const decode = (text: string): Decoded => textCodec.decode(Buffer.from(text, "utf8"), false);
const command = (fields: Command): Decoded => ({ type: "command", command: fields });
const notAllowed: Decoded = { type: "reply", reply: reply("action_not_allowed") };
const delivery = (data: Data): Delivery => ({ event: "new_message", from: "u2", channel: "ps1", data });

describe("text protocol: decoding commands", () => {
  const forms: [string, Command][] = [
    ["ping", { event: "ping" }],
    ["reg r1", { event: "register", channel: "r1" }],
    ["unreg r1", { event: "unregister", channel: "r1" }],
    ["sub ps1", { event: "subscribe", channel: "ps1" }],
    ["unsub ps1", { event: "unsubscribe", channel: "ps1" }],
    ["send r1 hello", { event: "send", channel: "r1", data: "hello" }],
    ["pub ps1 All", { event: "publish", channel: "ps1", data: "All" }],
    ['send r1 "hello there"', { event: "send", channel: "r1", data: "hello there" }],
    ['pub ps1 ""', { event: "publish", channel: "ps1", data: "" }],
    ['pub ps1 "say \\"hi\\""', { event: "publish", channel: "ps1", data: 'say "hi"' }],
    ['pub ps1 "back\\\\slash"', { event: "publish", channel: "ps1", data: "back\\slash" }],
    ['pub ps1 "\\\\\\""', { event: "publish", channel: "ps1", data: '\\"' }],
    ['pub ps1 "  spaced  "', { event: "publish", channel: "ps1", data: "  spaced  " }],
    ['pub ps1 "{\\"a\\":1}"', { event: "publish", channel: "ps1", data: '{"a":1}' }],
    ["pub ps1 42", { event: "publish", channel: "ps1", data: "42" }],
    ["pub ps1 日本語", { event: "publish", channel: "ps1", data: "日本語" }],
  ];
  for (const [frame, expected] of forms) {
    it(`reads ${JSON.stringify(frame)}`, () => {
      assert.deepEqual(decode(frame), command(expected));
    });
  }

  it("reads words separated by several spaces", () => {
    assert.deepEqual(decode("send  r1   hi"), command({ event: "send", channel: "r1", data: "hi" }));
  });

  it("data is always text: a number, true or a JSON object stays a string", () => {
    for (const word of ["5", "true", "null", '"{}"']) {
      const decoded = decode(`pub c ${word}`);
      assert.equal(decoded.type, "command");
      assert.equal(typeof (decoded as { command: Command }).command.data, "string");
    }
  });

  it("an invalid channel name is still a command (the core answers *_failed)", () => {
    assert.deepEqual(decode('reg a"b'), command({ event: "register", channel: 'a"b' }));
    assert.deepEqual(decode('sub "a b"'), command({ event: "subscribe", channel: "a b" }));
    assert.deepEqual(decode('reg ""'), command({ event: "register", channel: "" }));
  });

  it("bye closes", () => {
    assert.deepEqual(decode("bye"), { type: "close" });
  });
});

describe("text protocol: frames that are not a command get west:action_not_allowed", () => {
  const bad: [string, string][] = [
    ["an unknown command", "hello"],
    ["an upper-case command word", "PING"],
    ["an upper-case reg", "REG r1"],
    ["a JSON command", '{"event":"ping"}'],
    ["an empty frame", ""],
    ["only spaces", "   "],
    ["ping with an extra part", "ping now"],
    ["bye with an extra part", "bye now"],
    ["reg without a channel", "reg"],
    ["reg with an extra part", "reg r1 x"],
    ["unreg without a channel", "unreg"],
    ["sub with an extra part", "sub ps1 x"],
    ["unsub without a channel", "unsub"],
    ["send without data", "send r1"],
    ["send without channel or data", "send"],
    ["send with two data words", "send r1 hello there"],
    ["pub without data", "pub ps1"],
    ["pub with an extra part after a quoted word", 'pub ps1 "a b" c'],
    ["an unbalanced quote", 'pub ps1 "hello'],
    ["a lone quote", 'pub ps1 "'],
    ["a quote closed by an escaped quote", 'pub ps1 "abc\\"'],
    ["an unknown escape", 'pub ps1 "a\\nb"'],
    ["an escape at the end", 'pub ps1 "a\\'],
    ["text glued to a closing quote", 'pub ps1 "a"b'],
    ["a word that names an Object property, with a channel", "toString r1"],
    ["constructor with a channel", "constructor r1"],
    ["__proto__ with a channel and data", "__proto__ r1 x"],
    ["hasOwnProperty with a channel and data", "hasOwnProperty r1 x"],
  ];
  for (const [what, frame] of bad) {
    it(what, () => {
      assert.deepEqual(decode(frame), notAllowed);
    });
  }
});

describe("text protocol: a binary frame", () => {
  it("gets the text frame bad_encoding", () => {
    const decoded = textCodec.decode(Buffer.from("ping"), true);
    assert.deepEqual(decoded, { type: "reply", reply: reply("bad_encoding") });
    assert.equal(textCodec.encode((decoded as { reply: Reply }).reply), "bad_encoding");
  });
});

describe("text protocol: encoding replies, deliveries and notices", () => {
  it("replies are `west CH:EVENT`", () => {
    assert.equal(textCodec.encode(reply("registration_succeeded", "r1")), "west r1:registration_succeeded");
    assert.equal(textCodec.encode(reply("sending_failed", "r1", "7")), "west r1:sending_failed");
    assert.equal(
      textCodec.encode(reply("publication_succeeded", "room:1")),
      "west room:1:publication_succeeded",
    );
  });

  it("ping is answered with the frame pong", () => {
    assert.equal(textCodec.encode(reply("pong")), "pong");
  });

  it("a reply without a channel is `west:EVENT`", () => {
    assert.equal(textCodec.encode(reply("action_not_allowed")), "west:action_not_allowed");
    assert.equal(textCodec.encode(reply("internal_error")), "west:internal_error");
  });

  it("the registration_lost notice is `west CH:registration_lost`", () => {
    assert.equal(textCodec.encode(reply("registration_lost", "r1")), "west r1:registration_lost");
  });

  it("a delivery is `FROM CH:new_message MSG`, MSG unquoted", () => {
    assert.equal(textCodec.encode(delivery("All")), "u2 ps1:new_message All");
    assert.equal(textCodec.encode(delivery('hello "there"')), 'u2 ps1:new_message hello "there"');
  });

  const kinds: [string, Data, string][] = [
    ["text as is", "hello there", "hello there"],
    ["empty text as empty MSG", "", ""],
    ["a json object as its JSON text", { a: [1, "two", null] }, '{"a":[1,"two",null]}'],
    ["a json number as its JSON text", 42, "42"],
    ["json false as its JSON text", false, "false"],
    ["a json array as its JSON text", [], "[]"],
    ["valid UTF-8 bytes as text", Buffer.from("héllo", "utf8"), "héllo"],
    ["empty bytes as empty MSG", new Uint8Array(), ""],
    ["invalid UTF-8 bytes as base64:", new Uint8Array([0xff, 0xfe, 0x00]), "base64://4A"],
  ];
  for (const [what, data, msg] of kinds) {
    it(`data: ${what}`, () => {
      assert.equal(textCodec.encode(delivery(data)), `u2 ps1:new_message ${msg}`);
    });
  }

  it("bytes that are a view into a larger buffer are read from their own range", () => {
    const backing = Buffer.from("xxhixx", "utf8");
    assert.equal(textCodec.encode(delivery(backing.subarray(2, 4))), "u2 ps1:new_message hi");
    const binary = new Uint8Array([0x61, 0xff, 0x62]).subarray(1, 2);
    assert.equal(textCodec.encode(delivery(binary)), "u2 ps1:new_message base64:/w==");
  });
});
