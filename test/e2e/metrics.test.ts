import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config.js";
import { eventually } from "../cluster/eventually.js";
import { redisCluster, redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { httpGet, sample, scrape } from "../helpers/scrape.js";
import {
  connect,
  encodeCommand,
  listeningNode,
  ProtocolClient,
  type WireCommand,
  type WireMessage,
} from "../helpers/ws-client.js";

/** Size on the wire of an unmasked server frame with an `n`-byte payload. */
const frameBytes = (n: number) => n + (n < 126 ? 2 : n < 65536 ? 4 : 10);

/** A ProtocolClient that tallies the payload bytes it sends and the frame bytes it receives, as the server should. */
class CountingClient {
  sentPayloadBytes = 0;
  receivedFrameBytes = 0;

  private constructor(readonly client: ProtocolClient) {
    client.socket.ws.on("message", (data: Buffer) => {
      this.receivedFrameBytes += frameBytes(data.length);
    });
  }

  static async open(wsUrl: string, protocol: "json" | "text", key: string): Promise<CountingClient> {
    return new CountingClient(new ProtocolClient(await connect(wsUrl, protocol, key), protocol, key));
  }

  async event(command: WireCommand): Promise<string> {
    this.sentPayloadBytes += Buffer.byteLength(encodeCommand(this.client.protocol, command));
    return this.client.event(command);
  }

  take(): Promise<WireMessage> {
    return this.client.take();
  }
}

const commands = (command: string, result: string) =>
  `west_commands_total{command="${command}",result="${result}"}`;

describe("/metrics", () => {
  it("counts requests by their outcome and replies by theirs", async () => {
    const node = await listeningNode();
    const owner = node.client("owner", (message) => {
      if (message.event === "new_message" && message.reply_to !== undefined && message.data === "answer")
        void owner.reply(message.reply_to, "ok");
    });
    await owner.reg("svc");
    const asker = node.client("asker");
    assert.equal((await asker.request("svc", "answer")).event, "response");
    assert.equal((await asker.request("svc", "ignore", { timeoutMs: 20 })).event, "request_timeout");
    assert.equal((await asker.request("nobody", "x")).event, "registration_not_found");
    assert.equal((await asker.request("svc", "x", { timeoutMs: 0 })).event, "request_failed");
    assert.equal((await owner.reply("local.made-up", "x")).event, "reply_failed");
    const counted = await scrape(node.url as string);
    for (const [command, result, count] of [
      ["request", "ok", 1],
      ["request", "timeout", 1],
      ["request", "not_found", 1],
      ["request", "invalid", 1],
      ["reply", "ok", 1],
      ["reply", "not_found", 1],
    ] as const)
      assert.equal(sample(counted, commands(command, result)), count, `${command} ${result}`);
  });

  it("counts connections, channels, commands, deliveries and bytes of real WebSocket traffic", async () => {
    const node = await listeningNode();
    const url = node.url as string;
    const idle = await scrape(url);
    for (const protocol of ["text", "json", "pb", "native"]) {
      assert.equal(sample(idle, `west_connections{protocol="${protocol}"}`), 0);
    }
    assert.equal(sample(idle, "west_registered_channels"), 0);
    assert.equal(sample(idle, commands("register", "ok")), 0);

    const alice = await CountingClient.open(node.wsUrl, "json", "alice");
    const bob = await CountingClient.open(node.wsUrl, "text", "bob");
    const carol = node.client("carol");
    assert.equal((await carol.ping()).event, "pong");

    assert.equal(await alice.event({ event: "register", channel: "r1" }), "registration_succeeded");
    assert.equal(await alice.event({ event: "register", channel: "r1" }), "registration_already_exist");
    assert.equal(await bob.event({ event: "send", channel: "r1", data: "hi" }), "sending_succeeded");
    assert.deepEqual(await alice.take(), { event: "new_message", from: "bob", channel: "r1", data: "hi" });
    assert.equal(await bob.event({ event: "send", channel: "nobody", data: "x" }), "registration_not_found");
    assert.equal(await bob.event({ event: "subscribe", channel: "ps" }), "subscription_succeeded");
    assert.equal(await alice.event({ event: "subscribe", channel: "ps" }), "subscription_succeeded");
    // The publisher is subscribed: its own delivery comes before the reply.
    assert.equal(await alice.event({ event: "publish", channel: "ps", data: "hello" }), "new_message");
    assert.equal((await alice.take()).event, "publication_succeeded");
    assert.equal((await bob.take()).data, "hello");
    assert.equal(await alice.event({ event: "dance" }), "action_not_allowed");
    assert.equal(await bob.event({ event: "dance" }), "action_not_allowed");

    const busy = await scrape(url);
    assert.equal(sample(busy, 'west_connections{protocol="json"}'), 1);
    assert.equal(sample(busy, 'west_connections{protocol="text"}'), 1);
    assert.equal(sample(busy, 'west_connections{protocol="pb"}'), 0);
    assert.equal(sample(busy, 'west_connections{protocol="native"}'), 1);
    assert.equal(sample(busy, "west_registered_channels"), 1);
    assert.equal(sample(busy, "west_subscribed_channels"), 1);
    const expectedCommands: [string, string, number][] = [
      ["ping", "ok", 1],
      ["register", "ok", 1],
      ["register", "exists", 1],
      ["send", "ok", 1],
      ["send", "not_found", 1],
      ["subscribe", "ok", 2],
      ["publish", "ok", 1],
      // Unknown to the JSON core and unreadable to the text codec alike.
      ["other", "invalid", 2],
      ["register", "denied", 0],
      ["publish", "error", 0],
    ];
    for (const [command, result, count] of expectedCommands) {
      assert.equal(sample(busy, commands(command, result)), count, `${command} ${result}`);
    }
    assert.equal(sample(busy, 'west_deliveries_total{kind="send"}'), 1);
    assert.equal(sample(busy, 'west_deliveries_total{kind="publish"}'), 2);
    assert.equal(sample(busy, "west_received_bytes_total"), alice.sentPayloadBytes + bob.sentPayloadBytes);
    assert.equal(sample(busy, "west_sent_bytes_total"), alice.receivedFrameBytes + bob.receivedFrameBytes);
    assert.ok(alice.receivedFrameBytes > 0 && bob.receivedFrameBytes > 0);
    assert.equal(sample(busy, 'west_limit_hits_total{limit="frame_size"}'), 0);
    assert.equal(sample(busy, "west_slow_consumer_cuts_total"), 0);
    assert.equal(sample(busy, 'west_auth_failures_total{reason="invalid"}'), 0);
    // The process metrics of prom-client are there too; the Redis ones only in Redis mode.
    assert.ok(sample(busy, "process_cpu_user_seconds_total") > 0);
    assert.ok(busy.has("nodejs_eventloop_lag_seconds"));
    assert.equal(busy.has("west_redis_reconnects_total"), false);

    bob.client.socket.ws.close();
    await eventually("bob's connection leaves the gauges", async () => {
      const after = await scrape(url);
      return sample(after, 'west_connections{protocol="text"}') === 0;
    });
    const afterBob = await scrape(url);
    assert.equal(sample(afterBob, 'west_connections{protocol="json"}'), 1);
    assert.equal(sample(afterBob, "west_subscribed_channels"), 1, "alice still subscribes ps");
    alice.client.socket.ws.close();
    await carol.close();
    await eventually("every connection leaves the gauges", async () => {
      const after = await scrape(url);
      return (
        sample(after, 'west_connections{protocol="json"}') === 0 &&
        sample(after, 'west_connections{protocol="native"}') === 0 &&
        sample(after, "west_registered_channels") === 0 &&
        sample(after, "west_subscribed_channels") === 0
      );
    });
    // Counters only grow.
    assert.equal(sample(await scrape(url), commands("subscribe", "ok")), 2);
  });

  it("a frame over maxFrameBytes counts a frame_size limit hit, on that node only", async () => {
    const strict = await listeningNode({ maxFrameBytes: 100 });
    const other = await listeningNode();
    const client = await CountingClient.open(strict.wsUrl, "json", "big");
    client.client.socket.send(JSON.stringify({ event: "publish", channel: "c", data: "x".repeat(200) }));
    assert.equal(await client.client.socket.closedWith(), 1009);
    await eventually("the limit hit is counted", async () => {
      const samples = await scrape(strict.url as string);
      return sample(samples, 'west_limit_hits_total{limit="frame_size"}') === 1;
    });
    assert.equal(sample(await scrape(other.url as string), 'west_limit_hits_total{limit="frame_size"}'), 0);
  });

  it("is Prometheus text, answers GET and HEAD only, and is not found with metrics: false", async () => {
    const node = await listeningNode();
    const answer = await httpGet(node.url as string, "/metrics");
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, "text/plain; version=0.0.4; charset=utf-8");
    assert.match(answer.body, /^# HELP west_connections /m);
    assert.match(answer.body, /^# TYPE west_commands_total counter$/m);
    const head = await httpGet(node.url as string, "/metrics", "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    assert.equal((await httpGet(node.url as string, "/metrics", "POST")).status, 405);

    assert.equal((await loadConfig({ flags: { metrics: "false" } })).metrics, false);
    assert.equal((await loadConfig({ env: { WEST_METRICS: "false" } })).metrics, false);
    assert.equal((await loadConfig({})).metrics, true);
    const off = await listeningNode({ metrics: false });
    assert.equal((await httpGet(off.url as string, "/metrics")).status, 404);
    assert.equal((await httpGet(off.url as string, "/healthz")).status, 200);
  });
});

describe("/healthz", () => {
  it("a local node that listens answers 200 with its dist", async () => {
    const node = await listeningNode();
    const answer = await httpGet(node.url as string, "/healthz");
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, "application/json");
    assert.deepEqual(JSON.parse(answer.body), { status: "ok", dist: "local" });
    assert.equal((await httpGet(node.url as string, "/healthz?verbose=1")).status, 200);
    assert.equal((await httpGet(node.url as string, "/healthz", "DELETE")).status, 405);
  });
});

describe("/healthz and Redis metrics in Redis mode", { skip: skipWithoutRedis() }, () => {
  it("503 while Redis is down, 200 again once it is back; reconnections and round trips are counted", async () => {
    const redis = await redisServer();
    const node = await listeningNode({
      dist: "redis",
      commandTimeoutMs: 1000,
      redis: { url: redis.url, heartbeatTtlMs: 1000 },
    });
    const url = node.url as string;
    const up = await httpGet(url, "/healthz");
    assert.equal(up.status, 200);
    assert.deepEqual(JSON.parse(up.body), { status: "ok", dist: "redis", redis: "up" });

    const client = await CountingClient.open(node.wsUrl, "json", "r");
    const before = await scrape(url);
    assert.equal(await client.event({ event: "register", channel: "held" }), "registration_succeeded");
    const afterClaim = await scrape(url);
    const count = "west_redis_command_duration_seconds_count";
    assert.ok(sample(afterClaim, count) > sample(before, count), "the claim's SET was timed");
    assert.equal(
      sample(afterClaim, 'west_redis_command_duration_seconds_bucket{le="+Inf"}'),
      sample(afterClaim, count),
    );
    assert.ok(sample(afterClaim, "west_redis_command_duration_seconds_sum") > 0);
    assert.equal(sample(afterClaim, "west_redis_reconnects_total"), 0);

    await redis.kill9();
    let down: unknown;
    await eventually("/healthz answers 503", async () => {
      const answer = await httpGet(url, "/healthz");
      down = JSON.parse(answer.body);
      return answer.status === 503;
    });
    assert.deepEqual(down, {
      status: "unavailable",
      reason: "redis unreachable",
      dist: "redis",
      redis: "down",
    });

    await redis.restart();
    await eventually(
      "/healthz answers 200 again",
      async () => (await httpGet(url, "/healthz")).status === 200,
    );
    assert.ok(sample(await scrape(url), "west_redis_reconnects_total") >= 1);
  });
});

describe("/healthz in Redis Cluster mode", { skip: skipWithoutRedis() }, () => {
  it("503 while a shard's master is down (no replica takes over), 200 once it is back", async () => {
    const cluster = await redisCluster({ replicasPerMaster: 0 });
    const node = await listeningNode({
      dist: "redis",
      commandTimeoutMs: 1000,
      redis: { cluster: cluster.seeds },
    });
    const url = node.url as string;
    const up = await httpGet(url, "/healthz");
    assert.equal(up.status, 200);
    assert.deepEqual(JSON.parse(up.body), { status: "ok", dist: "redis", redis: "up" });
    assert.ok(sample(await scrape(url), "west_redis_command_duration_seconds_count") > 0);

    const victim = (cluster.nodes[0] as { port: number }).port;
    await cluster.killNode(victim);
    await eventually("/healthz answers 503", async () => (await httpGet(url, "/healthz")).status === 503);
    await cluster.restartNode(victim);
    await eventually(
      "/healthz answers 200 again",
      async () => (await httpGet(url, "/healthz")).status === 200,
    );
  });
});
