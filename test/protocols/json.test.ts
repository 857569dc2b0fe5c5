import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Command, Data, Delivery, Message, Reason, RequestId } from "../../src/core/message.js";
import { reply } from "../../src/core/message.js";
import type { Decoded } from "../../src/protocols/codec.js";
import { jsonCodec } from "../../src/protocols/json.js";

const decode = (text: string): Decoded => jsonCodec.decode(Buffer.from(text, "utf8"), false);
const command = (fields: Command): Decoded => ({ type: "command", command: fields });
const badRequest = (reason: Reason, id?: RequestId): Decoded => ({
  type: "reply",
  reply: reply("bad_request", undefined, id, reason),
});
const encoded = (message: Message): unknown => JSON.parse(jsonCodec.encode(message) as string);
const delivery = (data: Data): Delivery => ({ event: "new_message", from: "u2", channel: "c1", data });

describe("JSON protocol: decoding commands", () => {
  const forms: [string, Command][] = [
    ['{"event":"ping"}', { event: "ping" }],
    ['{"event":"ping","id":"p"}', { event: "ping", id: "p" }],
    ['{"event":"register","channel":"c1","id":"7"}', { event: "register", channel: "c1", id: "7" }],
    ['{"event":"unregister","channel":"c1"}', { event: "unregister", channel: "c1" }],
    ['{"event":"subscribe","channel":"c1","id":1}', { event: "subscribe", channel: "c1", id: 1 }],
    ['{"event":"unsubscribe","channel":"c1"}', { event: "unsubscribe", channel: "c1" }],
    ['{"event":"send","channel":"r1","data":"hi"}', { event: "send", channel: "r1", data: "hi" }],
    ['{"event":"publish","channel":"c1","data":"hello"}', { event: "publish", channel: "c1", data: "hello" }],
    ['{"event":"dance","channel":"c1","id":"x"}', { event: "dance", channel: "c1", id: "x" }],
    ['{"event":"register","channel":"c1","from":"someone-else"}', { event: "register", channel: "c1" }],
    ['{"event":"register","channel":"a b"}', { event: "register", channel: "a b" }],
  ];
  for (const [frame, expected] of forms) {
    it(`reads ${frame}`, () => {
      assert.deepEqual(decode(frame), command(expected));
    });
  }

  const kinds: [string, string, Data][] = [
    ["text", '"hello"', "hello"],
    ["empty text (empty data is data)", '""', ""],
    ["a number", "42", 42],
    ["zero", "0", 0],
    ["false", "false", false],
    ["an object", '{"a":[1,"two",null]}', { a: [1, "two", null] }],
    ["an empty array", "[]", []],
  ];
  for (const [what, json, data] of kinds) {
    it(`keeps data of kind ${what} as its JSON value`, () => {
      assert.deepEqual(decode(`{"event":"publish","channel":"c1","data":${json}}`), {
        type: "command",
        command: { event: "publish", channel: "c1", data },
      });
    });
  }

  it("a number too large for a double is not data: it cannot reach anyone as sent", () => {
    assert.deepEqual(
      decode('{"event":"publish","channel":"c1","data":-1e400,"id":"5"}'),
      badRequest("number out of range", "5"),
    );
  });

  it("a number too large for a double inside data is not data either (it would arrive as null)", () => {
    assert.deepEqual(
      decode('{"event":"publish","channel":"c1","data":{"a":[1,1e400]},"id":6}'),
      badRequest("number out of range", 6),
    );
    assert.deepEqual(
      decode('{"event":"send","channel":"r1","data":[-2E+999]}'),
      badRequest("number out of range"),
    );
    assert.deepEqual(
      decode('{"event":"publish","channel":"c1","data":{"tiny":1e-400,"big":1e300}}'),
      command({ event: "publish", channel: "c1", data: { tiny: 0, big: 1e300 } }),
    );
  });

  it("JSON null data is missing data", () => {
    assert.deepEqual(
      decode('{"event":"send","channel":"r1","data":null}'),
      command({ event: "send", channel: "r1" }),
    );
  });

  it("ids come back as the same JSON type: string stays string, number stays number", () => {
    assert.deepEqual(decode('{"event":"ping","id":"42"}'), command({ event: "ping", id: "42" }));
    assert.deepEqual(decode('{"event":"ping","id":42}'), command({ event: "ping", id: 42 }));
    assert.deepEqual(decode('{"event":"ping","id":-1.5}'), command({ event: "ping", id: -1.5 }));
    assert.deepEqual(decode('{"event":"ping","id":""}'), command({ event: "ping", id: "" }));
    assert.deepEqual(decode('{"event":"ping","id":0}'), command({ event: "ping", id: 0 }));
  });

  it("a null id is no id, and a null channel is no channel (as null data is no data)", () => {
    assert.deepEqual(decode('{"event":"ping","id":null}'), command({ event: "ping" }));
    assert.deepEqual(
      decode('{"event":"register","channel":null,"id":"1"}'),
      command({ event: "register", id: "1" }),
    );
  });

  it("the text frame bye closes", () => {
    assert.deepEqual(decode("bye"), { type: "close" });
  });
});

