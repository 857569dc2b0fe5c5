import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MessageType } from "../../src/protocols/pb.js";
import { connect, listeningNode, pbMessage, type TestSocket } from "../helpers/ws-client.js";

type Frame = Record<string, unknown>;
const json = (frame: unknown): Frame => JSON.parse(String(frame)) as Frame;
const pb = (fields: Frame): Uint8Array => MessageType.encode(fields).finish();

async function setup() {
  return listeningNode({
    maxPendingRequests: 2,
    permissions: {
      default: "allow",
      rules: [{ actions: ["send"], channels: "private.>", effect: "deny" }],
    },
  });
}

/** A JSON owner of `channel` on `node`. */
async function jsonOwner(wsUrl: string, key: string, channel: string): Promise<TestSocket> {
  const owner = await connect(wsUrl, "json", key);
  owner.send(JSON.stringify({ event: "register", channel }));
  assert.equal(json(await owner.take()).event, "registration_succeeded");
  return owner;
}

describe("request/reply on the wire (local mode)", () => {
  it("JSON: the owner gets new_message with reply_to, answers with reply; the requester gets response with its id", async () => {
    const node = await setup();
    const owner = await jsonOwner(node.wsUrl, "pricing", "svc.price");
    const requester = await connect(node.wsUrl, "json", "alice");
    requester.send(
      JSON.stringify({
        event: "request",
        channel: "svc.price",
        data: { sku: 1 },
        id: "r1",
        timeout_ms: 3000,
      }),
    );
    const request = json(await owner.take());
    assert.deepEqual(
      { ...request, reply_to: typeof request.reply_to },
      { event: "new_message", from: "alice", channel: "svc.price", data: { sku: 1 }, reply_to: "string" },
    );
    owner.send(JSON.stringify({ event: "reply", channel: request.reply_to, data: { price: 9 }, id: "x" }));
    assert.deepEqual(json(await owner.take()), {
      event: "reply_succeeded",
      from: "west",
      channel: request.reply_to,
      id: "x",
    });
    assert.deepEqual(json(await requester.take()), {
      event: "response",
      from: "pricing",
      channel: "svc.price",
      id: "r1",
      data: { price: 9 },
    });
    owner.send(JSON.stringify({ event: "reply", channel: request.reply_to, data: "again", id: "y" }));
    assert.deepEqual(json(await owner.take()), {
      event: "reply_failed",
      from: "west",
      channel: request.reply_to,
      id: "y",
      reason: "unknown or expired token",
    });
  });

  it("JSON: bytes travel both ways as base64 when they are not UTF-8", async () => {
    const node = await setup();
    const owner = await jsonOwner(node.wsUrl, "bin", "svc.bin");
    const requester = await connect(node.wsUrl, "json", "alice");
    requester.send(
      JSON.stringify({ event: "request", channel: "svc.bin", data: "//4=", encoding: "base64", id: 7 }),
    );
    const request = json(await owner.take());
    assert.deepEqual([request.data, request.encoding], ["//4=", "base64"]);
    owner.send(
      JSON.stringify({ event: "reply", channel: request.reply_to, data: "//4=", encoding: "base64" }),
    );
    assert.equal(json(await owner.take()).event, "reply_succeeded");
    assert.deepEqual(json(await requester.take()), {
      event: "response",
      from: "bin",
      channel: "svc.bin",
      id: 7,
      data: "//4=",
      encoding: "base64",
    });
  });

  it("a pending request does not hold later commands back: their replies come first, the outcome when it comes", async () => {
    const node = await setup();
    const owner = await jsonOwner(node.wsUrl, "slow", "svc.slow");
    const requester = await connect(node.wsUrl, "json", "alice");
    requester.send(JSON.stringify({ event: "request", channel: "svc.slow", data: "q", id: "r1" }));
    requester.send(JSON.stringify({ event: "ping", id: "p1" }));
    assert.deepEqual(json(await requester.take()), { event: "pong", from: "west", id: "p1" });
    const request = json(await owner.take());
    owner.send(JSON.stringify({ event: "reply", channel: request.reply_to, data: "a" }));
    assert.deepEqual(json(await requester.take()), {
      event: "response",
      from: "slow",
      channel: "svc.slow",
      id: "r1",
      data: "a",
    });
  });

  it("JSON: a bad timeout, missing data, too many pending, a denied channel each get their one reply with a reason", async () => {
    const node = await setup();
    await jsonOwner(node.wsUrl, "owner", "svc.busy");
    const requester = await connect(node.wsUrl, "json", "alice");
    const ask = async (fields: Frame) => {
      requester.send(JSON.stringify({ event: "request", ...fields }));
      return json(await requester.take());
    };
    for (const timeout_ms of [0, 60_001, 1.5])
      assert.deepEqual(await ask({ channel: "svc.busy", data: "x", id: "t", timeout_ms }), {
        event: "request_failed",
        from: "west",
        channel: "svc.busy",
        id: "t",
        reason: "timeout_ms is not a whole number from 1 to 60000",
      });
    assert.deepEqual(await ask({ channel: "svc.busy", data: "x", id: "s", timeout_ms: "soon" }), {
      event: "bad_request",
      from: "west",
      id: "s",
      reason: "timeout_ms is not a whole number",
    });
    assert.deepEqual(await ask({ channel: "svc.busy", id: "d" }), {
      event: "request_failed",
      from: "west",
      channel: "svc.busy",
      id: "d",
      reason: "missing data",
    });
    assert.deepEqual(await ask({ channel: "private.x", data: "x", id: "p" }), {
      event: "permission_denied",
      from: "west",
      channel: "private.x",
      id: "p",
      reason: "not allowed by the channel permissions",
    });
    requester.send(
      JSON.stringify({ event: "request", channel: "svc.busy", data: 1, id: "1", timeout_ms: 60_000 }),
    );
    requester.send(
      JSON.stringify({ event: "request", channel: "svc.busy", data: 2, id: "2", timeout_ms: 60_000 }),
    );
    assert.deepEqual(await ask({ channel: "svc.busy", data: 3, id: "3" }), {
      event: "request_failed",
      from: "west",
      channel: "svc.busy",
      id: "3",
      reason: "too many pending requests on this connection",
    });
  });

  it("reply is always allowed (the token is the capability), and a bad token or no data gets reply_failed", async () => {
    const node = await listeningNode({
      permissions: {
        default: "deny",
        rules: [{ actions: ["register", "send"], channels: "svc.>", effect: "allow" }],
      },
    });
    const owner = await jsonOwner(node.wsUrl, "owner", "svc.locked");
    const requester = await connect(node.wsUrl, "json", "alice");
    requester.send(JSON.stringify({ event: "request", channel: "svc.locked", data: "x", id: "r" }));
    const request = json(await owner.take());
    owner.send(JSON.stringify({ event: "reply", channel: request.reply_to, id: "nodata" }));
    assert.deepEqual(json(await owner.take()), {
      event: "reply_failed",
      from: "west",
      channel: request.reply_to,
      id: "nodata",
      reason: "missing data",
    });
    owner.send(JSON.stringify({ event: "reply", channel: "no-dot-here", data: "x", id: "bad" }));
    assert.equal(json(await owner.take()).reason, "unknown or expired token");
    owner.send(JSON.stringify({ event: "reply", channel: request.reply_to, data: "ok", id: "good" }));
    assert.equal(json(await owner.take()).event, "reply_succeeded");
    assert.equal(json(await requester.take()).event, "response");
  });

  it("protobuf: timeout_ms (11) on request, reply_to (10) on the delivery, response with the owner's key", async () => {
    const node = await setup();
    const owner = await connect(node.wsUrl, "pb", "pb-owner");
    owner.send(pb({ event: "register", channel: "svc.pb" }));
    assert.equal(pbMessage(await owner.take()).event, "registration_succeeded");
    const requester = await connect(node.wsUrl, "pb", "pb-alice");
    requester.send(
      pb({ event: "request", channel: "svc.pb", data: Buffer.from("q"), id: "r1", timeoutMs: 2000 }),
    );
    const request = pbMessage(await owner.take());
    assert.equal(request.event, "new_message");
    assert.equal(request.from, "pb-alice");
    assert.deepEqual(request.data, Buffer.from("q"));
    assert.equal(typeof request.replyTo, "string");
    owner.send(pb({ event: "reply", channel: request.replyTo, data: Buffer.from([0, 255]), id: "a" }));
    assert.deepEqual(pbMessage(await owner.take()), {
      event: "reply_succeeded",
      from: "west",
      channel: request.replyTo,
      id: "a",
    });
    assert.deepEqual(pbMessage(await requester.take()), {
      event: "response",
      from: "pb-owner",
      channel: "svc.pb",
      id: "r1",
      data: Buffer.from([0, 255]),
    });
    requester.send(
      pb({ event: "request", channel: "svc.pb", data: Buffer.from("q"), id: "r2", timeoutMs: 50 }),
    );
    assert.deepEqual(pbMessage(await requester.take()), {
      event: "request_timeout",
      from: "west",
      channel: "svc.pb",
      id: "r2",
    });
  });

  it("text: req ID CH TIMEOUT_MS MSG, FROM CH:new_request T MSG, reply T MSG, OWNER CH:response ID MSG", async () => {
    const node = await setup();
    const owner = await connect(node.wsUrl, "text", "t-owner");
    owner.send("reg svc.text");
    assert.equal(await owner.take(), "west svc.text:registration_succeeded");
    const requester = await connect(node.wsUrl, "text", "t-alice");
    requester.send('req q1 svc.text 2000 "how much?"');
    const request = String(await owner.take());
    const match = /^t-alice svc\.text:new_request (\S+) how much\?$/.exec(request);
    assert.ok(match !== null, request);
    const token = match[1] as string;
    owner.send(`reply ${token} "nine euros"`);
    assert.equal(await owner.take(), `west ${token}:reply_succeeded`);
    assert.equal(await requester.take(), "t-owner svc.text:response q1 nine euros");
    owner.send(`reply ${token} again`);
    assert.equal(await owner.take(), `west ${token}:reply_failed`);
    requester.send("req q2 svc.text 50 hello");
    assert.equal(await requester.take(), "west svc.text:request_timeout q2");
    requester.send("req q3 svc.nobody 1000 hello");
    assert.equal(await requester.take(), "west svc.nobody:registration_not_found q3");
    requester.send("req q4 svc.text soon hello");
    assert.equal(await requester.take(), "west svc.text:request_failed q4");
    requester.send("req q5 svc.text 1000");
    assert.equal(
      await requester.take(),
      "west:action_not_allowed",
      "a request without its MSG is no command",
    );
  });

  it("a request across protocols: a text owner answers a JSON requester", async () => {
    const node = await setup();
    const owner = await connect(node.wsUrl, "text", "t-owner");
    owner.send("reg svc.mixed");
    await owner.take();
    const requester = await connect(node.wsUrl, "json", "j-alice");
    requester.send(JSON.stringify({ event: "request", channel: "svc.mixed", data: { n: 1 }, id: 5 }));
    const token = (/:new_request (\S+) \{"n":1\}$/.exec(String(await owner.take())) as RegExpExecArray)[1];
    owner.send(`reply ${token} plain`);
    await owner.take();
    assert.deepEqual(json(await requester.take()), {
      event: "response",
      from: "t-owner",
      channel: "svc.mixed",
      id: 5,
      data: "plain",
    });
  });
});
