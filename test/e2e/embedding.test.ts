import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from "node:http";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { after, before, describe, it } from "node:test";
import express from "express";
import fastify from "fastify";
import WebSocket, { WebSocketServer } from "ws";
import { startWest, type WestNode } from "../../src/index.js";
import type { WestOptions } from "../../src/options.js";
import { certificates } from "../helpers/certificates.js";
import { TEST_SECRET, token } from "../helpers/tokens.js";
import { TestSocket } from "../helpers/ws-client.js";

/** The application around the node: its own route and its own WebSocket server (an echo at /chat). */
interface App {
  /** http(s)://127.0.0.1:PORT */
  base: string;
  server: HttpServer;
  /** The CA that signed an https app's certificate. */
  ca?: Buffer;
  close(): Promise<void>;
}

const APP_ROUTE = "/hello";
const APP_ANSWER = "hello from the app\n";

/** The other WebSocket server beside the node: echoes every frame with "echo: ". */
function echo(wss: WebSocketServer): WebSocketServer {
  wss.on("connection", (ws) => ws.on("message", (data) => ws.send(`echo: ${data}`)));
  return wss;
}

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: HttpServer, wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  wss.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Express, with the other WebSocket server on `{ server, path }` (it refuses every other path with 400). */
async function expressApp(): Promise<App> {
  const app = express();
  app.get(APP_ROUTE, (_request, response) => {
    response.type("text/plain").send(APP_ANSWER);
  });
  const server = createHttpServer(app);
  const wss = echo(new WebSocketServer({ server, path: "/chat" }));
  const port = await listen(server);
  return { base: `http://127.0.0.1:${port}`, server, close: () => closeServer(server, wss) };
}

/** Fastify, with the other WebSocket server routed by the application's own upgrade listener (ws's README way). */
async function fastifyApp(): Promise<App> {
  const app = fastify();
  app.get(APP_ROUTE, async (_request, reply) => reply.type("text/plain").send(APP_ANSWER));
  const wss = echo(new WebSocketServer({ noServer: true }));
  app.server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? "/", "http://x").pathname === "/chat")
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
    else socket.destroy();
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server: app.server,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await app.close();
    },
  };
}

/** A plain https server with a certificate the test makes, and a plain request handler. */
async function httpsApp(dir: string): Promise<App> {
  const files = certificates(dir);
  const server = createHttpsServer(
    { cert: readFileSync(files.cert), key: readFileSync(files.key) },
    (request, response) => {
      if (request.url === APP_ROUTE) response.end(APP_ANSWER);
      else {
        response.statusCode = 404;
        response.end("the app has no such page\n");
      }
    },
  );
  const wss = echo(new WebSocketServer({ server, path: "/chat" }));
  const port = await listen(server);
  return {
    base: `https://127.0.0.1:${port}`,
    server,
    ca: readFileSync(files.ca),
    close: () => closeServer(server, wss),
  };
}

/** A GET through Node's http(s), trusting the app's CA. */
async function get(app: App, path: string, headers: Record<string, string> = {}) {
  if (app.ca === undefined) {
    const response = await fetch(app.base + path, { headers, redirect: "manual" });
    return { status: response.status, body: await response.text(), headers: response.headers };
  }
  return new Promise<{ status: number; body: string; headers: Headers }>((resolve, reject) => {
    const request = httpsRequest(app.base + path, { ca: app.ca, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          headers: new Headers(response.headers as Record<string, string>),
        }),
      );
    });
    request.on("error", reject);
    request.end();
  });
}

/** Opens a WebSocket at `path` of the app; resolves with it open, or rejects with the refusal's status. */
function open(app: App, path: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
  const ws = new WebSocket(app.base.replace(/^http/, "ws") + path, { ca: app.ca, ...options });
  const socket = new TestSocket(ws);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(socket));
    ws.once("unexpected-response", (_request, response) =>
      reject(new Error(`refused ${response.statusCode}`)),
    );
    ws.once("error", reject);
  });
}

async function json(socket: TestSocket): Promise<Record<string, unknown>> {
  return JSON.parse(String(await socket.take())) as Record<string, unknown>;
}

