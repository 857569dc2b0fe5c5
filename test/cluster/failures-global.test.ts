import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "@redis/client";
import type { RedisServer } from "../../src/devrel/redis-servers.js";
import type { Reason, Reply, WestNode } from "../../src/index.js";
import { startWest } from "../../src/index.js";
import type { RedisOptions } from "../../src/options.js";
import { PROTOCOL_NAMES } from "../../src/protocols/codec.js";
import { startWestProcess } from "../helpers/cli-process.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { decodeFrame, protocolClient, type WireCommand } from "../helpers/ws-client.js";
import { eventually } from "./eventually.js";
import { Inbox } from "./three-nodes.js";

const skip = skipWithoutRedis();
const TTL_MS = 1000;

describe("Redis global mode: failures", { skip }, () => {
  let redis: RedisServer;
  const nodes: WestNode[] = [];
  const node = async (redisOptions: RedisOptions = {}, commandTimeoutMs = 1000) => {
    const started = await startWest({
      port: false,
      logLevel: "silent",
      commandTimeoutMs,
      dist: "redis",
      redis: { url: redis.url, heartbeatTtlMs: TTL_MS, ...redisOptions },
    });
    nodes.push(started);
    return started;
  };
  before(async () => {
    redis = await redisServer();
  });
  after(() => Promise.all(nodes.map((n) => n.stop())));

  it("kill -9 of a node: its channels are free once its heartbeat expires, sends to them answer registration_not_found", async () => {
    const { west, port } = await startWestProcess([
      "--port=0",
      "--dist=redis",
      `--redis=${redis.url}`,
      `--redis-heartbeat-ttl-ms=${TTL_MS}`,
    ]);
    const victim = await protocolClient(`ws://127.0.0.1:${port}`, "json", "victim");
    for (const channel of ["k-r1", "k-r2"]) {
      assert.equal(await victim.event({ event: "register", channel }), "registration_succeeded");
    }
    const [b, c] = [await node(), await node()];
    const survivor = new Inbox(b, "survivor");
    assert.equal((await survivor.client.reg("k-r1")).event, "registration_denied");
    await survivor.client.sub("k-ps");

    west.signal("SIGKILL");
    await west.exitCode();
    await eventually("k-r1 can be registered on another node", async () => {
      const reply = await survivor.client.reg("k-r1");
      assert.notEqual(reply.event, "internal_error");
      return reply.event === "registration_succeeded";
    });
    assert.equal((await c.client("sender").send("k-r2", "anyone?")).event, "registration_not_found");
    assert.equal((await c.client("sender").send("k-r1", "to survivor")).event, "sending_succeeded");
    assert.equal((await c.client("publisher").pub("k-ps", "still here")).event, "publication_succeeded");
    assert.deepEqual(await survivor.waitFor("k-ps", 1), ["still here"]);
    assert.deepEqual(await survivor.waitFor("k-r1", 1), ["to survivor"]);
  });

  it("owner records expire unless their node renews them: a live node keeps its 50 past the expiry, a killed node's leave Redis", async () => {
    const recordTtlMs = 3000;
    const { west, port } = await startWestProcess([
      "--port=0",
      "--dist=redis",
      `--redis=${redis.url}`,
      `--redis-heartbeat-ttl-ms=${TTL_MS}`,
      `--redis-owner-record-ttl-ms=${recordTtlMs}`,
    ]);
    const holder = await protocolClient(`ws://127.0.0.1:${port}`, "json", "holder");
    const channels = Array.from({ length: 50 }, (_, i) => `e-r${i}`);
    for (const channel of channels)
      assert.equal(await holder.event({ event: "register", channel }), "registration_succeeded");
    const admin = createClient({ url: redis.url });
    await admin.connect();
    const expiries = await Promise.all(channels.map((channel) => admin.pTTL(`west:reg:{${channel}}`)));
    assert.ok(
      expiries.every((ms) => ms > 0 && ms <= recordTtlMs),
      `every record expires within ${recordTtlMs} ms: ${expiries}`,
    );
    await new Promise((resolve) => setTimeout(resolve, recordTtlMs + 1000));
    const kept = await Promise.all(channels.map((channel) => admin.exists(`west:reg:{${channel}}`)));
    assert.deepEqual(
      kept,
      channels.map(() => 1),
      "the live node renewed its records",
    );
    const sender = (await node()).client("e-sender");
    assert.equal((await sender.send("e-r7", "still owned")).event, "sending_succeeded");

    west.signal("SIGKILL");
    await west.exitCode();
    const killedAt = Date.now();
    await eventually(
      "the killed node's records are gone",
      async () => (await admin.keys("west:reg:{e-r*")).length === 0,
      recordTtlMs + 5000,
    );
    assert.ok(Date.now() - killedAt <= recordTtlMs + 5000);
    await admin.close();
  });

  it("SIGTERM: a stopping node releases its channels at once, leaving no stale owner", async () => {
    const { west, port } = await startWestProcess([
      "--port=0",
      "--dist=redis",
      `--redis=${redis.url}`,
      "--redis-heartbeat-ttl-ms=60000",
    ]);
    const leaving = await protocolClient(`ws://127.0.0.1:${port}`, "text", "leaving");
    assert.equal(await leaving.event({ event: "register", channel: "t-r1" }), "registration_succeeded");
    const other = (await node()).client("other");
    assert.equal((await other.reg("t-r1")).event, "registration_denied");
    west.signal("SIGTERM");
    assert.equal(await west.exitCode(), 0);
    const admin = createClient({ url: redis.url });
    await admin.connect();
    const ownerRecord = await admin.exists("west:reg:{t-r1}");
    const nodeRecords = await admin.keys("west:{nodes}:node:*");
    // Scored by expiry (Redis's clock, this machine's): dead nodes linger a minute past theirs, then are pruned.
    const registered = await admin.zRangeByScore("west:{nodes}:registry", Date.now(), "+inf");
    await admin.close();
    assert.equal(ownerRecord, 0, "the owner record is gone");
    assert.equal(nodeRecords.length, nodes.length, "only the live nodes have a heartbeat record");
    assert.equal(registered.length, nodes.length, "the stopped node left the node registry");
    assert.equal((await other.reg("t-r1")).event, "registration_succeeded");
  });

  it("WAIT for a replica that does not exist: the claim is withdrawn and the reply is internal_error", async () => {
    const strict = (await node({ waitReplicas: 1 }, 400)).client("strict");
    assert.deepEqual(await strict.reg("w-r1"), {
      event: "internal_error",
      from: "west",
      channel: "w-r1",
      reason: "not confirmed by redis replicas",
    });
    const lenient = (await node()).client("lenient");
    assert.equal((await lenient.reg("w-r1")).event, "registration_succeeded");
  });

  it("Redis lost its data: every owner is told registration_lost (no node can prove no one else held its channel), registers again, and subscriptions go on", async () => {
    const [b, c] = [await node({ heartbeatTtlMs: 4000 }), await node()];
    const holder = new Inbox(b, "holder");
    await holder.client.reg("d-kept");
    await holder.client.reg("d-contested");
    await holder.client.sub("d-ps");
    const admin = createClient({ url: redis.url });
    await admin.connect();
    await admin.flushAll();
    await admin.close();
    const rival = c.client("rival");
    const contested: Reply = await rival.reg("d-contested");
    assert.ok(["registration_succeeded", "registration_denied"].includes(contested.event), contested.event);
    await eventually("the holder is told it lost both channels", async () =>
      ["d-kept", "d-contested"].every((channel) =>
        holder.messages.some((m) => m.event === "registration_lost" && m.channel === channel),
      ),
    );
    assert.equal((await holder.client.unreg("d-kept")).event, "registration_not_found");
    const sender = c.client("d-sender");
    assert.equal((await sender.send("d-kept", "nobody")).event, "registration_not_found");
    assert.equal((await holder.client.reg("d-kept")).event, "registration_succeeded");
    assert.equal((await sender.send("d-kept", "after flush")).event, "sending_succeeded");
    assert.deepEqual(await holder.waitFor("d-kept", 1), ["after flush"]);
    assert.equal((await rival.pub("d-ps", "pub after flush")).event, "publication_succeeded");
    assert.deepEqual(await holder.waitFor("d-ps", 1), ["pub after flush"]);
  });

  it("Redis restarts: while it is down nodes answer internal_error, never hang; then they reconnect and resubscribe, owners are told registration_lost and register again", async () => {
    const [b, c] = [await node(), await node()];
    const holder = new Inbox(b, "r-holder");
    await holder.client.reg("r-r1");
    await holder.client.sub("r-ps");
    const other = c.client("r-other");
    const neighbour = b.client("r-neighbour");
    assert.equal((await neighbour.send("r-r1", "local")).event, "sending_succeeded");
    await redis.kill9();
    const down = await other.reg("r-new");
    assert.deepEqual(down, {
      event: "internal_error",
      from: "west",
      channel: "r-new",
      reason: "redis unavailable",
    });
    assert.equal((await other.ping()).event, "pong");
    const lost = await other.pub("r-ps", "lost");
    assert.deepEqual([lost.event, lost.reason], ["internal_error", "redis unavailable"]);
    // Its connection to Redis lost, node b delivers nothing to its owners: another node may take them over.
    await eventually("a fenced node answers sends to its own owners internal_error", async () => {
      const fenced = await neighbour.send("r-r1", "fenced?");
      if (fenced.event !== "internal_error") return false;
      assert.equal(fenced.reason, "node fenced");
      return true;
    });
    await redis.restart();
    await eventually("the owner is told its registration was lost with Redis's data", async () =>
      holder.messages.some((m) => m.event === "registration_lost" && m.channel === "r-r1"),
    );
    await eventually("a publish reaches the other node's subscriber again", async () => {
      await other.pub("r-ps", "again");
      return holder.data("r-ps").includes("again");
    });
    assert.equal((await other.reg("r-new")).event, "registration_succeeded");
    await eventually("the owner registers again", async () => {
      return (await holder.client.reg("r-r1")).event === "registration_succeeded";
    });
    assert.equal((await other.send("r-r1", "back")).event, "sending_succeeded");
    assert.equal((await neighbour.send("r-r1", "local again")).event, "sending_succeeded");
    assert.deepEqual(
      holder.data("r-r1").filter((data) => data !== "fenced?"),
      ["local", "back", "local again"],
    );
  });

  it("Redis unreachable: WebSocket clients get internal_error with reason redis unavailable, never Redis's error text; text frames as they were", async () => {
    const own = await redisServer();
    const west = await startWest({
      port: 0,
      host: "127.0.0.1",
      logLevel: "silent",
      commandTimeoutMs: 500,
      dist: "redis",
      redis: { url: own.url, heartbeatTtlMs: TTL_MS },
    });
    nodes.push(west);
    const wsUrl = (west.url as string).replace(/^http/, "ws");
    const clients = await Promise.all(PROTOCOL_NAMES.map((p) => protocolClient(wsUrl, p, `u-${p}`)));
    await own.kill9();
    for (const client of clients) {
      const commands: [WireCommand, Reason[]][] = [
        [{ event: "register", channel: "u-r", id: "1" }, ["redis unavailable"]],
        [{ event: "publish", channel: "u-p", id: "2", data: "x" }, ["redis unavailable"]],
        [{ event: "send", channel: "u-s", id: "3", data: "x" }, ["redis unavailable"]],
        // A subscribe waits for the subscriber connection to come back: it fails with the next failed reconnection
        // attempt, or at the command deadline if that comes first.
        [
          { event: "subscribe", channel: `u-${client.protocol}`, id: "4" },
          ["redis unavailable", "timed out"],
        ],
      ];
      for (const [command, reasons] of commands) {
        client.command(command);
        const frame = await client.socket.take();
        assert.ok(
          !/offline|closed|ECONN|socket/i.test(Buffer.from(frame).toString("latin1")),
          "no Redis text",
        );
        if (client.protocol === "text") {
          assert.equal(frame, `west ${command.channel}:internal_error`);
          continue;
        }
        const { reason, ...fields } = decodeFrame(client.protocol, frame);
        assert.deepEqual(fields, {
          event: "internal_error",
          from: "west",
          channel: command.channel,
          id: command.id,
        });
        assert.ok(reasons.includes(reason as Reason), `${command.event}: ${reason}`);
      }
    }
  });

  it("a node holds a Redis subscription only while it has local subscribers", async () => {
    const b = await node();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    const redisSubscribers = async () => (await admin.pubSubNumSub("west:ps:{n-ps}"))["west:ps:{n-ps}"];
    const [first, second] = [b.client("n-first"), b.client("n-second")];
    assert.equal(await redisSubscribers(), 0);
    await first.sub("n-ps");
    assert.equal(await redisSubscribers(), 1);
    await second.sub("n-ps");
    assert.equal(await redisSubscribers(), 1);
    await first.unsub("n-ps");
    assert.equal(await redisSubscribers(), 1);
    await second.close();
    assert.equal(await redisSubscribers(), 0);
    await admin.close();
  });

  it("connects as a Redis ACL user", async () => {
    const secured = await redisServer();
    const admin = createClient({ url: secured.url });
    await admin.connect();
    await admin.sendCommand(["ACL", "SETUSER", "west", "on", ">s3cret", "~*", "&*", "+@all"]);
    await admin.sendCommand(["ACL", "SETUSER", "default", "off"]);
    await admin.close();
    const url = `redis://west:s3cret@127.0.0.1:${secured.port}`;
    const options = { port: false as const, logLevel: "silent" as const, dist: "redis" as const };
    const [x, y] = await Promise.all([
      startWest({ ...options, redis: { url } }),
      startWest({ ...options, redis: { url } }),
    ]);
    nodes.push(x, y);
    const owner = new Inbox(x, "acl-owner");
    await owner.client.reg("acl-r1");
    assert.equal((await y.client("acl-sender").send("acl-r1", "hi")).event, "sending_succeeded");
    assert.deepEqual(await owner.waitFor("acl-r1", 1), ["hi"]);
    await assert.rejects(
      startWest({ ...options, redis: { url: `redis://west:wrong@127.0.0.1:${secured.port}` } }),
    );
  });
});
