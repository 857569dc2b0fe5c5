import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { launchBrowser, skipWithoutBrowser } from "../helpers/browser.js";
import { type CliProcess, startWestProcess } from "../helpers/cli-process.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { connect } from "../helpers/ws-client.js";

const PASSWORD = "the dashboard's password";
/** Short, so that a killed node is late (0.6 of it) and then gone (all of it) within the test. */
const HEARTBEAT_TTL_MS = 6000;

describe("the admin dashboard in Chromium, over 3 nodes on Redis", {
  skip: skipWithoutBrowser() || skipWithoutRedis(),
}, async () => {
  const nodes: { west: CliProcess; port: number }[] = [];
  const redis = await redisServer();
  for (let i = 0; i < 3; i++)
    nodes.push(
      await startWestProcess(
        [
          ...["--port", "0", "--dist", "redis", "--redis", redis.url],
          ...["--redis-heartbeat-ttl-ms", String(HEARTBEAT_TTL_MS)],
        ],
        { env: { WEST_ADMIN_PASSWORD: PASSWORD } },
      ),
    );
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  after(() => page.close());

  /** Waits until the nodes table has `count` rows. */
  async function untilRows(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await rows().count()) !== count) {
      if (Date.now() > deadline) throw new Error(`${await rows().count()} rows, not ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const base = () => `http://127.0.0.1:${nodes[0]?.port}`;
  const rows = () => page.locator('[data-testid="nodes"] tbody tr');

  it("refuses a wrong password, and signs in with the right one", async () => {
    await page.goto(`${base()}/admin`);
    await page.fill("#password", "wrong");
    const refused = page.waitForResponse((response) => response.url().endsWith("/admin/login"));
    await page.click('button[type="submit"]');
    assert.equal((await refused).status(), 401);
    assert.equal(await page.locator("#password").count(), 1, "the sign-in form again");
    await page.fill("#password", PASSWORD);
    await page.click('button[type="submit"]');
    await page.locator('[data-testid="live"][data-state="live"]').waitFor({ timeout: 10_000 });
  });

  it("lists the 3 nodes, with the system's connections", async () => {
    await untilRows(3, 10_000);
    const socket = await connect(`ws://127.0.0.1:${nodes[1]?.port}`, "json", "someone");
    await page.locator('[data-testid="connections"]', { hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-testid="nodes-count"]').textContent(), "3");
    socket.ws.close();
  });

  it("its charts move while a load runs", async () => {
    const subscriber = await connect(`ws://127.0.0.1:${nodes[1]?.port}`, "json", "load-reader");
    subscriber.send(JSON.stringify({ event: "subscribe", channel: "load", id: 1 }));
    await subscriber.next();
    const publisher = await connect(`ws://127.0.0.1:${nodes[0]?.port}`, "json", "load-writer");
    const chart = page.locator('[data-testid="chart-deliveries"]');
    const deadline = Date.now() + 15_000;
    let last = 0;
    for (let i = 0; last === 0; i++) {
      if (Date.now() > deadline) throw new Error("the deliveries chart did not move");
      publisher.send(JSON.stringify({ event: "publish", channel: "load", data: i, id: i + 2 }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      last = Number(await chart.getAttribute("data-last"));
    }
    assert.ok(Number(await chart.getAttribute("data-points")) > 1);
    subscriber.ws.close();
    publisher.ws.close();
  });

  it("disconnects a key (4003) and publishes a test message, on any node", async () => {
    const victim = await connect(`ws://127.0.0.1:${nodes[1]?.port}`, "json", "victim");
    const reader = await connect(`ws://127.0.0.1:${nodes[2]?.port}`, "json", "reader");
    reader.send(JSON.stringify({ event: "subscribe", channel: "admin-test", id: 1 }));
    await reader.take();
    await page.fill('[data-testid="disconnect-key"]', "victim");
    await page.click('[data-testid="disconnect-form"] button');
    assert.equal(await victim.closedWith(10_000), 4003);
    await page.locator('[data-testid="action-result"]', { hasText: /^200: / }).waitFor({ timeout: 10_000 });
    await page.fill('[data-testid="publish-channel"]', "admin-test");
    await page.fill('[data-testid="publish-data"]', "hello from the dashboard");
    await page.click('[data-testid="publish-form"] button');
    const delivery = JSON.parse(String(await reader.take(10_000))) as { channel: string; data: string };
    assert.deepEqual([delivery.channel, delivery.data], ["admin-test", "hello from the dashboard"]);
    reader.ws.close();
  });

  it("turns a killed node red, then drops it", async () => {
    const killed = nodes[2] as { west: CliProcess; port: number };
    killed.west.signal("SIGKILL");
    const late = rows()
      .filter({ hasText: `:${killed.port}` })
      .and(page.locator('[data-health="late"]'));
    await late.waitFor({ timeout: HEARTBEAT_TTL_MS + 5000 });
    assert.match((await late.textContent()) ?? "", /late/);
    await untilRows(2, HEARTBEAT_TTL_MS + 5000);
  });
});