/** A publication through the node on `path`, from one of its sockets to another. */
async function assertNodeServes(app: App, path: string): Promise<void> {
  const reader = await open(app, `${path}/json/reader`);
  reader.send(JSON.stringify({ event: "subscribe", channel: "news", id: 1 }));
  assert.equal((await json(reader)).event, "subscription_succeeded");
  const writer = await open(app, `${path}/json/writer`);
  writer.send(JSON.stringify({ event: "publish", channel: "news", data: "hi", id: 2 }));
  assert.equal((await json(writer)).event, "publication_succeeded");
  const delivery = await json(reader);
  assert.deepEqual([delivery.channel, delivery.data], ["news", "hi"]);
  reader.ws.close();
  writer.ws.close();
}

/** The application's own route and WebSocket server work, and an unknown path is the application's 404. */
async function assertAppServes(app: App): Promise<void> {
  const page = await get(app, APP_ROUTE);
  assert.deepEqual([page.status, page.body], [200, APP_ANSWER]);
  const chat = await open(app, "/chat");
  chat.send("ping");
  assert.equal(await chat.take(), "echo: ping");
  chat.ws.close();
  const missing = await get(app, "/nowhere");
  assert.equal(missing.status, 404);
  assert.notEqual(missing.body, "not found\n", "the app's 404, not the node's");
}

/** Each app with a node on it under `/live`, its routes under `/west`; then the node stops and the app goes on. */
const APPS: [string, (dir: string) => Promise<App>][] = [
  ["Express", () => expressApp()],
  ["Fastify", () => fastifyApp()],
  ["a plain https server", httpsApp],
];

