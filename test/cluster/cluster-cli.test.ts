import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ClusterView } from "../../src/adapters/redis/inspect.js";
import { hashSlot } from "../../src/devrel/hash-slot.js";
import type { RedisCluster, RedisServer } from "../../src/devrel/redis-servers.js";
import type { WestNode } from "../../src/index.js";
import { startWest } from "../../src/index.js";
import { CliProcess } from "../helpers/cli-process.js";
import { redisCluster, redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { eventually } from "./eventually.js";

const skip = skipWithoutRedis();

async function west(args: string[]): Promise<string> {
  const child = new CliProcess(args);
  const code = await child.exitCode();
  assert.equal(code, 0, child.output());
  return child.lines.stdout.join("\n");
}

describe("west cluster status / where", { skip }, () => {
  let standalone: RedisServer;
  let cluster: RedisCluster;
  const nodes: WestNode[] = [];
  before(async () => {
    [standalone, cluster] = await Promise.all([redisServer(), redisCluster()]);
  });
  after(() => Promise.all(nodes.map((n) => n.stop())));

  it("status lists the live nodes of a Redis Cluster with their counts, and the shards", async () => {
    const redis = { cluster: cluster.seeds, heartbeatTtlMs: 400 };
    const [listening, embedded] = await Promise.all([
      startWest({ port: 0, logLevel: "silent", dist: "redis", redis }),
      startWest({ port: false, logLevel: "silent", dist: "redis", redis }),
    ]);
    nodes.push(listening, embedded);
    const client = listening.client("counted");
    await client.reg("cli-r1");
    await client.reg("cli-r2");
    await client.sub("cli-ps");
    let view: ClusterView | undefined;
    await eventually("the heartbeat records carry the new counts", async () => {
      view = JSON.parse(await west(["cluster", "status", "--json", `--redis-cluster=${cluster.seeds[0]}`]));
      // A new replica is listed by CLUSTER SLOTS once it has synced with its master.
      const replicated = view?.shards.every((s) => s.replicas.length === 1) ?? false;
      return replicated && (view?.nodes.some((n) => n.registrations === 2) ?? false);
    });
    assert.equal(view?.mode, "sharded");
    assert.equal(view?.nodes.length, 2);
    const counted = view?.nodes.find((n) => n.url === listening.url);
    assert.deepEqual(
      counted && [counted.connections, counted.registrations, counted.subscriptions],
      [1, 2, 1],
    );
    assert.equal(view?.shards.length, 3);
    assert.equal(
      view?.shards.flatMap((s) => s.slots).reduce((sum, [first, last]) => sum + last - first + 1, 0),
      16384,
    );

    const text = await west(["cluster", "status", `--redis-cluster=${cluster.seeds.join(",")}`]);
    assert.match(text, /mode: sharded/);
    assert.match(text, /nodes: 2 live/);
    assert.ok(text.includes(listening.url as string));
    assert.match(text, /shards: 3/);
  });

  it("where names the slot and the shard that hold a channel", async () => {
    await cluster.waitHealthy();
    const place = JSON.parse(
      await west(["cluster", "where", "some-channel", "--json", `--redis-cluster=${cluster.seeds[1]}`]),
    );
    const slot = hashSlot("some-channel");
    assert.equal(place.slot, slot);
    assert.equal(place.master, `127.0.0.1:${await cluster.masterForSlot(slot)}`);
    const text = await west(["cluster", "where", "some-channel", `--redis-cluster=${cluster.seeds[1]}`]);
    assert.equal(
      text,
      `some-channel: slot ${slot} on the shard of master ${place.master} (replicas ${place.replicas[0]})`,
    );
  });

  it("in global mode, status lists the nodes and where names the one Redis", async () => {
    const node = await startWest({
      port: 0,
      logLevel: "silent",
      dist: "redis",
      redis: { url: standalone.url },
    });
    nodes.push(node);
    const view = JSON.parse(
      await west(["cluster", "status", "--json", `--redis=${standalone.url}`]),
    ) as ClusterView;
    assert.equal(view.mode, "global");
    assert.deepEqual(
      view.nodes.map((n) => n.url),
      [node.url],
    );
    assert.equal(
      await west(["cluster", "where", "x", `--redis=${standalone.url}`]),
      `x: global mode, every channel is on ${standalone.url}`,
    );
  });

  it("without a Redis to look at, it says what to give", async () => {
    const child = new CliProcess(["cluster", "status"]);
    assert.notEqual(await child.exitCode(), 0);
    assert.match(child.lines.stderr.join("\n"), /--redis/);
  });
});
