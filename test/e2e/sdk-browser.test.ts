import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import WebSocket from "ws";
import { WestClient } from "../../src/sdk/index.js";
import { launchBrowser, skipWithoutBrowser } from "../helpers/browser.js";
import { freePort, startWestOnRedis, startWestProcess } from "../helpers/cli-process.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { SdkPage } from "../helpers/sdk-page.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { TEST_SECRET, token } from "../helpers/tokens.js";
import { listeningNode } from "../helpers/ws-client.js";

const HEARTBEAT_TTL_MS = 1500;

/** An init script that counts the page's pending timers (setTimeout not yet run nor cleared). */
const COUNT_TIMERS = `{
  const live = new Set();
  const set = window.setTimeout.bind(window);
  const clear = window.clearTimeout.bind(window);
  window.setTimeout = (callback, ms, ...args) => {
    const id = set((...given) => { live.delete(id); callback(...given); }, ms, ...args);
    live.add(id);
    return id;
  };
  window.clearTimeout = (id) => { live.delete(id); clear(id); };
  window.liveTimers = () => live.size;
}`;
const ws = (url: string) => url.replace(/^http/, "ws");

/** A Node-side client of the SDK, for the other end of what the page does. */
async function nodeSide(url: string, key: string): Promise<WestClient> {
  const client = new WestClient(url, { key, WebSocket, reconnect: { minDelayMs: 20, maxDelayMs: 200 } });
  after(() => client.close());
  await client.connect();
  return client;
}

/** A config file for `west start`: history on chat.>, every origin allowed (the page is on one node's). */
function configFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "west-sdk-browser-")), "west.json");
  writeFileSync(
    file,
    JSON.stringify({
      allowedOrigins: ["*"],
      channels: [{ match: "chat.>", history: { size: 10000, ttlSeconds: 60 } }],
    }),
  );
  return file;
}