for (const [name, makeApp] of APPS) {
  describe(`startWest({ server }) on ${name}, beside the app's route and its own WebSocket server`, () => {
    const dir = mkdtempSync(join(tmpdir(), "west-embed-"));
    let app: App;
    let node: WestNode;
    let listenersBefore: Record<"request" | "upgrade", ReturnType<HttpServer["rawListeners"]>>;
    before(async () => {
      app = await makeApp(dir);
      listenersBefore = {
        request: app.server.rawListeners("request"),
        upgrade: app.server.rawListeners("upgrade"),
      };
      node = await startWest({
        server: app.server,
        path: "/live",
        httpPrefix: "/west",
        webClient: true,
        healthz: true,
        metrics: true,
        logLevel: "silent",
      });
    });
    after(async () => {
      await node.stop();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("serves WebSockets under path, and its URL is the app's", async () => {
      assert.equal(node.url, app.base);
      await assertNodeServes(app, "/live");
    });

    it("the app's route, its WebSocket server and its 404s are untouched", async () => {
      await assertAppServes(app);
    });

    it("answers the admission check at path, and serves /healthz, /metrics and the web client under the prefix", async () => {
      const admitted = await get(app, "/live/json/someone");
      assert.equal(admitted.status, 200);
      assert.equal((await get(app, "/west/healthz")).status, 200);
      assert.match((await get(app, "/west/metrics")).body, /^# HELP west_/m);
      const redirect = await get(app, "/west");
      assert.deepEqual([redirect.status, redirect.headers.get("location")], [301, "/west/"]);
      const page = await get(app, "/west/");
      assert.equal(page.status, 200);
      assert.match(page.body, /<meta name="west-path" content="\/live" \/>/);
      assert.equal((await get(app, "/west/app.js")).status, 200);
      assert.equal((await get(app, "/west/client/west-client.js")).status, 200);
      assert.equal((await get(app, "/healthz")).status, 404, "nothing of the node's outside its prefix");
      assert.equal((await get(app, "/west/no-such-file")).status, 404);
    });

    it("stopping the node gives the server back its listeners; the app keeps serving", async () => {
      await node.stop();
      assert.deepEqual(app.server.rawListeners("request"), listenersBefore.request);
      assert.deepEqual(app.server.rawListeners("upgrade"), listenersBefore.upgrade);
      assert.equal(app.server.listening, true);
      await assertAppServes(app);
      await assert.rejects(open(app, "/live/json/late"), "the node's path is the app's again");
    });
  });
}

describe("an attached node keeps its admission rules: token, Origin, the handshake hook, maxConnections", () => {
  let app: App;
  let node: WestNode;
  before(async () => {
    app = await expressApp();
    node = await startWest({
      server: app.server,
      auth: { jwtSecret: TEST_SECRET },
      maxConnections: 1,
      handshake: (request) =>
        request.url?.includes("/banned") ? { status: 451, body: "banned by the hook\n" } : true,
      logLevel: "silent",
    });
  });
  after(async () => {
    await node.stop();
    await app.close();
  });

  it("refuses a missing token (401), a foreign Origin (403) and what the hook refuses (its status)", async () => {
    await assert.rejects(open(app, "/websocket/json/alice"), /refused 401/);
    const alice = await token(TEST_SECRET, { sub: "alice" });
    await assert.rejects(
      open(app, `/websocket/json/alice?token=${alice}`, { origin: "http://foreign.example" }),
      /refused 403/,
    );
    const banned = await token(TEST_SECRET, { sub: "banned" });
    await assert.rejects(open(app, `/websocket/json/banned?token=${banned}`), /refused 451/);
    const check = await get(app, "/websocket/json/alice");
    assert.equal(check.status, 401, "the admission check says the same");
  });

  it("takes a valid token and closes one connection past maxConnections with 1013", async () => {
    const alice = await open(
      app,
      `/websocket/json/alice?token=${await token(TEST_SECRET, { sub: "alice" })}`,
    );
    const bob = await open(app, `/websocket/json/bob?token=${await token(TEST_SECRET, { sub: "bob" })}`);
    assert.equal(await bob.closedWith(), 1013);
    alice.ws.close();
  });

  it("serves no web client, /healthz or /metrics unless asked, and takes no /api/ without api.key", async () => {
    for (const path of ["/", "/healthz", "/metrics", "/api/publish"])
      assert.equal((await get(app, path)).status, 404, path);
  });
});

describe("node.handleRequest and node.handleUpgrade, for an app that routes its own upgrades (port: false)", () => {
  let node: WestNode;
  let server: HttpServer;
  let wss: WebSocketServer;
  let app: App;
  before(async () => {
    node = await startWest({ port: false, httpPrefix: "/west", healthz: true, logLevel: "silent" });
    const routes = express();
    routes.use(node.handleRequest);
    routes.get(APP_ROUTE, (_request, response) => {
      response.type("text/plain").send(APP_ANSWER);
    });
    server = createHttpServer(routes);
    wss = echo(new WebSocketServer({ noServer: true }));
    server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (node.handleUpgrade(request, socket, head)) return;
      if (request.url === "/chat")
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
      else socket.destroy();
    });
    const port = await listen(server);
    app = { base: `http://127.0.0.1:${port}`, server, close: () => closeServer(server, wss) };
  });
  after(async () => {
    await node.stop();
    await app.close();
  });

  it("serves the node's WebSockets, its admission check and /west/healthz, and the app's route and socket", async () => {
    await assertNodeServes(app, "/websocket");
    assert.equal((await get(app, "/websocket/json/someone")).status, 200);
    assert.equal((await get(app, "/west/healthz")).status, 200);
    await assertAppServes(app);
    assert.equal(node.url, undefined, "no server of its own, none given");
  });

  it("after stop, the node refuses its upgrades with 503 and the app goes on", async () => {
    await node.stop();
    await assert.rejects(open(app, "/websocket/json/late"), /refused 503/);
    await assertAppServes(app);
  });
});

describe("startWest refuses options that do not fit together, or a path it cannot route", () => {
  const cases: [string, WestOptions, RegExp][] = [
    ["port and server", { port: 0, server: createHttpServer() }, /either port .* or server/],
    ["tls with an app's server", { server: createHttpServer(), tls: { cert: "c", key: "k" } }, /tls is for/],
    ["tls without a key", { port: 0, tls: { cert: "c" } as never }, /both cert and key/],
    ["a path without /", { port: 0, path: "live" }, /option path must start with \//],
    ["the root as path", { port: 0, path: "/" }, /option path must not be the root/],
    ["a prefix with a query", { port: 0, httpPrefix: "/west?x" }, /option httpPrefix must be a plain path/],
  ];
  for (const [what, options, message] of cases)
    it(what, async () => {
      await assert.rejects(startWest({ logLevel: "silent", ...options }), message);
    });
});
