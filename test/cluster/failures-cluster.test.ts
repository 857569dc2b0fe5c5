import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hashSlot } from "../../src/devrel/hash-slot.js";
import type { RedisCluster } from "../../src/devrel/redis-servers.js";
import type { Reply, WestNode } from "../../src/index.js";
import { startWest } from "../../src/index.js";
import type { RedisOptions } from "../../src/options.js";
import { redisCluster, skipWithoutRedis } from "../helpers/redis.js";
import { eventually } from "./eventually.js";
import { Inbox } from "./three-nodes.js";

const skip = skipWithoutRedis();
/** Every node here has the same channel rules (a node refuses to join nodes with other rules). */
const CHANNELS = [{ match: "hist.>", history: { size: 1000, ttlSeconds: 60 } }];

describe("Redis Cluster (sharded mode): failover and slot moves", { skip }, () => {
  let cluster: RedisCluster;
  const nodes: WestNode[] = [];
  const node = async (redis: RedisOptions = {}) => {
    const started = await startWest({
      port: false,
      logLevel: "silent",
      commandTimeoutMs: 1000,
      dist: "redis",
      redis: { cluster: cluster.seeds, heartbeatTtlMs: 2000, ...redis },
      channels: CHANNELS,
    });
    nodes.push(started);
    return started;
  };
  before(async () => {
    cluster = await redisCluster();
  });
  after(() => Promise.all(nodes.map((n) => n.stop())));

  it("registrations wait for a replica when asked (WAIT 1) and succeed", async () => {
    const strict = (await node({ waitReplicas: 1 })).client("strict");
    assert.equal((await strict.reg("q-r1")).event, "registration_succeeded");
  });

  it("a live slot migration of a subscribed channel: delivery across nodes continues", async () => {
    const [n1, n2] = [await node(), await node()];
    const subscriber = new Inbox(n1, "m-sub");
    const owner = new Inbox(n1, "m-owner");
    const channel = "moving";
    await subscriber.client.sub(channel);
    await owner.client.reg(channel);
    const publisher = n2.client("m-pub");
    await publisher.pub(channel, "before");
    assert.deepEqual(await subscriber.waitFor(channel, 1), ["before"]);

    const slot = hashSlot(channel);
    const from = await cluster.masterForSlot(slot);
    const to = cluster.nodes.find((n) => n.role === "master" && n.port !== from)?.port as number;
    await cluster.migrateSlot(slot, to);
    assert.equal(await cluster.masterForSlot(slot), to);

    await eventually("a publish after the move reaches the subscriber", async () => {
      await publisher.pub(channel, "after");
      return subscriber.data(channel).includes("after");
    });
    assert.equal((await publisher.send(channel, "direct")).event, "sending_succeeded");
    assert.deepEqual(await owner.waitFor(channel, 1), ["direct"]);
  });

  it("a live slot migration while a channel with history is published on: no silent gap for its subscribers", async () => {
    const channel = "hist.moving";
    await noSilentGap(await node(), await node(), channel, async () => {
      const slot = hashSlot(channel);
      const from = await cluster.masterForSlot(slot);
      const to = cluster.nodes.find((n) => n.role === "master" && n.port !== from)?.port as number;
      await cluster.migrateSlot(slot, to);
    });
  });

  it("kill -9 of the master of a channel with history while it is published on: no silent gap for its subscribers", async () => {
    // Not on the master the next test kills (each master has one replica to fail over to).
    const spared = await cluster.masterForSlot(hashSlot("failing-over"));
    let channel = "";
    for (let i = 0; channel === ""; i++)
      if ((await cluster.masterForSlot(hashSlot(`hist.failing.${i}`))) !== spared)
        channel = `hist.failing.${i}`;
    await noSilentGap(await node(), await node(), channel, async () => {
      await cluster.killNode(await cluster.masterForSlot(hashSlot(channel)));
    });
  });

  it("kill -9 of a master: a replica takes over and delivery across nodes resumes", async () => {
    const [n1, n2] = [await node(), await node()];
    const channel = "failing-over";
    const subscriber = new Inbox(n1, "f-sub");
    await subscriber.client.sub(channel);
    const publisher = n2.client("f-pub");
    await publisher.pub(channel, "before");
    assert.deepEqual(await subscriber.waitFor(channel, 1), ["before"]);
    const holder = new Inbox(n1, "f-holder");
    const held = `{${channel}}-held`;
    assert.equal((await holder.client.reg(held)).event, "registration_succeeded");

    await cluster.killNode(await cluster.masterForSlot(hashSlot(channel)));
    const killedAt = Date.now();
    const failures: [command: string, reason: string | undefined][] = [];
    /** The reply's event; an internal_error's reason is kept in `failures`. */
    const failing = (command: string, reply: Reply): string => {
      if (reply.event === "internal_error") failures.push([command, reply.reason]);
      return reply.event;
    };
    await eventually("a publish after the failover reaches the subscriber", async () => {
      failing("publish", await publisher.pub(channel, "after"));
      return subscriber.data(channel).includes("after");
    });
    if (process.env.WEST_TEST_TIMINGS)
      console.log(`delivery resumed ${Date.now() - killedAt} ms after the master was killed`);
    await eventually("a registration made before the failover still reaches its owner", async () => {
      return failing("send", await publisher.send(held, "kept")) === "sending_succeeded";
    });
    assert.deepEqual(await holder.waitFor(held, 1), ["kept"]);
    const owner = new Inbox(n1, "f-owner");
    await eventually("a registration on the new master", async () => {
      return failing("register", await owner.client.reg(channel)) === "registration_succeeded";
    });
    // Whatever failed while the master was gone said why, from what a failover can cause: never a server fault.
    const unavailable = ["redis unavailable", "timed out"];
    const allowed: Record<string, string[]> = {
      publish: unavailable,
      register: unavailable,
      send: [...unavailable, "owner's node fenced", "no answer from the owner's node"],
    };
    if (process.env.WEST_TEST_TIMINGS)
      console.log(
        `${failures.length} failed during the failover: ${[...new Set(failures.map((f) => f.join(": ")))]}`,
      );
    for (const [command, reason] of failures)
      assert.ok(allowed[command]?.includes(reason as string), `${command} failed with reason ${reason}`);
    assert.equal((await publisher.send(channel, "direct")).event, "sending_succeeded");
    assert.deepEqual(await owner.waitFor(channel, 1), ["direct"]);
  });

  it("a killed master that comes back as a replica: every publish and every send is still delivered once", async () => {
    const [n1, n2] = [await node(), await node()];
    const channel = "twice";
    const subscriber = new Inbox(n1, "t-sub");
    const owner = new Inbox(n1, "t-owner");
    await subscriber.client.sub(channel);
    await owner.client.reg(channel);
    const publisher = n2.client("t-pub");
    const killed = await cluster.masterForSlot(hashSlot(channel));
    await cluster.killNode(killed);
    await eventually("a publish after the failover reaches the subscriber", async () => {
      await publisher.pub(channel, "after failover");
      return subscriber.data(channel).includes("after failover");
    });
    await cluster.restartNode(killed);
    await cluster.waitHealthy();
    await eventually("the owner is reached again", async () => {
      return (await publisher.send(channel, "probe")).event === "sending_succeeded";
    });
    const before = { published: subscriber.data(channel).length, sent: owner.data(channel).length };
    const numbers = Array.from({ length: 50 }, (_, i) => i);
    for (const i of numbers) assert.equal((await publisher.pub(channel, i)).event, "publication_succeeded");
    for (const i of numbers) assert.equal((await publisher.send(channel, i)).event, "sending_succeeded");
    await publisher.pub(channel, "marker");
    await subscriber.waitFor(channel, before.published + 51);
    await owner.waitFor(channel, before.sent + 50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(subscriber.data(channel).slice(before.published), [...numbers, "marker"]);
    assert.deepEqual(owner.data(channel).slice(before.sent), numbers);
  });
});

/**
 * A subscriber on `n1`, a publisher on `n2` publishing on `channel` (history) all along, and `fault` in the
 * middle: the subscriber gets consecutive offsets within an epoch, and a new epoch only from its offset 1, with
 * no acknowledged publish of the old epoch after its last one; or it is closed (a socket: 4004), which is not
 * silent.
 */
async function noSilentGap(
  n1: WestNode,
  n2: WestNode,
  channel: string,
  fault: () => Promise<void>,
): Promise<void> {
  const subscriber = new Inbox(n1, "gap-sub");
  const start = await subscriber.client.sub(channel);
  const publisher = n2.client("gap-pub");
  let publishing = true;
  const acknowledged: Reply[] = [];
  const loop = (async () => {
    for (let i = 0; publishing && i < 20_000; i++) {
      const answer = await publisher.pub(channel, `m${i}`);
      if (answer.event === "publication_succeeded") acknowledged.push(answer);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  const count = () => subscriber.data(channel).length;
  const closed = () =>
    subscriber.client.ping().then(
      () => false,
      () => true,
    );
  try {
    await eventually("some deliveries before the fault", async () => count() >= 20);
    await fault();
    const before = count();
    await eventually(
      "deliveries after the fault",
      async () => count() >= before + 50 || (await closed()),
      30_000,
    );
  } finally {
    publishing = false;
    await loop;
  }
  const got = subscriber.messages.filter((m) => m.event === "new_message") as {
    offset: number;
    epoch: string;
  }[];
  let epoch = start.epoch as string;
  let next = (start.offset as number) + 1;
  for (const delivery of got) {
    if (delivery.epoch !== epoch) {
      const missed = acknowledged.some((a) => a.epoch === epoch && (a.offset as number) >= next);
      assert.ok(
        delivery.offset === 1 && !missed,
        `epoch ${epoch} -> ${delivery.epoch} at offset ${delivery.offset}`,
      );
      epoch = delivery.epoch;
      next = 1;
    }
    assert.equal(delivery.offset, next, `offset in epoch ${epoch}`);
    next++;
  }
}
