import assert from "node:assert/strict";
import { describe, it } from "node:test";
import protobuf from "protobufjs";
import { localAdapter } from "../../src/adapters/local/local-adapter.js";
import { startWest } from "../../src/index.js";
import { connect, listeningNode, pbFrame, pbMessage, type TestSocket } from "../helpers/ws-client.js";

type Frame = Record<string, unknown>;

/** A JSON client that answers each command's reply by id and keeps its deliveries apart. */
class JsonPeer {
  private nextId = 1;
  constructor(readonly socket: TestSocket) {}

  frames(): Frame[] {
    return this.socket.received.map((frame) => JSON.parse(String(frame)) as Frame);
  }

  deliveries(channel?: string): Frame[] {
    return this.frames().filter(
      (f) => f.event === "new_message" && (channel === undefined || f.channel === channel),
    );
  }

  async command(fields: Frame): Promise<Frame> {
    const id = String(this.nextId++);
    this.socket.send(JSON.stringify({ ...fields, id }));
    const reply = () => this.frames().find((f) => f.id === id);
    await this.socket.until(() => reply() !== undefined, 5000, `the reply to ${JSON.stringify(fields)}`);
    return reply() as Frame;
  }

  async waitDeliveries(channel: string, count: number, timeoutMs = 5000): Promise<Frame[]> {
    await this.socket.until(() => this.deliveries(channel).length >= count, timeoutMs, `${count} deliveries`);
    return this.deliveries(channel);
  }
}

const CHANNELS = [
  { match: "chat.>", history: { size: 300, ttlSeconds: 60 } },
  { match: "small.>", history: { size: 3, ttlSeconds: 60 } },
  { match: "brief.>", history: { size: 10, ttlSeconds: 1 } },
  { match: "private.>", history: { size: 10, ttlSeconds: 60 } },
];

async function setup(options: { maxFrameBytes?: number } = {}) {
  const node = await listeningNode({
    channels: CHANNELS,
    permissions: {
      default: "allow",
      rules: [{ actions: ["subscribe"], channels: "private.>", effect: "deny" }],
    },
    ...options,
  });
  const peer = async (key: string) => new JsonPeer(await connect(node.wsUrl, "json", key));
  return { node, peer };
}

/** Checks that `frames` carry consecutive offsets from `first`, in one epoch. */
function assertConsecutive(frames: Frame[], first: number, epoch: string): void {
  frames.forEach((frame, i) => {
    assert.equal(frame.epoch, epoch, `delivery ${i} epoch`);
    assert.equal(frame.offset, first + i, `delivery ${i} offset (no gap, no duplicate)`);
  });
}

