import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { describe, it } from "node:test";
import { delayedAdapter } from "../helpers/delayed-adapter.js";
import { capturingLogger } from "../helpers/log-capture.js";
import { sample, scrape } from "../helpers/scrape.js";
import { connect, listeningNode, type TestSocket, tryUpgrade } from "../helpers/ws-client.js";

const KEY = "k3y-0f-the-backend-that-must-never-be-logged";

type Body = Record<string, unknown>;

/** POSTs `body` (an object as JSON, or raw text) to /api/COMMAND: the status and the parsed answer. */
async function api(
  url: string,
  command: string,
  body: Body | string,
  options: { key?: string | null; method?: string } = {},
): Promise<{ status: number; body: Body }> {
  const { key = KEY, method = "POST" } = options;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `apikey ${key}`;
  const response = await fetch(`${url}/api/${command}`, {
    method,
    headers,
    body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Body) };
}

const json = (frame: unknown): Body => JSON.parse(String(frame)) as Body;

async function subscribed(wsUrl: string, key: string, channel: string): Promise<TestSocket> {
  const socket = await connect(wsUrl, "json", key);
  socket.send(JSON.stringify({ event: "subscribe", channel }));
  assert.equal(json(await socket.take()).event, "subscription_succeeded");
  return socket;
}

async function registered(wsUrl: string, key: string, channel: string): Promise<TestSocket> {
  const socket = await connect(wsUrl, "json", key);
  socket.send(JSON.stringify({ event: "register", channel }));
  assert.equal(json(await socket.take()).event, "registration_succeeded");
  return socket;
}