describe("JSON protocol: frames that cannot be read get bad_request", () => {
  const bad: [string, string, Reason, RequestId?][] = [
    ["invalid JSON", '{"event":"ping"', "not JSON"],
    ["not JSON at all", "ping", "not JSON"],
    ["an empty frame", "", "not JSON"],
    ["a JSON array", '[{"event":"ping"}]', "not a JSON object"],
    ["a JSON number", "42", "not a JSON object"],
    ["a JSON string", '"ping"', "not a JSON object"],
    ["JSON null", "null", "not a JSON object"],
    ["JSON true", "true", "not a JSON object"],
    ["a missing event", '{"channel":"c1"}', "missing event"],
    ["a missing event, with the id kept", '{"channel":"c1","id":"9"}', "missing event", "9"],
    ["a numeric event", '{"event":1,"id":2}', "event is not a string", 2],
    ["a null event", '{"event":null}', "missing event"],
    ["an object event", '{"event":{"name":"ping"}}', "event is not a string"],
    ["an object id", '{"event":"ping","id":{"n":1}}', "id is not a string or a number"],
    ["a boolean id", '{"event":"ping","id":true}', "id is not a string or a number"],
    ["an array id", '{"event":"ping","id":["1"]}', "id is not a string or a number"],
    ["a numeric channel", '{"event":"register","channel":5,"id":"3"}', "channel is not a string", "3"],
    ["an object channel", '{"event":"subscribe","channel":{},"id":4}', "channel is not a string", 4],
    ["a boolean channel", '{"event":"subscribe","channel":false}', "channel is not a string"],
    [
      "a number id too large for a double (it could not come back unchanged)",
      '{"event":"ping","id":1e400}',
      "number out of range",
    ],
    ["a bad id before a missing event: the id is named", '{"id":true}', "id is not a string or a number"],
  ];
  for (const [what, frame, reason, id] of bad) {
    it(`${what}: ${reason}`, () => {
      assert.deepEqual(decode(frame), badRequest(reason, id));
    });
  }

  it("bad_request is sent as an object with only the fields that have a value", () => {
    assert.deepEqual(encoded(reply("bad_request")), { event: "bad_request", from: "west" });
    assert.deepEqual(encoded(reply("bad_request", undefined, "9")), {
      event: "bad_request",
      from: "west",
      id: "9",
    });
    assert.equal(
      jsonCodec.encode(reply("bad_request", undefined, "9", "missing event")),
      '{"event":"bad_request","from":"west","id":"9","reason":"missing event"}',
    );
  });
});

describe("JSON protocol: a binary frame", () => {
  it("gets {event: bad_encoding, from: west} as a text frame", () => {
    const decoded = jsonCodec.decode(Buffer.from('{"event":"ping"}'), true);
    assert.deepEqual(decoded, { type: "reply", reply: reply("bad_encoding") });
    const frame = jsonCodec.encode(reply("bad_encoding"));
    assert.equal(typeof frame, "string");
    assert.deepEqual(JSON.parse(frame as string), { event: "bad_encoding", from: "west" });
  });
});

