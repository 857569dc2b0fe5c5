import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { WestNode } from "../../src/index.js";
import { startWest } from "../../src/index.js";
import type { WestOptions } from "../../src/options.js";
import { capturingLogger } from "../helpers/log-capture.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";

const skip = skipWithoutRedis();
const HISTORY = [{ match: "chat.>", history: { size: 10, ttlSeconds: 60 } }];

describe("channel rules on Redis", { skip }, () => {
  const nodes: WestNode[] = [];
  after(() => Promise.all(nodes.map((node) => node.stop())));
  const start = async (options: WestOptions) => {
    const node = await startWest({ port: false, logLevel: "silent", ...options });
    nodes.push(node);
    return node;
  };

  it("a node refuses to join live nodes whose channel rules differ, naming the node; the same rules join", async () => {
    const redis = await redisServer();
    const shared: WestOptions = { dist: "redis", redis: { url: redis.url, heartbeatTtlMs: 2000 } };
    await start({ ...shared, channels: HISTORY });
    await assert.rejects(
      start({ ...shared, channels: [{ match: "chat.>", history: { size: 11, ttlSeconds: 60 } }] }),
      /channels: this node's channel rules \(hash \w+\) differ from those of node \w+ \(hash \w+\) on the same Redis/,
    );
    await assert.rejects(start(shared), /differ from those of node/, "no rules differ from some rules");
    await start({ ...shared, channels: HISTORY });
  });

  it("a node whose rules turn history on warns at startup when Redis may evict keys", async () => {
    const redis = await redisServer({ args: ["--maxmemory-policy", "allkeys-lru"] });
    const { logger, lines } = capturingLogger();
    await start({ dist: "redis", redis: { url: redis.url }, channels: HISTORY, logger });
    const warning = lines.find((line) => String(line.msg).includes("noeviction"));
    assert.equal(warning?.maxmemoryPolicy, "allkeys-lru");
    assert.equal(warning?.level, 40, "a warning");

    const quiet = capturingLogger();
    const plain = await redisServer();
    await start({ dist: "redis", redis: { url: plain.url }, channels: HISTORY, logger: quiet.logger });
    assert.equal(quiet.lines.filter((line) => String(line.msg).includes("noeviction")).length, 0);
  });
});