describe("history and recovery (local mode)", () => {
  it("a publish on a history channel gets the next offset; its reply and deliveries carry offset and epoch", async () => {
    const { peer } = await setup();
    const sub = await peer("s");
    const subscribed = await sub.command({ event: "subscribe", channel: "chat.a" });
    assert.equal(subscribed.event, "subscription_succeeded");
    assert.equal(subscribed.offset, 0);
    assert.equal(typeof subscribed.epoch, "string");
    assert.equal(subscribed.recovered, undefined, "no recovery asked");
    const pub = await peer("p");
    const first = await pub.command({ event: "publish", channel: "chat.a", data: "one" });
    const second = await pub.command({ event: "publish", channel: "chat.a", data: { n: 2 } });
    assert.deepEqual(
      [first.event, first.offset, first.epoch, second.offset],
      ["publication_succeeded", 1, subscribed.epoch, 2],
    );
    const got = await sub.waitDeliveries("chat.a", 2);
    assert.deepEqual(got, [
      { event: "new_message", from: "p", channel: "chat.a", data: "one", offset: 1, epoch: subscribed.epoch },
      {
        event: "new_message",
        from: "p",
        channel: "chat.a",
        data: { n: 2 },
        offset: 2,
        epoch: subscribed.epoch,
      },
    ]);
    const plain = await pub.command({ event: "publish", channel: "plain", data: "x" });
    assert.equal(plain.offset, undefined, "channels without history are as they were");
  });

  it("a subscriber that reconnects with its last offset gets exactly what it missed, in order, then live ones, while a publisher keeps publishing", async () => {
    const { peer, node } = await setup();
    const publisher = node.client("pub");
    let publishing = true;
    let published = 0;
    const loop = (async () => {
      while (publishing && published < 5000) {
        await publisher.pub("chat.r", `live ${published++}`);
        if (published % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    const first = await peer("reader");
    const start = await first.command({ event: "subscribe", channel: "chat.r" });
    const epoch = start.epoch as string;
    const before = await first.waitDeliveries("chat.r", 20);
    assertConsecutive(before, (start.offset as number) + 1, epoch);
    first.socket.ws.close();
    await first.socket.closedWith();
    const seen = first.deliveries("chat.r");
    const last = seen.at(-1)?.offset as number;

    // 200 publications while it is away, from a second publisher beside the loop.
    const away = node.client("away");
    for (let i = 0; i < 200; i++) await away.pub("chat.r", `missed ${i}`);

    const again = await peer("reader");
    const resumed = await again.command({ event: "subscribe", channel: "chat.r", offset: last, epoch });
    assert.equal(resumed.event, "subscription_succeeded");
    assert.equal(resumed.recovered, true);
    assert.equal(resumed.epoch, epoch);
    const top = resumed.offset as number;
    assert.ok(top >= last + 200, `top ${top} includes the 200 missed after ${last}`);
    const after = await again.waitDeliveries("chat.r", top - last + 50);
    publishing = false;
    await loop;
    assertConsecutive(after, last + 1, epoch);
    const missed = after.filter((frame) => String(frame.data).startsWith("missed "));
    assert.deepEqual(
      missed.map((frame) => frame.data),
      Array.from({ length: 200 }, (_, i) => `missed ${i}`),
    );
    const frames = again.frames();
    assert.equal(frames[0]?.event, "subscription_succeeded", "the reply comes before any delivery");
  });

  it("recovered: false when what was missed is no longer all there: trimmed, another epoch, an offset past the top", async () => {
    const { peer } = await setup();
    const pub = await peer("p");
    const sub = await peer("s");
    const start = await sub.command({ event: "subscribe", channel: "small.t" });
    await sub.command({ event: "unsubscribe", channel: "small.t" });
    for (let i = 1; i <= 5; i++) await pub.command({ event: "publish", channel: "small.t", data: `m${i}` });

    const trimmed = await sub.command({
      event: "subscribe",
      channel: "small.t",
      offset: 0,
      epoch: start.epoch,
    });
    assert.deepEqual([trimmed.recovered, trimmed.offset], [false, 5], "size 3: m1 and m2 are gone");
    await pub.command({ event: "publish", channel: "small.t", data: "m6" });
    const live = await sub.waitDeliveries("small.t", 1);
    assert.deepEqual(
      live.map((f) => [f.data, f.offset]),
      [["m6", 6]],
      "nothing replayed; live ones follow",
    );
    await sub.command({ event: "unsubscribe", channel: "small.t" });

    const stranger = await sub.command({ event: "subscribe", channel: "small.t", offset: 5, epoch: "nope" });
    assert.deepEqual([stranger.recovered, stranger.epoch], [false, start.epoch]);
    await sub.command({ event: "unsubscribe", channel: "small.t" });
    const ahead = await sub.command({
      event: "subscribe",
      channel: "small.t",
      offset: 99,
      epoch: start.epoch,
    });
    assert.equal(ahead.recovered, false);
    await sub.command({ event: "unsubscribe", channel: "small.t" });
    const exact = await sub.command({
      event: "subscribe",
      channel: "small.t",
      offset: 4,
      epoch: start.epoch,
    });
    assert.equal(exact.recovered, true);
    const replayed = await sub.waitDeliveries("small.t", 3);
    assert.deepEqual(
      replayed.slice(1).map((f) => f.data),
      ["m5", "m6"],
    );

    const plain = await sub.command({ event: "subscribe", channel: "plain", offset: 4, epoch: "e" });
    assert.deepEqual(
      [plain.event, plain.recovered],
      ["subscription_succeeded", false],
      "no history to recover from",
    );
  });

  it("recovered: false after the history expired: the channel starts a new epoch", async () => {
    const { peer } = await setup();
    const pub = await peer("p");
    const published = await pub.command({ event: "publish", channel: "brief.x", data: "old" });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const sub = await peer("s");
    const late = await sub.command({
      event: "subscribe",
      channel: "brief.x",
      offset: 0,
      epoch: published.epoch,
    });
    assert.equal(late.recovered, false);
    assert.notEqual(late.epoch, published.epoch);
    assert.equal(late.offset, 0);
  });

  it("history: the last N, the first N after an offset, limit 0, capped at the size; failures say why", async () => {
    const { peer } = await setup();
    const pub = await peer("p");
    let epoch = "";
    for (let i = 1; i <= 5; i++)
      epoch = (await pub.command({ event: "publish", channel: "chat.h", data: `m${i}` })).epoch as string;
    await pub.command({
      event: "publish",
      channel: "chat.h",
      data: Buffer.from([0xff, 0x00]).toString("base64"),
      encoding: "base64",
    });

    const last = await pub.command({ event: "history", channel: "chat.h", limit: 2 });
    assert.deepEqual(last, {
      event: "history_succeeded",
      from: "west",
      channel: "chat.h",
      id: last.id,
      offset: 6,
      epoch,
      complete: true,
      data: [
        { from: "p", offset: 5, data: "m5" },
        { from: "p", offset: 6, data: "/wA=", encoding: "base64" },
      ],
    });
    const all = await pub.command({ event: "history", channel: "chat.h" });
    assert.equal((all.data as Frame[]).length, 6, "limit defaults to the size");
    const after = await pub.command({ event: "history", channel: "chat.h", offset: 1, epoch, limit: 2 });
    assert.deepEqual(
      (after.data as Frame[]).map((f) => f.offset),
      [2, 3],
    );
    const none = await pub.command({ event: "history", channel: "chat.h", limit: 0 });
    assert.deepEqual([none.offset, none.epoch, none.data, none.complete], [6, epoch, [], true]);
    const capped = await pub.command({ event: "history", channel: "small.h", limit: 1000 });
    assert.deepEqual([capped.event, capped.data], ["history_succeeded", []]);

    const failures: [Frame, string, string][] = [
      [{ channel: "plain" }, "history_failed", "channel has no history"],
      [
        { channel: "chat.h", offset: 1, epoch: "other" },
        "history_failed",
        "epoch is not the channel's current one",
      ],
      [{ channel: "chat.h", offset: 7, epoch }, "history_failed", "offset is past the channel's top"],
      [{ channel: "chat.h", offset: 1 }, "history_failed", "offset without epoch"],
      [{ channel: "" }, "history_failed", "channel name is empty"],
      [{ channel: "chat.h", limit: -1 }, "bad_request", "limit is not a whole number"],
      [{ channel: "chat.h", limit: "3" }, "bad_request", "limit is not a whole number"],
      [{ channel: "chat.h", offset: 1.5, epoch }, "bad_request", "offset is not a whole number"],
      [{ channel: "chat.h", offset: 1, epoch: 5 }, "bad_request", "epoch is not a string"],
      [{ channel: "private.h" }, "permission_denied", "not allowed by the channel permissions"],
    ];
    for (const [fields, event, reason] of failures) {
      const answer = await pub.command({ event: "history", ...fields });
      assert.deepEqual([answer.event, answer.reason], [event, reason], JSON.stringify(fields));
    }
    const subscribeFailure = await pub.command({ event: "subscribe", channel: "chat.h", offset: 2 });
    assert.deepEqual(
      [subscribeFailure.event, subscribeFailure.reason],
      ["subscription_failed", "offset without epoch"],
    );
  });

  it("a history reply is cut to fit a frame, and then says complete: false", async () => {
    const { peer } = await setup({ maxFrameBytes: 4096 });
    const pub = await peer("p");
    for (let i = 0; i < 10; i++)
      await pub.command({ event: "publish", channel: "chat.big", data: `${i}`.padEnd(1000, "x") });
    const last = await pub.command({ event: "history", channel: "chat.big", limit: 10 });
    const offsets = (last.data as Frame[]).map((f) => f.offset as number);
    assert.equal(last.complete, false);
    assert.ok(offsets.length >= 1 && offsets.length < 10, `${offsets.length} kept`);
    assert.equal(offsets.at(-1), 10, "the newest are kept for the last N");
    const forward = await pub.command({
      event: "history",
      channel: "chat.big",
      offset: 0,
      epoch: last.epoch,
    });
    assert.equal((forward.data as Frame[])[0]?.offset, 1, "the oldest are kept when paging forward");
    assert.equal(forward.complete, false);
  });

  it("protobuf: offset, epoch, recovered and history; a client built on the original fields 1-5 still works", async () => {
    const { node } = await setup();
    const sub = await connect(node.wsUrl, "pb", "pb-sub");
    sub.send(pbFrame({ event: "subscribe", channel: "chat.pb", id: "1" }));
    const subscribed = pbMessage(await sub.take());
    assert.equal(subscribed.event, "subscription_succeeded");
    const epoch = subscribed.epoch as string;
    assert.equal(typeof epoch, "string");
    const publisher = node.client("p");
    await publisher.pub("chat.pb", "one");
    await publisher.pub("chat.pb", "two");
    const delivered = pbMessage(await sub.take());
    assert.deepEqual(
      [delivered.event, String(delivered.data), Number(delivered.offset), delivered.epoch],
      ["new_message", "one", 1, epoch],
    );
    await sub.take();

    const recovering = await connect(node.wsUrl, "pb", "pb-again");
    const { MessageType } = await import("../../src/protocols/pb.js");
    recovering.send(
      MessageType.encode({ event: "subscribe", channel: "chat.pb", id: "2", offset: 1, epoch }).finish(),
    );
    const resumed = pbMessage(await recovering.take());
    assert.deepEqual(
      [resumed.event, resumed.recovered, Number(resumed.offset)],
      ["subscription_succeeded", true, 2],
    );
    const replayed = pbMessage(await recovering.take());
    assert.deepEqual([String(replayed.data), Number(replayed.offset)], ["two", 2]);

    recovering.send(MessageType.encode({ event: "history", channel: "chat.pb", id: "3", limit: 1 }).finish());
    const history = pbMessage(await recovering.take());
    assert.deepEqual([history.event, history.complete], ["history_succeeded", true]);
    assert.deepEqual(JSON.parse(String(history.data)), [{ from: "p", offset: 2, data: "two" }]);

    // The seed's schema: fields 1-5 only.
    const Original = new protobuf.Type("Message")
      .add(new protobuf.Field("event", 1, "string", "required"))
      .add(new protobuf.Field("channel", 2, "string", "optional"))
      .add(new protobuf.Field("from", 3, "string", "optional"))
      .add(new protobuf.Field("id", 4, "string", "optional"))
      .add(new protobuf.Field("data", 5, "bytes", "optional"));
    new protobuf.Root().define("seed").add(Original);
    const original = await connect(node.wsUrl, "pb", "seed");
    original.send(Original.encode({ event: "subscribe", channel: "chat.pb", id: "9" }).finish());
    const seedReply = Original.toObject(Original.decode((await original.take()) as Uint8Array));
    assert.deepEqual(seedReply, {
      event: "subscription_succeeded",
      channel: "chat.pb",
      from: "west",
      id: "9",
    });
    await publisher.pub("chat.pb", "three");
    const seedDelivery = Original.toObject(Original.decode((await original.take()) as Uint8Array));
    assert.deepEqual(
      { ...seedDelivery, data: String(seedDelivery.data) },
      { event: "new_message", channel: "chat.pb", from: "p", data: "three" },
    );
  });

  it("the text protocol subscribes history channels as before: plain deliveries", async () => {
    const { node } = await setup();
    const text = await connect(node.wsUrl, "text", "t");
    text.send("sub chat.text");
    assert.equal(await text.take(), "west chat.text:subscription_succeeded");
    await node.client("p").pub("chat.text", "hello");
    assert.equal(await text.take(), "p chat.text:new_message hello");
  });

  it("a node whose adapter keeps no history refuses to start with a rule that turns history on", async () => {
    await assert.rejects(
      startWest({
        port: false,
        logLevel: "silent",
        channels: CHANNELS,
        adapter: (context) => ({ ...localAdapter(context), history: undefined }),
      }),
      /channels: a rule turns on history, and this node's adapter keeps none/,
    );
  });

  it("the native client: sub with recover, history with after", async () => {
    const { node } = await setup();
    const publisher = node.client("p");
    const first = await publisher.pub("chat.native", "a");
    await publisher.pub("chat.native", "b");
    const inbox: unknown[] = [];
    const reader = node.client("r", (message) => inbox.push(message));
    const resumed = await reader.sub("chat.native", {
      recover: { offset: first.offset as number, epoch: first.epoch as string },
    });
    assert.deepEqual([resumed.recovered, resumed.offset], [true, 2]);
    assert.deepEqual(inbox, [
      { event: "new_message", from: "p", channel: "chat.native", data: "b", offset: 2, epoch: first.epoch },
    ]);
    const page = await reader.history("chat.native", {
      after: { offset: 0, epoch: first.epoch as string },
      limit: 1,
    });
    assert.deepEqual(page.data, [{ from: "p", offset: 1, data: "a" }]);
    const bad = await reader.history("chat.native", { limit: -2 });
    assert.deepEqual([bad.event, bad.reason], ["history_failed", "limit is not a whole number"]);
  });
});