describe("JSON protocol: encoding replies and deliveries", () => {
  it("a reply has only the fields that have a value", () => {
    assert.deepEqual(encoded(reply("registration_succeeded", "c1", "7")), {
      event: "registration_succeeded",
      channel: "c1",
      from: "west",
      id: "7",
    });
    assert.deepEqual(encoded(reply("pong")), { event: "pong", from: "west" });
    assert.deepEqual(encoded(reply("action_not_allowed", undefined, 3)), {
      event: "action_not_allowed",
      from: "west",
      id: 3,
    });
  });

  it("a reply with a reason carries it after the v1 fields; one without has no reason field", () => {
    assert.equal(
      jsonCodec.encode(reply("registration_failed", "a b", "7", "channel name contains whitespace")),
      '{"event":"registration_failed","from":"west","channel":"a b","id":"7","reason":"channel name contains whitespace"}',
    );
    assert.equal(
      jsonCodec.encode(reply("registration_failed", "a", 7)),
      '{"event":"registration_failed","from":"west","channel":"a","id":7}',
    );
  });

  it("a numeric id comes back as a number, a string id as a string", () => {
    assert.equal(jsonCodec.encode(reply("pong", undefined, 12)), '{"event":"pong","from":"west","id":12}');
    assert.equal(
      jsonCodec.encode(reply("pong", undefined, "12")),
      '{"event":"pong","from":"west","id":"12"}',
    );
  });

  it("the registration_lost notice carries its channel", () => {
    assert.deepEqual(encoded(reply("registration_lost", "r1")), {
      event: "registration_lost",
      from: "west",
      channel: "r1",
    });
  });

  const kinds: [string, Data, Record<string, unknown>][] = [
    ["text as a JSON string", "hello", { data: "hello" }],
    ["empty text as an empty string", "", { data: "" }],
    ["a json object as the same value", { a: [1, "two", null] }, { data: { a: [1, "two", null] } }],
    ["a json number as the same value", 42, { data: 42 }],
    ["json false as the same value", false, { data: false }],
    ["json 0 as the same value", 0, { data: 0 }],
    ["valid UTF-8 bytes as a JSON string", Buffer.from("héllo", "utf8"), { data: "héllo" }],
    ["empty bytes as an empty string", new Uint8Array(), { data: "" }],
    [
      "invalid UTF-8 bytes as base64 with encoding: base64",
      new Uint8Array([0xff, 0xfe, 0x00]),
      { data: "//4A", encoding: "base64" },
    ],
  ];
  for (const [what, data, fields] of kinds) {
    it(`a delivery carries ${what}`, () => {
      assert.deepEqual(encoded(delivery(data)), {
        event: "new_message",
        from: "u2",
        channel: "c1",
        ...fields,
      });
    });
  }

  it("a delivery has no id", () => {
    assert.ok(!("id" in (encoded(delivery("x")) as object)));
  });

  it("bytes that are a view into a larger buffer are read from their own range", () => {
    const view = new Uint8Array([0x61, 0xff, 0x62]).subarray(1, 2);
    assert.deepEqual(encoded(delivery(view)), {
      event: "new_message",
      from: "u2",
      channel: "c1",
      data: "/w==",
      encoding: "base64",
    });
  });
});

describe('JSON protocol: binary data as "encoding":"base64" (ext)', () => {
  it("base64 data with encoding base64 becomes bytes", () => {
    assert.deepEqual(decode('{"event":"publish","channel":"c1","data":"AP8K","encoding":"base64"}'), {
      type: "command",
      command: { event: "publish", channel: "c1", data: Buffer.from([0, 255, 10]) },
    });
  });

  it("empty base64 is empty bytes (empty data is data)", () => {
    assert.deepEqual(decode('{"event":"send","channel":"c1","data":"","encoding":"base64"}'), {
      type: "command",
      command: { event: "send", channel: "c1", data: Buffer.alloc(0) },
    });
  });

  const unreadable: [string, string, Reason][] = [
    ["invalid base64", '"AP8K!"', "invalid base64"],
    ["base64 without its padding", '"AP8"', "invalid base64"],
    ["data that is not a string", "[1,2]", "base64 data is not a string"],
    ["no data", "null", "base64 data is not a string"],
  ];
  for (const [what, data, reason] of unreadable) {
    it(`${what} with encoding base64 gets bad_request: ${reason}`, () => {
      assert.deepEqual(
        decode(`{"event":"publish","channel":"c1","data":${data},"encoding":"base64","id":"b"}`),
        badRequest(reason, "b"),
      );
    });
  }

  it("an encoding other than base64 gets bad_request: encoding is not base64", () => {
    assert.deepEqual(
      decode('{"event":"publish","channel":"c1","data":"00ff","encoding":"hex"}'),
      badRequest("encoding is not base64"),
    );
  });

  it("a delivery of bytes that are not UTF-8 decodes back to the same bytes", () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe]);
    const frame = jsonCodec.encode(delivery(bytes)) as string;
    const back = decode(frame.replace('"event":"new_message"', '"event":"publish"'));
    assert.deepEqual(back.type === "command" && back.command.data, bytes);
  });
});