describe("the client SDK in Chromium, from /client/west-client.js", {
  skip: skipWithoutBrowser(),
}, async () => {
  const browser = await launchBrowser();

  for (const protocol of ["json", "pb"] as const)
    it(`publishes, subscribes and answers requests with the browser's WebSocket (${protocol})`, async () => {
      const node = await listeningNode();
      const page = await SdkPage.open(browser, node.url as string, [ws(node.url as string)], {
        key: "page",
        protocol,
      });
      await page.subscribe("news");
      const other = await nodeSide(ws(node.url as string), "node-side");
      await other.publish("news", "from node");
      await page.until((log) => log.received.length === 1);
      await page.registerEcho("page.svc");
      assert.equal(await page.publish("news", "from the page"), "publication_succeeded");
      const log = await page.until((l) => l.received.length === 2);
      assert.deepEqual(
        log.received.map(({ from, data }) => [from, data]),
        [
          ["node-side", "from node"],
          ["page", "from the page"],
        ],
      );
      // The page's protobuf answer is bytes; valid UTF-8, they reach this JSON client as a string.
      assert.equal(await other.request("page.svc", "echo?"), "echo?");
      other.close();
      await page.close();
    });

  it("kill -9 of its node and a restart on the same port: the page comes back with its subscription", async () => {
    const config = configFile();
    const first = await startWestProcess(["--config", config, "--port", "0"]);
    const origin = `http://127.0.0.1:${first.port}`;
    const page = await SdkPage.open(browser, origin, [ws(origin)], { key: "survivor" });
    await page.subscribe("news");
    first.west.signal("SIGKILL");
    await page.until((log) => log.states.some(([state]) => state === "disconnected"));
    const again = await startWestProcess(["--config", config, "--port", String(first.port)]);
    await page.until((log) => log.subscribed.length === 2);
    const other = await nodeSide(ws(origin), "node-side");
    await other.publish("news", "after the restart");
    const log = await page.until((l) => l.received.length === 1);
    assert.equal(log.received[0]?.data, "after the restart");
    assert.ok(log.states.some(([state, reason]) => state === "disconnected" && reason === "dropped"));
    other.close();
    await page.close();
    again.west.signal("SIGKILL");
  });

  it("with two URLs, moves to the other node (Redis) and recovers what was published meanwhile", {
    skip: skipWithoutRedis(),
  }, async () => {
    const redis = await redisServer();
    const config = configFile();
    const start = () => startWestOnRedis(config, redis.url, HEARTBEAT_TTL_MS);
    const [a, b] = await Promise.all([start(), start()]);
    const urlA = `http://127.0.0.1:${a.port}`;
    const urlB = `http://127.0.0.1:${b.port}`;
    const page = await SdkPage.open(browser, urlA, [ws(urlA), ws(urlB)], { key: "mover" });
    await page.subscribe("chat.moving", true);
    const writer = await nodeSide(ws(urlB), "writer");
    const offsets: number[] = [];
    let writing = true;
    const writes = (async () => {
      for (let n = 1; writing; n++) {
        offsets.push((await writer.publish("chat.moving", n)).offset as number);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await page.until((log) => log.received.length >= 30);
    a.west.signal("SIGKILL");
    await page.until((log) => log.subscribed.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    writing = false;
    await writes;
    const log = await page.until((l) => l.received.length >= offsets.length);
    assert.deepEqual(log.subscribed[1], { channel: "chat.moving", recovered: true });
    assert.deepEqual(
      log.received.map((m) => m.offset),
      offsets,
      "every offset once, in order",
    );
    assert.deepEqual(
      offsets,
      offsets.map((_, i) => i + 1),
    );
    writer.close();
    await page.close();
    b.west.signal("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_TTL_MS));
  });

  it("tokens: a 401 at the upgrade (seen through the admission check) and an expiry (1008) ask getToken again", async () => {
    const node = await listeningNode({ auth: { jwtSecret: TEST_SECRET } });
    const lifetimes = [-10, 2, 600];
    let calls = 0;
    const page = await SdkPage.open(browser, node.url as string, [ws(node.url as string)], {
      key: "tokened",
      tokens: () => token(TEST_SECRET, { sub: "tokened", expiresIn: lifetimes[calls++] ?? 600 }),
    });
    const log = await page.until((l) => l.states.filter(([state]) => state === "connected").length === 2);
    assert.equal(calls, 3);
    assert.deepEqual(
      log.states.filter(([state]) => state !== "connecting"),
      [
        ["disconnected", "refused", null],
        ["connected", null, null],
        ["disconnected", "token_expired", 1008],
        ["connected", null, null],
      ],
    );
    await page.close();
  });

  it("4003 from the HTTP API closes the page's client for good", async () => {
    const node = await listeningNode({ api: { key: "api key" } });
    const page = await SdkPage.open(browser, node.url as string, [ws(node.url as string)], {
      key: "cut.off",
    });
    await page.until((log) => log.states.some(([state]) => state === "connected"));
    const answer = await fetch(`${node.url}/api/disconnect`, {
      method: "POST",
      headers: { authorization: "apikey api key" },
      body: JSON.stringify({ key: "cut.off" }),
    });
    assert.equal(answer.status, 200);
    const log = await page.until((l) => l.states.some(([state]) => state === "closed"));
    assert.deepEqual(log.states.at(-1), ["closed", "disconnected", 4003]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual((await page.log()).states.at(-1), ["closed", "disconnected", 4003]);
    await page.close();
  });

  it("1,000 reconnects leave no listener, timer or memory behind in the page", async (t) => {
    const node = await listeningNode({ allowedOrigins: ["*"] });
    const proxy = await TcpProxy.start(node.port as number);
    const page = await browser.newPage();
    await page.addInitScript({ content: COUNT_TIMERS });
    const client = await SdkPage.open(
      browser,
      node.url as string,
      [proxy.url],
      { key: "cycler", reconnect: { minDelayMs: 1, maxDelayMs: 2 }, quiet: true },
      page,
    );
    await client.subscribe("cycle");
    await client.registerEcho("cycle.owner");
    // One cycle first, so that what is made once (pools, caches) is made before the baseline.
    proxy.cut();
    await client.untilSubscribed(2);
    const before = await client.footprint();
    for (let cycle = 1; cycle <= 1000; cycle++) {
      proxy.cut();
      await client.untilSubscribed(2 + cycle);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const afterCycles = await client.footprint();
    assert.equal(afterCycles.listeners, before.listeners);
    assert.ok(afterCycles.timers <= before.timers, `timers ${before.timers} -> ${afterCycles.timers}`);
    const grown = afterCycles.heap - before.heap;
    t.diagnostic(`before ${JSON.stringify(before)}, after 1,000 reconnects ${JSON.stringify(afterCycles)}`);
    assert.ok(grown < 512 * 1024, `heap grew by ${grown} bytes`);
    assert.equal(proxy.accepted, 1002);
    await page.close();
  });

  it("a node that is down when the page starts is connected to once it is up", async () => {
    const origin = await listeningNode();
    const port = await freePort();
    const page = await SdkPage.open(browser, origin.url as string, [`ws://127.0.0.1:${port}`], {
      key: "early",
    });
    await page.until((log) => log.states.filter(([state]) => state === "disconnected").length >= 2);
    await listeningNode({ port, allowedOrigins: ["*"] });
    const log = await page.until((l) => l.states.some(([state]) => state === "connected"));
    assert.ok(log.states.some(([, reason]) => reason === "unreachable"));
    await page.close();
  });
});
