import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import type { RedisServer } from "../../src/devrel/redis-servers.js";
import { startWestOnRedis } from "../helpers/cli-process.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { next, Received, sdkClient, sleep } from "./sdk-helpers.js";

/** Short, so that a dead node's records are found soon; the SDK's retry window must outlast it. */
const HEARTBEAT_TTL_MS = 1500;

/**
 * docs/client.md, "Connection": real node processes on one Redis, killed with SIGKILL under an SDK client that
 * has their URLs.
 */
describe("the SDK when its node dies (kill -9), on Redis", { skip: skipWithoutRedis() }, () => {
  let redis: RedisServer;
  let config: string;

  before(async () => {
    redis = await redisServer();
    config = join(mkdtempSync(join(tmpdir(), "west-sdk-")), "west.json");
    writeFileSync(
      config,
      JSON.stringify({ channels: [{ match: "chat.>", history: { size: 10000, ttlSeconds: 60 } }] }),
    );
  });

  const startNode = (port = 0) => startWestOnRedis(config, redis.url, HEARTBEAT_TTL_MS, port);
  const url = (port: number) => `ws://127.0.0.1:${port}`;

  it("a node killed and started again on its port: the client comes back, re-registers and resubscribes", async () => {
    const first = await startNode();
    const client = sdkClient(url(first.port), { key: "survivor" });
    const inbox = new Received();
    const news = new Received();
    const registration = client.register("survivor.inbox", inbox.handler);
    const subscription = client.subscribe("survivor.news", news.handler);
    await Promise.all([registration.ready, subscription.ready]);
    const lost: string[] = [];
    client.on("registration_lost", (channel) => lost.push(channel));

    first.west.signal("SIGKILL");
    await next(client, "state", (state) => state === "disconnected");
    const restored = Promise.all([
      next(registration, "registered", () => true, 15_000),
      next(subscription, "subscribed", () => true, 15_000),
    ]);
    const again = await startNode(first.port);
    // The old record names the dead node until its heartbeat expires: the SDK claims again until then.
    await restored;
    assert.deepEqual(lost, []);

    const other = sdkClient(url(again.port), { key: "other" });
    assert.equal((await other.send("survivor.inbox", "welcome back")).event, "sending_succeeded");
    await other.publish("survivor.news", "news");
    await Promise.all([inbox.until(1), news.until(1)]);
    client.close();
    again.west.signal("SIGKILL");
    await sleep(HEARTBEAT_TTL_MS);
  });

  it("a client with two URLs moves to the other node and recovers everything published meanwhile", async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const reader = sdkClient([url(a.port), url(b.port)], { key: "mover" });
    const received = new Received();
    const subscription = reader.subscribe("chat.moving", received.handler, { recover: true });
    await subscription.ready;
    const writer = sdkClient(url(b.port), { key: "writer" });

    let published = 0;
    let writing = true;
    const offsets: number[] = [];
    const writes = (async () => {
      while (writing) {
        const reply = await writer.publish("chat.moving", ++published);
        offsets.push(reply.offset as number);
        await sleep(5);
      }
    })();
    await received.until(50);
    a.west.signal("SIGKILL");
    const [info] = (await next(subscription, "subscribed", () => true, 15_000)) as unknown as [
      { recovered: boolean },
    ];
    assert.equal(info.recovered, true);
    await sleep(300);
    writing = false;
    await writes;
    await received.until(published, 10_000);
    const got = received.offsets();
    assert.deepEqual(got, offsets, "every offset, in order, once");
    assert.deepEqual(
      got,
      Array.from({ length: published }, (_, i) => i + 1),
    );
    assert.deepEqual(
      received.data(),
      Array.from({ length: published }, (_, i) => i + 1),
    );
    reader.close();
    writer.close();
    b.west.signal("SIGKILL");
    await sleep(HEARTBEAT_TTL_MS);
  });

  it("a registration still denied when the retry window ends is lost, on the client and the registration", async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const client = sdkClient([url(a.port), url(b.port)], { key: "loser", registrationRetryMs: 200 });
    const registration = client.register("loser.inbox");
    await registration.ready;
    const lostOnClient = next(client, "registration_lost", () => true, 15_000);
    const lostOnRegistration = next(registration, "registration_lost", () => true, 15_000);
    a.west.signal("SIGKILL");
    const [channel, reason] = (await lostOnClient) as unknown as [string, string];
    assert.equal(channel, "loser.inbox");
    assert.equal(reason, "registration_denied");
    await lostOnRegistration;
    assert.equal(registration.state, "lost");
    client.close();
    b.west.signal("SIGKILL");
    await sleep(HEARTBEAT_TTL_MS);
  });
});
