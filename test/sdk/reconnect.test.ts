import assert from "node:assert/strict";
import { type AddressInfo, createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { WestNode } from "../../src/index.js";
import type { WestClient } from "../../src/sdk/index.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { TEST_SECRET, token } from "../helpers/tokens.js";
import { listeningNode } from "../helpers/ws-client.js";
import { next, Received, rejection, sdkClient, sharedNode, sleep } from "./sdk-helpers.js";

const CHANNELS = [{ match: "chat.>", history: { size: 1000, ttlSeconds: 60 } }];

const connected = (client: WestClient) =>
  client.state === "connected" ? Promise.resolve() : next(client, "state", (state) => state === "connected");

describe("the SDK across dropped connections (a proxy that cuts them)", () => {
  const shared = sharedNode({ channels: CHANNELS, api: { key: "the api key" } });
  let node: WestNode & { wsUrl: string };
  let port: number;
  before(() => {
    node = shared();
    port = Number(new URL(node.wsUrl).port);
  });

  it("a command written before a drop is rejected with disconnected and never sent again", async () => {
    const proxy = await TcpProxy.start(port);
    const owner = sdkClient(node.wsUrl, { key: "once.owner" });
    const inbox = new Received();
    await owner.register("once", inbox.handler).ready;
    const sender = sdkClient(proxy.url, { key: "once.sender" });
    await sender.connect();
    proxy.freeze();
    const sent = sender.send("once", "exactly one");
    await inbox.until(1);
    proxy.cut();
    assert.equal((await rejection(sent)).code, "disconnected");
    await connected(sender);
    assert.equal((await sender.send("once", "after")).event, "sending_succeeded");
    await inbox.until(2);
    assert.deepEqual(inbox.data(), ["exactly one", "after"]);
  });

  it("commands made while disconnected go out once the connection is back", async () => {
    const proxy = await TcpProxy.start(port);
    const client = sdkClient(proxy.url, { key: "waiter" });
    await client.connect();
    proxy.refuse = true;
    proxy.cut();
    await next(client, "state", (state) => state === "disconnected");
    const publish = client.publish("waiting", "later");
    await sleep(200);
    proxy.refuse = false;
    assert.equal((await publish).event, "publication_succeeded");
  });

  it("registrations and subscriptions are made again after a drop", async () => {
    const proxy = await TcpProxy.start(port);
    const client = sdkClient(proxy.url, { key: "restorer" });
    const news = new Received();
    const inbox = new Received();
    const subscription = client.subscribe("restore.news", news.handler);
    const registration = client.register("restore.inbox", inbox.handler);
    await client.connect();
    await Promise.all([subscription.ready, registration.ready]);
    proxy.cut();
    await Promise.all([next(subscription, "subscribed"), next(registration, "registered")]);
    const other = sdkClient(node.wsUrl, { key: "other" });
    await other.publish("restore.news", "n");
    await other.send("restore.inbox", "m");
    await Promise.all([news.until(1), inbox.until(1)]);
  });

  it("after a reconnect, the state is made again before what a connected listener sends", async () => {
    const proxy = await TcpProxy.start(port);
    const client = sdkClient(proxy.url, { key: "eager" });
    const inbox = new Received();
    await client.register("eager.inbox", inbox.handler).ready;
    const outcomes: string[] = [];
    client.on("state", (state) => {
      if (state === "connected")
        client.send("eager.inbox", "first thing").then(
          (reply) => outcomes.push(reply.event),
          (error: { code: string }) => outcomes.push(error.code),
        );
    });
    proxy.cut();
    await inbox.until(1);
    assert.deepEqual(outcomes, ["sending_succeeded"]);
  });

  it("publications missed while disconnected are recovered by offset: no gap, no duplicate", async () => {
    const proxy = await TcpProxy.start(port);
    const reader = sdkClient(proxy.url, { key: "reader" });
    const writer = sdkClient(node.wsUrl, { key: "writer" });
    const received = new Received();
    const subscription = reader.subscribe("chat.recover", received.handler, { recover: true });
    await subscription.ready;
    for (let i = 1; i <= 10; i++) await writer.publish("chat.recover", i);
    await received.until(10);
    proxy.refuse = true;
    proxy.cut();
    for (let i = 11; i <= 20; i++) await writer.publish("chat.recover", i);
    const resubscribed = next(subscription, "subscribed");
    proxy.refuse = false;
    const [info] = (await resubscribed) as unknown as [{ recovered: boolean }];
    assert.equal(info.recovered, true);
    await received.until(20);
    await writer.publish("chat.recover", 21);
    await received.until(21);
    assert.deepEqual(
      received.offsets(),
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      received.data(),
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
  });

  it("4003 (the API's disconnect) closes the client for good", async () => {
    const proxy = await TcpProxy.start(port);
    const client = sdkClient(proxy.url, { key: "cut.off" });
    await client.connect();
    const closed = next(client, "state", (state) => state === "closed");
    const answer = await fetch(`${node.url}/api/disconnect`, {
      method: "POST",
      headers: { authorization: "apikey the api key" },
      body: JSON.stringify({ key: "cut.off" }),
    });
    assert.equal(answer.status, 200);
    const [, info] = (await closed) as unknown as [string, { reason: string; code: number }];
    assert.equal(info.reason, "disconnected");
    assert.equal(info.code, 4003);
    await sleep(300);
    assert.equal(proxy.accepted, 1);
    assert.equal((await rejection(client.publish("a", "b"))).code, "closed");
  });

  it("a keepalive gives up a connection that went silent and reconnects", async () => {
    const proxy = await TcpProxy.start(port);
    const client = sdkClient(proxy.url, { key: "sleepy", keepalive: { intervalMs: 100, timeoutMs: 100 } });
    await client.connect();
    proxy.freeze();
    const [, info] = (await next(client, "state", (state) => state === "disconnected")) as unknown as [
      string,
      { reason: string },
    ];
    assert.equal(info.reason, "keepalive");
    await connected(client);
    assert.equal(proxy.accepted, 2);
  });

  it("an upgrade that is never answered is given up after connectTimeoutMs, for the next URL", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    after(() => silent.close());
    const silentUrl = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const client = sdkClient(
      [silentUrl, node.wsUrl],
      { key: "patient", connectTimeoutMs: 200 },
      { connect: false },
    );
    const states: [string, string | undefined][] = [];
    client.on("state", (state, info) => states.push([state, info?.reason]));
    await client.connect();
    assert.deepEqual(states.slice(0, 2), [
      ["connecting", undefined],
      ["disconnected", "unreachable"],
    ]);
  });

  it("1,000 reconnects leave no listener, timer or memory behind", async (t) => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const proxy = await TcpProxy.start(port);
    const client = sdkClient(proxy.url, { key: "cycler", reconnect: { minDelayMs: 1, maxDelayMs: 2 } });
    const subscription = client.subscribe("cycle", () => undefined);
    const registration = client.register("cycle.owner");
    await client.connect();
    await Promise.all([subscription.ready, registration.ready]);
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const measure = async () => {
      await sleep(50);
      gc();
      return { listeners: client.listenerCount(), timers: timers(), heap: process.memoryUsage().heapUsed };
    };
    // One cycle first, so that whatever is made once per process (pools, caches) is made before the baseline.
    proxy.cut();
    await next(registration, "registered");
    const before = await measure();
    for (let cycle = 0; cycle < 1000; cycle++) {
      const restored = Promise.all([next(subscription, "subscribed"), next(registration, "registered")]);
      proxy.cut();
      await restored;
    }
    const afterCycles = await measure();
    assert.equal(afterCycles.listeners, before.listeners);
    assert.ok(afterCycles.timers <= before.timers, `timers ${before.timers} -> ${afterCycles.timers}`);
    const grown = afterCycles.heap - before.heap;
    t.diagnostic(`before ${JSON.stringify(before)}, after 1,000 reconnects ${JSON.stringify(afterCycles)}`);
    assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${grown} bytes`);
    assert.equal(proxy.accepted, 1002);
  });
});

describe("the SDK's tokens", () => {
  it("an expired token (1008) is replaced by a new one and the connection made again", async () => {
    const node = await listeningNode({ auth: { jwtSecret: TEST_SECRET } });
    let calls = 0;
    const client = sdkClient(node.wsUrl, {
      key: "expiring",
      getToken: () => {
        calls++;
        return token(TEST_SECRET, { sub: "expiring", expiresIn: calls === 1 ? 2 : 600 });
      },
    });
    const received = new Received();
    const subscription = client.subscribe("refresh", received.handler);
    await client.connect();
    await subscription.ready;
    const [, info] = (await next(client, "state", (state) => state === "disconnected")) as unknown as [
      string,
      { reason: string },
    ];
    assert.equal(info.reason, "token_expired");
    await next(subscription, "subscribed");
    assert.equal(calls, 2);
    await client.publish("refresh", "still here");
    await received.until(1);
    await node.stop();
  });

  it("a 401 at the upgrade asks for a new token at once, before any backoff", async () => {
    const node = await listeningNode({ auth: { jwtSecret: TEST_SECRET } });
    let calls = 0;
    const client = sdkClient(
      node.wsUrl,
      {
        key: "stale",
        reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 },
        getToken: () => token(TEST_SECRET, { sub: "stale", expiresIn: ++calls === 1 ? -10 : 600 }),
      },
      { connect: false },
    );
    const states: [string, string | undefined][] = [];
    client.on("state", (state, info) => states.push([state, info?.reason]));
    await client.connect();
    assert.equal(calls, 2);
    assert.deepEqual(states, [
      ["connecting", undefined],
      ["disconnected", "refused"],
      ["connecting", undefined],
      ["connected", undefined],
    ]);
    await node.stop();
  });
});
