import assert from "node:assert/strict";
import { after, test } from "node:test";
import { io } from "socket.io-client";
import { startSocketIoServer } from "../../bench/baselines/socketio-server.js";
import { Agent } from "../../bench/harness/agent.js";
import { stampedPayload } from "../../bench/harness/payload.js";

const TIMEOUT_MS = 5_000;

test("the bench's own Socket.IO client and socket.io-client understand each other through the baseline server", async () => {
  const server = await startSocketIoServer();
  after(() => server.stop());
  const url = `ws://127.0.0.1:${server.port}`;
  const open = async (keyPrefix: string) => {
    const agent = new Agent();
    after(() => agent.close());
    const opened = await agent.open({
      url,
      dialect: "socketio",
      keyPrefix,
      first: 0,
      count: 1,
      concurrency: 1,
      timeoutMs: TIMEOUT_MS,
    });
    assert.equal(opened.opened, 1, opened.error);
    return agent;
  };
  const subscriber = await open("sub-");
  await subscriber.subscribe({ fixed: "room" }, TIMEOUT_MS);
  const client = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  after(() => client.disconnect());
  await new Promise((resolve) => client.once("connect", () => resolve(undefined)));
  assert.equal(await client.timeout(TIMEOUT_MS).emitWithAck("subscribe", "room"), true);

  // socket.io-client publishes; the bench's client receives it.
  subscriber.arm();
  assert.equal(await client.timeout(TIMEOUT_MS).emitWithAck("publish", "room", stampedPayload()), true);
  const phase = await subscriber.settle(1, TIMEOUT_MS, TIMEOUT_MS);
  assert.deepEqual([phase.received, phase.lost, phase.extra], [1, 0, 0]);

  // The bench's client publishes with an acknowledgement; socket.io-client receives it.
  const publisher = await open("pub-");
  const message = new Promise<[string, string]>((resolve) =>
    client.once("message", (channel: string, data: string) => resolve([channel, data])),
  );
  const sent = await publisher.publish({
    kind: "publish",
    plan: { fixed: "room" },
    perConnection: 1,
    window: 1,
    timeoutMs: TIMEOUT_MS,
  });
  assert.deepEqual(sent.sent, [1]);
  const [channel, data] = await message;
  assert.equal(channel, "room");
  assert.match(data, /^~T\d{15}-+$/);
  assert.equal(data.length, 64);
});
