import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createClient } from "@redis/client";
import { clusterInfo, coversAllSlots, slotMap } from "../../src/devrel/cluster-state.js";
import { diesWithParent } from "../../src/devrel/die-with-parent.js";
import { isPortFree } from "../../src/devrel/free-ports.js";
import { hashSlot, SLOTS } from "../../src/devrel/hash-slot.js";
import { RespError, redisCall, redisCalls } from "../../src/devrel/redis-admin.js";
import type { RedisCluster } from "../../src/devrel/redis-servers.js";
import { waitFor } from "../../src/devrel/wait-for.js";
import { isAlive } from "../helpers/processes.js";
import { redisCluster, redisServer, skipWithoutRedis } from "../helpers/redis.js";

const skip = skipWithoutRedis();

/** GET on a cluster, following MOVED and ASK redirections as a cluster client does. */
async function clusterGet(port: number, key: string): Promise<string | null> {
  let target = port;
  let asking = false;
  for (let hop = 0; hop < 5; hop++) {
    try {
      const replies = await redisCalls(target, asking ? [["ASKING"], ["GET", key]] : [["GET", key]]);
      return replies[replies.length - 1] as string | null;
    } catch (error) {
      const redirect = error instanceof RespError && /^(MOVED|ASK) \d+ [\d.]+:(\d+)$/.exec(error.message);
      if (!redirect) throw error;
      asking = redirect[1] === "ASK";
      target = Number(redirect[2]);
    }
  }
  throw new Error(`too many redirections for ${key}`);
}

describe("hash slots", { skip }, () => {
  it("match CLUSTER KEYSLOT, hash tags included", async () => {
    assert.equal(hashSlot("123456789"), 12739, "the CRC16 check value of the Redis Cluster spec");
    const server = await redisServer({ args: ["--cluster-enabled", "yes"] });
    for (const key of [
      "",
      "west:reg:r1",
      "{user1000}.following",
      "foo{}{bar}",
      "foo{{bar}}zap",
      "a{b}c{d}",
      "ü😀",
    ]) {
      assert.equal(hashSlot(key), await redisCall(server.port, "CLUSTER", "KEYSLOT", key), key);
    }
  });
});

describe("startRedisServer", { skip }, () => {
  it("answers PING, SET and GET on its URL's port", async () => {
    const server = await redisServer();
    assert.equal(server.url, `redis://127.0.0.1:${server.port}`);
    assert.equal(await redisCall(server.port, "PING"), "PONG");
    assert.equal(await redisCall(server.port, "SET", "k", "v"), "OK");
    assert.equal(await redisCall(server.port, "GET", "k"), "v");
  });

  it("restart() comes back on the same port with no data, as a new process", async () => {
    const server = await redisServer();
    const firstPid = server.pid;
    await redisCall(server.port, "SET", "k", "v");
    await server.restart();
    assert.notEqual(server.pid, firstPid);
    assert.equal(await redisCall(server.port, "GET", "k"), null);
  });

  it("kill9() crashes it; restart() brings it back", async () => {
    const server = await redisServer();
    const pid = server.pid as number;
    await server.kill9();
    assert.equal(isAlive(pid), false);
    assert.equal(server.pid, undefined);
    await assert.rejects(redisCall(server.port, "PING"));
    await server.restart();
    assert.equal(await redisCall(server.port, "PING"), "PONG");
  });

  it("stop() ends the process, frees the port and removes the temp dir", async () => {
    const server = await redisServer();
    const pid = server.pid as number;
    assert.ok(existsSync(server.dir));
    await server.stop();
    assert.equal(isAlive(pid), false);
    assert.equal(await isPortFree(server.port), true);
    assert.equal(existsSync(server.dir), false);
  });

  it("takes more config arguments: a server with a password starts, and wants AUTH", async () => {
    const server = await redisServer({ args: ["--requirepass", "s3cret"] });
    await assert.rejects(redisCall(server.port, "GET", "k"), /NOAUTH/);
    const client = createClient({ url: `redis://:s3cret@127.0.0.1:${server.port}` });
    await client.connect();
    assert.equal(await client.ping(), "PONG");
    await client.close();
  });

  it("two servers get two ports", async () => {
    const [a, b] = await Promise.all([redisServer(), redisServer()]);
    assert.notEqual(a.port, b.port);
  });

  for (const [how, ending, expectDir] of [
    ["exits", "process.exit(0);", false],
    ["is killed by SIGKILL", 'process.kill(process.pid, "SIGKILL");', true],
  ] as const) {
    it(`a process that ${how} without stopping its servers takes them down with it`, {
      skip:
        how.includes("SIGKILL") &&
        !diesWithParent &&
        "no setpriv (util-linux): cannot tie a child's life to ours",
    }, async () => {
      const module = fileURLToPath(new URL("../../src/devrel/redis-servers.js", import.meta.url));
      const script =
        `const { startRedisServer } = await import(${JSON.stringify(module)});` +
        `const s = await startRedisServer(); console.log(JSON.stringify({ pid: s.pid, dir: s.dir })); ${ending}`;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => {
        output += chunk;
      });
      await new Promise((resolve) => child.on("close", resolve));
      const { pid, dir } = JSON.parse(output) as { pid: number; dir: string };
      await waitFor(() => !isAlive(pid), 5000, `redis-server ${pid} to be gone`);
      // No exit handler runs on SIGKILL: the temp dir stays (and is removed here).
      assert.equal(existsSync(dir), expectDir);
      await rm(dir, { recursive: true, force: true });
    });
  }
});

