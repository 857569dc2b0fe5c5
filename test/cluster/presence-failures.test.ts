import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RedisServer } from "../../src/devrel/redis-servers.js";
import { startWest, type WestNode } from "../../src/index.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { eventually } from "./eventually.js";

const TTL_MS = 1000;

describe("Redis global mode: presence through Redis failures", { skip: skipWithoutRedis() }, () => {
  let redis: RedisServer;
  const nodes: WestNode[] = [];
  const node = async () => {
    const started = await startWest({
      port: false,
      logLevel: "silent",
      commandTimeoutMs: 1000,
      dist: "redis",
      channels: [{ match: "pr.>", presence: true }],
      redis: { url: redis.url, heartbeatTtlMs: TTL_MS },
    });
    nodes.push(started);
    return started;
  };
  before(async () => {
    redis = await redisServer();
  });
  after(() => Promise.all(nodes.map((n) => n.stop())));

  it("a subscriber that leaves while Redis is down is not written back into presence when Redis returns", async () => {
    const [b, c] = [await node(), await node()];
    await b.client("pr-stays").sub("pr.room");
    const leaving = b.client("pr-leaves");
    await leaving.sub("pr.room");
    const asker = c.client("pr-asker");
    assert.deepEqual((await asker.presence("pr.room")).data, { "pr-stays": 1, "pr-leaves": 1 });
    await redis.kill9();
    await leaving.close();
    await redis.restart();
    await eventually("presence is written again without the one that left", async () => {
      const reply = await asker.presence("pr.room");
      return reply.event === "presence_succeeded" && JSON.stringify(reply.data) === '{"pr-stays":1}';
    });
    await new Promise((resolve) => setTimeout(resolve, 3 * TTL_MS));
    assert.deepEqual((await asker.presence("pr.room")).data, { "pr-stays": 1 });
  });
});
