import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium } from "playwright-core";
import WebSocket from "ws";
import { startWest, type WestNode } from "../src/index.js";

/**
 * `npm run screenshots:admin`: the admin dashboard under load, as docs/admin-desktop.png and
 * docs/admin-mobile.png. Three nodes on a redis-server of its own, publishers and subscribers on all of them,
 * a client refused by the handshake hook and one flooding past its rate limit (so that the timeline has
 * entries); then Chromium (Debian's) at 1280 and 390 px. Everything stops after LOAD_SECONDS.
 */
const PASSWORD = "screenshots";
const LOAD_SECONDS = 25;
const CHROMIUM = "/usr/bin/chromium";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "west-shots-"));
  const redis: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir],
    { stdio: "ignore" },
  );
  await sleep(300);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop() {
      redis.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** Subscribers on every node, a publisher per node at about 200 publishes a second, and the two troublemakers. */
async function load(nodes: WestNode[], until: number): Promise<void> {
  const base = (node: WestNode) => (node.url as string).replace(/^http/, "ws");
  const sockets: WebSocket[] = [];
  for (const [n, node] of nodes.entries())
    for (let i = 0; i < 20; i++) {
      const ws = await open(`${base(node)}/websocket/json/reader-${n}-${i}`);
      ws.send(JSON.stringify({ event: "subscribe", channel: `room-${i % 5}`, id: 1 }));
      sockets.push(ws);
    }
  const publishers = await Promise.all(
    nodes.map((node, n) => open(`${base(node)}/websocket/json/writer-${n}`)),
  );
  sockets.push(...publishers);
  let id = 0;
  while (Date.now() < until) {
    for (const publisher of publishers)
      publisher.send(JSON.stringify({ event: "publish", channel: `room-${id % 5}`, data: { n: id++ }, id }));
    if (id % 300 === 0) {
      await open(`${base(nodes[0] as WestNode)}/websocket/json/intruder`).catch(() => undefined);
      const flood = await open(`${base(nodes[1] as WestNode)}/websocket/json/flood-${id}`);
      for (let i = 0; i < 1000; i++) flood.send(JSON.stringify({ event: "ping", id: i }));
      sockets.push(flood);
    }
    await sleep(15);
  }
  for (const ws of sockets) ws.terminate();
}

const redis = await startRedis();
const nodes: WestNode[] = [];
try {
  for (let i = 0; i < 3; i++)
    nodes.push(
      await startWest({
        port: 0,
        logLevel: "silent",
        dist: "redis",
        redis: { url: redis.url },
        admin: { password: PASSWORD },
        maxCommandsPerSecond: 400,
        handshake: (request) => (request.url?.includes("intruder") ? { status: 403, body: "no\n" } : true),
      }),
    );
  const until = Date.now() + LOAD_SECONDS * 1000;
  const loading = load(nodes, until);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless=new", "--no-sandbox"],
  });
  try {
    const shots: [string, { width: number; height: number }][] = [
      ["docs/admin-desktop.png", { width: 1280, height: 1000 }],
      ["docs/admin-mobile.png", { width: 390, height: 1700 }],
    ];
    const pages = await Promise.all(
      shots.map(async ([, viewport]) => {
        const page = await browser.newPage({ viewport });
        await page.goto(`${nodes[0]?.url}/admin/`);
        await page.fill("#password", PASSWORD);
        await page.click('button[type="submit"]');
        return page;
      }),
    );
    await sleep(Math.max(0, until - Date.now() - 2000));
    for (const [i, [file]] of shots.entries()) {
      await pages[i]?.screenshot({ path: file, fullPage: true });
      console.log(`written ${file}`);
    }
  } finally {
    await browser.close();
    await loading;
  }
} finally {
  for (const node of nodes) await node.stop();
  redis.stop();
}
