import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { localAdapter } from "../../src/adapters/local/local-adapter.js";
import { type Message, startWest } from "../../src/index.js";
import { MessageType } from "../../src/protocols/pb.js";
import { connect, listeningNode, pbMessage, type TestSocket } from "../helpers/ws-client.js";

const CHANNELS = [
  { match: "room.>", presence: true, joinLeave: true },
  { match: "quiet.>", presence: true },
  { match: "loud.>", joinLeave: true },
  { match: "secret.>", presence: true },
];

async function setup() {
  return listeningNode({
    channels: CHANNELS,
    permissions: {
      default: "allow",
      rules: [{ actions: ["subscribe"], channels: "secret.>", effect: "deny" }],
    },
  });
}

type Frame = Record<string, unknown>;
const frames = (socket: TestSocket): Frame[] => socket.received.map((f) => JSON.parse(String(f)) as Frame);
const notices = (socket: TestSocket) =>
  frames(socket)
    .filter((f) => f.event === "join" || f.event === "leave")
    .map((f) => `${f.from} ${f.event}`);

async function command(socket: TestSocket, fields: Frame): Promise<Frame> {
  const id = `${Math.random()}`;
  socket.send(JSON.stringify({ ...fields, id }));
  const reply = () => frames(socket).find((f) => f.id === id);
  await socket.until(() => reply() !== undefined, 3000, `the reply to ${JSON.stringify(fields)}`);
  return reply() as Frame;
}

describe("presence and join/leave (local mode)", () => {
  it("presence counts each key's subscribed connections; a key with two connections counts two", async () => {
    const node = await setup();
    const a1 = await connect(node.wsUrl, "json", "alice");
    const a2 = await connect(node.wsUrl, "json", "alice");
    const b = await connect(node.wsUrl, "json", "bob");
    for (const socket of [a1, a2, b]) await command(socket, { event: "subscribe", channel: "quiet.1" });
    assert.deepEqual(await command(b, { event: "presence", channel: "quiet.1" }), {
      event: "presence_succeeded",
      from: "west",
      channel: "quiet.1",
      id: frames(b).at(-1)?.id,
      data: { alice: 2, bob: 1 },
    });
    await command(a1, { event: "unsubscribe", channel: "quiet.1" });
    a2.ws.close();
    await a2.closedWith();
    const after = await command(b, { event: "presence", channel: "quiet.1" });
    assert.deepEqual(after.data, { bob: 1 });
    assert.deepEqual(notices(b), [], "presence without joinLeave sends no notices");
  });

  it("presence fails on a channel without it, on a bad name, and without the subscribe permission", async () => {
    const node = await setup();
    const c = await connect(node.wsUrl, "json", "carol");
    const failures: [Frame, string, string][] = [
      [{ channel: "loud.1" }, "presence_failed", "channel has no presence"],
      [{ channel: "plain" }, "presence_failed", "channel has no presence"],
      [{ channel: "" }, "presence_failed", "channel name is empty"],
      [{ channel: "secret.1" }, "permission_denied", "not allowed by the channel permissions"],
    ];
    for (const [fields, event, reason] of failures) {
      const answer = await command(c, { event: "presence", ...fields });
      assert.deepEqual([answer.event, answer.reason], [event, reason], JSON.stringify(fields));
    }
  });

  it("join and leave go to the channel's other subscribers: on subscribe, unsubscribe and close, per connection", async () => {
    const node = await setup();
    const watcher = await connect(node.wsUrl, "json", "watcher");
    await command(watcher, { event: "subscribe", channel: "room.1" });
    const dan = await connect(node.wsUrl, "json", "dan");
    await command(dan, { event: "subscribe", channel: "room.1" });
    const dan2 = await connect(node.wsUrl, "json", "dan");
    await command(dan2, { event: "subscribe", channel: "room.1" });
    await command(dan, { event: "unsubscribe", channel: "room.1" });
    dan2.ws.close();
    await watcher.until(() => notices(watcher).length === 4, 3000, "4 notices");
    assert.deepEqual(notices(watcher), ["dan join", "dan join", "dan leave", "dan leave"]);
    assert.deepEqual(notices(dan), ["dan join"], "dan's first connection saw the second join, not its own");
    assert.deepEqual(
      frames(watcher).find((f) => f.event === "join"),
      { event: "join", from: "dan", channel: "room.1" },
    );
  });

  it("a subscriber cut as a slow consumer leaves: the others get its leave, presence drops it", async () => {
    const node = await listeningNode({ channels: CHANNELS, slowConsumerBytes: 256 * 1024 });
    const inbox: Message[] = [];
    const watcher = node.client("w", (m) => inbox.push(m));
    await watcher.sub("room.cut");
    const slow = await connect(node.wsUrl, "json", "slow");
    await command(slow, { event: "subscribe", channel: "room.cut" });
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const publisher = node.client("p");
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 400 && !inbox.some((m) => m.event === "leave"); i++)
      await publisher.pub("room.cut", big);
    assert.deepEqual(
      inbox.filter((m) => m.event === "join" || m.event === "leave"),
      [
        { event: "join", from: "slow", channel: "room.cut" },
        { event: "leave", from: "slow", channel: "room.cut" },
      ],
    );
    assert.deepEqual((await watcher.presence("room.cut")).data, { w: 1 });
  });

  it("the text protocol reads KEY CH:join and KEY CH:leave; protobuf carries event, from and channel, and presence as JSON bytes", async () => {
    const node = await setup();
    const text = await connect(node.wsUrl, "text", "t");
    text.send("sub room.2");
    assert.equal(await text.take(), "west room.2:subscription_succeeded");
    const pb = await connect(node.wsUrl, "pb", "p");
    pb.send(MessageType.encode({ event: "subscribe", channel: "room.2", id: "1" }).finish());
    assert.equal(pbMessage(await pb.take()).event, "subscription_succeeded");
    assert.equal(await text.take(), "p room.2:join");
    pb.send(MessageType.encode({ event: "presence", channel: "room.2", id: "2" }).finish());
    const presence = pbMessage(await pb.take());
    assert.equal(presence.event, "presence_succeeded");
    assert.deepEqual(JSON.parse(String(presence.data)), { t: 1, p: 1 });
    text.send("unsub room.2");
    assert.equal(await text.take(), "west room.2:unsubscription_succeeded");
    assert.deepEqual(pbMessage(await pb.take()), { event: "leave", from: "t", channel: "room.2" });
  });

  it("native clients: presence, and join/leave to their handler", async () => {
    const node = await setup();
    const inbox: Message[] = [];
    const watcher = node.client("w", (m) => inbox.push(m));
    await watcher.sub("room.3");
    const other = node.client("o");
    await other.sub("room.3");
    assert.deepEqual((await watcher.presence("room.3")).data, { w: 1, o: 1 });
    await other.close();
    assert.deepEqual(inbox, [
      { event: "join", from: "o", channel: "room.3" },
      { event: "leave", from: "o", channel: "room.3" },
    ]);
    assert.deepEqual((await watcher.presence("room.3")).data, { w: 1 });
  });

  it("a node whose adapter keeps no presence refuses to start with a rule that turns it on", async () => {
    await assert.rejects(
      startWest({
        port: false,
        logLevel: "silent",
        channels: [{ match: "room.>", joinLeave: true }],
        adapter: (context) => ({ ...localAdapter(context), presence: undefined }),
      }),
      /channels: a rule turns on presence or join\/leave, and this node's adapter keeps none/,
    );
  });
});