describe("startRedisCluster", { skip }, () => {
  let cluster: RedisCluster;
  before(async () => {
    cluster = await redisCluster({ masters: 3, replicasPerMaster: 1 });
  });

  it("has 3 masters and 3 replicas, and every node sees the cluster ok with all 16384 slots served", async () => {
    assert.equal(cluster.seeds.length, 6);
    assert.deepEqual(cluster.nodes.map((node) => node.role).sort(), [
      "master",
      "master",
      "master",
      "replica",
      "replica",
      "replica",
    ]);
    for (const node of cluster.nodes) {
      const info = await clusterInfo(node.port);
      assert.equal(info.get("cluster_state"), "ok", `port ${node.port}`);
      assert.equal(info.get("cluster_slots_ok"), String(SLOTS));
      assert.ok(coversAllSlots(await slotMap(node.port)));
    }
  });

  it("stores a key on the master of its slot", async () => {
    const key = "west:reg:{r1}";
    const owner = await cluster.masterForSlot(hashSlot(key));
    assert.equal(await redisCall(owner, "SET", key, "node-a/1"), "OK");
    assert.equal(await clusterGet(cluster.nodes[0]?.port as number, key), "node-a/1");
  });

  it("migrateSlot() moves a slot with its keys while they stay readable", async () => {
    const key = "west:reg:{migrating}";
    const slot = hashSlot(key);
    const from = await cluster.masterForSlot(slot);
    const to = cluster.nodes.find((node) => node.role === "master" && node.port !== from)?.port as number;
    await redisCall(from, "SET", key, "kept");
    for (let i = 0; i < 250; i++) await redisCall(from, "SET", `{migrating}:${i}`, String(i));

    let reads = 0;
    let migrating = true;
    const reader = (async () => {
      while (migrating) {
        assert.equal(await clusterGet(from, key), "kept");
        reads++;
      }
    })();
    await cluster.migrateSlot(slot, to);
    migrating = false;
    await reader;

    assert.ok(reads > 0);
    assert.equal(await cluster.masterForSlot(slot), to);
    for (const node of cluster.nodes) {
      assert.equal((await slotMap(node.port)).find((r) => r.first <= slot && slot <= r.last)?.masterPort, to);
    }
    assert.equal(await redisCall(to, "GET", key), "kept");
    assert.equal(await redisCall(to, "GET", "{migrating}:249"), "249");
    await assert.rejects(
      redisCall(from, "GET", key),
      (error) => error instanceof RespError && error.message === `MOVED ${slot} 127.0.0.1:${to}`,
    );
  });

  it("killNode() of a master: its replica takes over and serves its keys", async (t) => {
    const key = "west:reg:{failover}";
    const victim = await cluster.masterForSlot(hashSlot(key));
    await redisCall(victim, "SET", key, "survives");
    // WAIT: the write is on the replica before the master dies.
    assert.equal(await redisCall(victim, "WAIT", "1", "5000"), 1);
    const started = Date.now();
    await cluster.killNode(victim);
    await cluster.waitHealthy(60_000);
    const promoted = await cluster.masterForSlot(hashSlot(key));
    t.diagnostic(`failover took ${Date.now() - started} ms`);
    assert.notEqual(promoted, victim);
    assert.equal(cluster.nodes.find((node) => node.port === victim)?.role, "dead");
    assert.equal(cluster.nodes.filter((node) => node.role === "master").length, 3);
    assert.equal(await redisCall(promoted, "GET", key), "survives");
  });

  it("restartNode() brings a killed master back, as a replica", async () => {
    const dead = cluster.nodes.find((node) => node.role === "dead")?.port as number;
    await cluster.restartNode(dead);
    await cluster.waitHealthy(60_000);
    assert.equal(cluster.nodes.find((node) => node.port === dead)?.role, "replica");
  });

  it("stop() ends every node and removes their dirs", async () => {
    const nodes = cluster.nodes;
    await cluster.stop();
    for (const node of nodes) {
      assert.equal(node.pid === undefined || !isAlive(node.pid), true, `port ${node.port}`);
      assert.equal(existsSync(node.dir), false);
    }
  });
});