describe("the HTTP API (local mode, real HTTP)", () => {
  it("is off without api.key: /api/ is not served", async () => {
    const node = await listeningNode();
    const answer = await fetch(`${node.url}/api/publish`, { method: "POST", body: "{}" });
    assert.equal(answer.status, 404);
  });

  it("publish reaches subscribers from `api` or the given `from`, and answers the JSON protocol's reply", async () => {
    const node = await listeningNode({ api: { key: KEY } });
    const reader = await subscribed(node.wsUrl, "reader", "news");
    assert.deepEqual(
      await api(node.url as string, "publish", { channel: "news", data: { headline: "hi" }, id: 3 }),
      {
        status: 200,
        body: { event: "publication_succeeded", from: "west", channel: "news", id: 3 },
      },
    );
    assert.deepEqual(json(await reader.take()), {
      event: "new_message",
      from: "api",
      channel: "news",
      data: { headline: "hi" },
    });
    await api(node.url as string, "publish", { channel: "news", data: "null from", from: null });
    assert.equal(json(await reader.take()).from, "api", "from: null is absent, as in the JSON protocol");
    await api(node.url as string, "publish", {
      channel: "news",
      data: "AAE=",
      encoding: "base64",
      from: "billing",
    });
    assert.deepEqual(json(await reader.take()), {
      event: "new_message",
      from: "billing",
      channel: "news",
      data: "\u0000\u0001",
    });
  });

  it("send, request, presence, history: each answers as the protocol does", async () => {
    const node = await listeningNode({
      api: { key: KEY },
      channels: [{ match: "room.>", history: { size: 10, ttlSeconds: 60 }, presence: true }],
    });
    const url = node.url as string;
    const owner = await registered(node.wsUrl, "pricing", "svc.price");
    assert.equal(
      (await api(url, "send", { channel: "svc.price", data: "hello" })).body.event,
      "sending_succeeded",
    );
    assert.deepEqual(json(await owner.take()), {
      event: "new_message",
      from: "api",
      channel: "svc.price",
      data: "hello",
    });
    assert.deepEqual(await api(url, "send", { channel: "nobody", data: "x" }), {
      status: 200,
      body: { event: "registration_not_found", from: "west", channel: "nobody" },
    });
    const asked = api(url, "request", { channel: "svc.price", data: { sku: 1 }, id: "r1", timeout_ms: 3000 });
    const request = json(await owner.take());
    owner.send(JSON.stringify({ event: "reply", channel: request.reply_to, data: { price: 5 } }));
    assert.deepEqual(await asked, {
      status: 200,
      body: { event: "response", from: "pricing", channel: "svc.price", id: "r1", data: { price: 5 } },
    });
    const timedOut = await api(url, "request", { channel: "svc.price", data: 1, timeout_ms: 50 });
    assert.deepEqual(timedOut.body.event, "request_timeout");
    await subscribed(node.wsUrl, "alice", "room.1");
    for (const n of [1, 2]) await api(url, "publish", { channel: "room.1", data: `m${n}` });
    assert.deepEqual((await api(url, "presence", { channel: "room.1" })).body.data, { alice: 1 });
    const history = await api(url, "history", { channel: "room.1", limit: 5 });
    assert.equal(history.body.event, "history_succeeded");
    assert.deepEqual(
      (history.body.data as Body[]).map(({ from, data }) => `${from} ${data}`),
      ["api m1", "api m2"],
    );
  });

  it("disconnect closes every WebSocket of the key with 4003 and counts them; native clients are untouched", async () => {
    const node = await listeningNode({ api: { key: KEY } });
    const sockets = await Promise.all([1, 2].map(() => connect(node.wsUrl, "json", "kicked")));
    const bystander = await connect(node.wsUrl, "json", "stays");
    const native = node.client("kicked");
    assert.deepEqual(await api(node.url as string, "disconnect", { key: "kicked" }), {
      status: 200,
      body: { event: "disconnect_succeeded", from: "west", data: 2 },
    });
    for (const socket of sockets) assert.equal(await socket.closedWith(), 4003);
    assert.equal(bystander.closeCode, undefined);
    assert.equal((await native.ping()).event, "pong");
    assert.equal((await api(node.url as string, "disconnect", { key: "kicked" })).body.data, 0);
    assert.deepEqual(await api(node.url as string, "disconnect", {}), {
      status: 400,
      body: { event: "bad_request", from: "west", reason: "key is missing or not a valid key" },
    });
  });

  it("info lists the node with its connections, channels and uptime", async () => {
    const node = await listeningNode({ api: { key: KEY } });
    await subscribed(node.wsUrl, "alice", "ch");
    const { status, body } = await api(node.url as string, "info", {});
    assert.equal(status, 200);
    assert.equal(body.event, "info_succeeded");
    const [self, ...others] = body.data as Body[];
    assert.deepEqual(others, []);
    assert.deepEqual(
      { ...self, uptimeMs: typeof self?.uptimeMs },
      {
        nodeId: "local",
        url: node.url,
        connections: 1,
        registrations: 0,
        subscriptions: 1,
        uptimeMs: "number",
      },
    );
  });

  it("batch runs its commands in order, a failing one not stopping the rest; request and batch are refused inside", async () => {
    const node = await listeningNode({ api: { key: KEY } });
    const reader = await subscribed(node.wsUrl, "reader", "feed");
    const commands = [
      ...Array.from({ length: 50 }, (_, i) => ({ event: "publish", channel: "feed", data: i })),
      { event: "send", channel: "nobody", data: "x" },
      { event: "publish", channel: "bad channel", data: 1 },
      { event: "request", channel: "svc", data: 1 },
      { event: "batch", commands: [] },
      { channel: "feed", data: "no event" },
      { event: "publish", channel: "feed", data: "from bob", from: "bob" },
      { event: "info" },
      { event: "publish", channel: "feed", data: "last" },
    ];
    const { status, body } = await api(node.url as string, "batch", { commands });
    assert.equal(status, 200);
    const replies = body.replies as Body[];
    assert.deepEqual(
      replies.map((reply) => `${reply.event}${reply.reason === undefined ? "" : ` (${reply.reason})`}`),
      [
        ...Array.from({ length: 50 }, () => "publication_succeeded"),
        "registration_not_found",
        "publication_failed (channel name contains whitespace)",
        "bad_request (not allowed in a batch)",
        "bad_request (not allowed in a batch)",
        "bad_request (missing event)",
        "publication_succeeded",
        "info_succeeded",
        "publication_succeeded",
      ],
    );
    await reader.until(() => reader.received.length === 52, 3000, "52 deliveries");
    assert.deepEqual(
      reader.received.map((frame) => `${json(frame).from} ${json(frame).data}`),
      [...Array.from({ length: 50 }, (_, i) => `api ${i}`), "bob from bob", "api last"],
    );
    const tooMany = await api(node.url as string, "batch", {
      commands: Array.from({ length: 1001 }, () => ({ event: "publish", channel: "feed", data: 1 })),
    });
    assert.deepEqual(tooMany, {
      status: 400,
      body: { event: "bad_request", from: "west", reason: "commands is not an array of at most 1000" },
    });
  });

  it("refuses: 401 without or with a wrong key (never logged), 405 not POST, 404 unknown command, 400 bad bodies", async () => {
    const { logger, text } = capturingLogger();
    const node = await listeningNode({ api: { key: KEY }, logger });
    const url = node.url as string;
    assert.equal((await api(url, "publish", { channel: "c", data: 1 }, { key: null })).status, 401);
    assert.equal((await api(url, "publish", { channel: "c", data: 1 }, { key: `${KEY}x` })).status, 401);
    assert.equal(
      (await api(url, "publish", { channel: "c", data: 1 }, { key: KEY.slice(0, 10) })).status,
      401,
    );
    const wrongScheme = await fetch(`${url}/api/publish`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: "{}",
    });
    assert.equal(wrongScheme.status, 401);
    const get = await api(url, "publish", {}, { method: "GET" });
    assert.equal(get.status, 405);
    assert.equal((await api(url, "subscribe", { channel: "c" })).status, 404);
    assert.equal((await api(url, "publish/more", {})).status, 404);
    for (const [body, reason] of [
      ["not json", "not JSON"],
      ["[1,2]", "not a JSON object"],
      ['{"channel":5,"data":1}', "channel is not a string"],
      ['{"channel":"c","data":1,"from":"west"}', "from is not a valid key"],
      ['{"channel":"c","data":1,"timeout_ms":"soon"}', "timeout_ms is not a whole number"],
    ])
      assert.deepEqual(await api(url, body === "not json" ? "publish" : "request", body as string), {
        status: 400,
        body: { event: "bad_request", from: "west", reason },
      });
    assert.equal((await api(url, "publish", { channel: "c" })).body.reason, "missing data");
    assert.ok(!text().includes(KEY), "the API key appears in no log line");
  });

  it("bounds bodies: over maxFrameBytes is 413, a body that does not arrive in time is 408", async () => {
    const node = await listeningNode({ api: { key: KEY, bodyTimeoutMs: 200 }, maxFrameBytes: 1024 });
    const url = node.url as string;
    const big = await api(url, "publish", { channel: "c", data: "x".repeat(2000) });
    assert.equal(big.status, 413);
    const { port } = new URL(url);
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/publish",
          headers: { authorization: `apikey ${KEY}`, "content-length": "100" },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on("error", reject);
      request.write('{"channel":');
    });
    assert.equal(status, 408);
  });

  it("permission rules do not apply to the API; the key `api` is refused to WebSocket clients", async () => {
    const node = await listeningNode({ api: { key: KEY }, permissions: { default: "deny", rules: [] } });
    const url = node.url as string;
    assert.equal(
      (await api(url, "publish", { channel: "locked", data: 1 })).body.event,
      "publication_succeeded",
    );
    const refused = await tryUpgrade(node.wsUrl, "/websocket/json/api");
    assert.ok("status" in refused && refused.status === 400, JSON.stringify(refused));
    assert.throws(() => node.client("api"), /invalid client key/);
  });

  it("503 with the internal_error when the node cannot complete the command", async () => {
    const node = await listeningNode({
      api: { key: KEY },
      adapter: delayedAdapter({ hang: true }),
      commandTimeoutMs: 100,
    });
    const url = node.url as string;
    assert.deepEqual(await api(url, "publish", { channel: "c", data: 1, id: 1 }), {
      status: 503,
      body: { event: "internal_error", from: "west", channel: "c", id: 1, reason: "timed out" },
    });
    const batch = await api(url, "batch", { commands: [{ event: "publish", channel: "c", data: 1 }] });
    assert.equal(batch.status, 200, "a batch is 200 whatever its replies say");
    assert.equal((batch.body.replies as Body[])[0]?.event, "internal_error");
  });

  it("/metrics counts API requests by command and status", async () => {
    const node = await listeningNode({ api: { key: KEY } });
    const url = node.url as string;
    await api(url, "publish", { channel: "c", data: 1 });
    await api(url, "publish", { channel: "c", data: 1 });
    await api(url, "publish", "nope");
    await api(url, "publish", {}, { key: "wrong" });
    await api(url, "nothing", {});
    const samples = await scrape(url);
    for (const [command, status, count] of [
      ["publish", 200, 2],
      ["publish", 400, 1],
      ["publish", 401, 1],
      ["other", 404, 1],
    ] as const)
      assert.equal(
        sample(samples, `west_api_requests_total{command="${command}",status="${status}"}`),
        count,
      );
  });
});
