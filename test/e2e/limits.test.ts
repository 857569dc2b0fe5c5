import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import WebSocket from "ws";
import { localAdapter } from "../../src/adapters/local/local-adapter.js";
import { osFreePort } from "../../src/devrel/free-ports.js";
import { type Adapter, startWest } from "../../src/index.js";
import type { ProtocolName } from "../../src/protocols/codec.js";
import { launchBrowser, skipWithoutBrowser } from "../helpers/browser.js";
import { capturingLogger } from "../helpers/log-capture.js";
import { rawUpgrade } from "../helpers/raw-upgrade.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { type HttpAnswer, httpGet } from "../helpers/scrape.js";
import {
  listeningNode,
  type ProtocolClient,
  protocolClient,
  tryUpgrade,
  type WireCommand,
  type WireMessage,
  watchedAdapter,
} from "../helpers/ws-client.js";

type Node = Awaited<ReturnType<typeof listeningNode>>;

async function answersPing(client: ProtocolClient): Promise<void> {
  assert.equal(await client.event({ event: "ping" }), "pong");
}

/** Another client on the same node goes on as usual: it subscribes, publishes and gets its delivery. */
async function othersUnaffected(node: Node, key: string): Promise<void> {
  const other = await protocolClient(node.wsUrl, "json", key);
  await answersPing(other);
  assert.equal(await other.event({ event: "subscribe", channel: `${key}-ch` }), "subscription_succeeded");
  other.command({ event: "publish", channel: `${key}-ch`, data: "still here" });
  const got = [await other.take(), await other.take()].map((m) => m.event).sort();
  assert.deepEqual(got, ["new_message", "publication_succeeded"]);
}

/** Sends `commands` in one burst and reads one reply per command. */
async function burst(client: ProtocolClient, commands: WireCommand[]): Promise<WireMessage[]> {
  for (const command of commands) client.command(command);
  const replies: WireMessage[] = [];
  for (let i = 0; i < commands.length; i++) replies.push(await client.take(5000));
  return replies;
}

const count = (replies: WireMessage[], event: string) => replies.filter((r) => r.event === event).length;

/**
 * A raw socket whose close (code and reason) is recorded from the start, before it opens; `closed` rejects if
 * it has not closed within 5 s.
 */
function rawSocket(url: string): { ws: WebSocket; closed: Promise<{ code: number; reason: string }> } {
  const ws = new WebSocket(url);
  ws.on("error", () => undefined);
  after(() => ws.terminate());
  const closed = new Promise<{ code: number; reason: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${url} still open after 5 s`)), 5000);
    ws.on("close", (code: number, reason: Buffer) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString("utf8") });
    });
  });
  return { ws, closed };
}

describe("maxChannelsPerConnection over WebSockets", async () => {
  const node = await listeningNode({ maxChannelsPerConnection: 3 });
  const failures: [ProtocolName, WireCommand, WireMessage][] = [
    [
      "json",
      { event: "subscribe", channel: "one-more", id: 7 },
      {
        event: "subscription_failed",
        from: "west",
        channel: "one-more",
        id: 7,
        reason: "too many channels on this connection",
      },
    ],
    [
      "json",
      { event: "register", channel: "one-more", id: "r" },
      {
        event: "registration_failed",
        from: "west",
        channel: "one-more",
        id: "r",
        reason: "too many channels on this connection",
      },
    ],
    [
      "pb",
      { event: "subscribe", channel: "one-more", id: "9" },
      {
        event: "subscription_failed",
        from: "west",
        channel: "one-more",
        id: "9",
        reason: "too many channels on this connection",
      },
    ],
    [
      "text",
      { event: "register", channel: "one-more" },
      { event: "registration_failed", from: "west", channel: "one-more" },
    ],
  ];
  for (const [protocol, command, expected] of failures) {
    it(`${protocol}: ${command.event} beyond 3 channels gets ${expected.event}; the connection keeps its channels`, async () => {
      const key = `full-${protocol}-${command.event}`;
      const client = await protocolClient(node.wsUrl, protocol, key);
      assert.equal(await client.event({ event: "register", channel: `${key}-r` }), "registration_succeeded");
      assert.equal(await client.event({ event: "subscribe", channel: `${key}-a` }), "subscription_succeeded");
      assert.equal(await client.event({ event: "subscribe", channel: `${key}-b` }), "subscription_succeeded");
      assert.deepEqual(await client.request(command), expected);
      await answersPing(client);
      // What it holds still works: it gets what is published and sent to it.
      const sender = await protocolClient(node.wsUrl, "json", `${key}-sender`);
      sender.command({ event: "publish", channel: `${key}-a`, data: "p" });
      sender.command({ event: "send", channel: `${key}-r`, data: "s" });
      assert.deepEqual(
        [(await client.take()).channel, (await client.take()).channel],
        [`${key}-a`, `${key}-r`],
      );
      await othersUnaffected(node, `${key}-other`);
    });
  }

  it("a burst of subscribes: exactly 3 succeed, the rest fail with their channel and id", async () => {
    const client = await protocolClient(node.wsUrl, "json", "burst-sub");
    const replies = await burst(
      client,
      Array.from({ length: 20 }, (_, i) => ({ event: "subscribe", channel: `bs${i}`, id: i })),
    );
    assert.equal(count(replies, "subscription_succeeded"), 3);
    for (const [i, reply] of replies.slice(3).entries()) {
      assert.deepEqual(reply, {
        event: "subscription_failed",
        from: "west",
        channel: `bs${i + 3}`,
        id: i + 3,
        reason: "too many channels on this connection",
      });
    }
    assert.equal(await client.event({ event: "unsubscribe", channel: "bs0" }), "unsubscription_succeeded");
    assert.equal(await client.event({ event: "subscribe", channel: "bs19" }), "subscription_succeeded");
  });

  it("a closed connection's channels no longer count: a new connection of the same key starts empty", async () => {
    const first = await protocolClient(node.wsUrl, "json", "reconnects");
    for (const channel of ["x1", "x2", "x3"])
      assert.equal(await first.event({ event: "subscribe", channel }), "subscription_succeeded");
    const second = await protocolClient(node.wsUrl, "json", "reconnects");
    assert.equal(await second.event({ event: "subscribe", channel: "x1" }), "subscription_succeeded");
    first.socket.ws.close();
    await first.socket.closedWith();
    assert.equal(await second.event({ event: "register", channel: "x-owned" }), "registration_succeeded");
  });
});

describe("maxChannelsPerConnection in Redis global mode", { skip: skipWithoutRedis() }, async () => {
  it("a burst of registers and subscribes on a real Redis: exactly the limit succeeds", async () => {
    const redis = await redisServer();
    const node = await listeningNode({
      maxChannelsPerConnection: 4,
      dist: "redis",
      redis: { url: redis.url },
    });
    const client = await protocolClient(node.wsUrl, "json", "redis-burst");
    const replies = await burst(
      client,
      Array.from({ length: 12 }, (_, i) => ({
        event: i % 2 === 0 ? "subscribe" : "register",
        channel: `rb${i}`,
        id: i,
      })),
    );
    assert.deepEqual(
      replies.map((r) => r.event),
      [
        ...[
          "subscription_succeeded",
          "registration_succeeded",
          "subscription_succeeded",
          "registration_succeeded",
        ],
        ...Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? "subscription_failed" : "registration_failed")),
      ],
    );
    await othersUnaffected(node, "redis-other");
  });
});

describe("maxConnections over WebSockets", async () => {
  const dist = watchedAdapter();
  const node = await listeningNode({ maxConnections: 2, adapter: dist.factory });

  it("the connection over the limit opens and is closed at once with 1013 'try again later'; the others work", async () => {
    const first = await protocolClient(node.wsUrl, "json", "c1");
    const second = await protocolClient(node.wsUrl, "text", "c2");
    const over = rawSocket(`${node.wsUrl}/websocket/json/c3`);
    // What it sends as soon as it is open is never executed: it has no session.
    over.ws.once("open", () => over.ws.send(JSON.stringify({ event: "register", channel: "c3-ch" })));
    assert.deepEqual(await over.closed, { code: 1013, reason: "try again later" });
    assert.equal(await first.event({ event: "register", channel: "c3-ch" }), "registration_succeeded");
    await answersPing(first);
    await answersPing(second);
    // Once the server has closed one (its cleanup unsubscribes), there is room for one more.
    assert.equal(await second.event({ event: "subscribe", channel: "c2-ch" }), "subscription_succeeded");
    second.socket.ws.close();
    await dist.seen("unsubscribe c2-ch");
    await answersPing(await protocolClient(node.wsUrl, "json", "c4"));
    assert.equal((await rawSocket(`${node.wsUrl}/websocket/json/c5`).closed).code, 1013);
  });

  it("native clients do not count", async () => {
    const crowded = await listeningNode({ maxConnections: 1 });
    const natives = Array.from({ length: 5 }, (_, i) => crowded.client(`native${i}`));
    const socket = await protocolClient(crowded.wsUrl, "json", "only-socket");
    await answersPing(socket);
    assert.equal((await natives[0]?.ping())?.event, "pong");
    const over = rawSocket(`${crowded.wsUrl}/websocket/json/second-socket`);
    assert.equal((await over.closed).code, 1013);
  });
});

describe("maxCommandsPerSecond over WebSockets", async () => {
  const RATE = 50;
  const node = await listeningNode({ maxCommandsPerSecond: RATE });

  it("a burst of twice the rate: one second's worth executes, the rest is answered rate_limited with its id; the socket stays open", async () => {
    const client = await protocolClient(node.wsUrl, "json", "bursty");
    const replies = await burst(
      client,
      Array.from({ length: 2 * RATE }, (_, i) => ({ event: "ping", id: i })),
    );
    assert.deepEqual(
      replies.map((r) => r.id),
      Array.from({ length: 2 * RATE }, (_, i) => i),
      "one reply per command, in order",
    );
    assert.ok(count(replies, "pong") >= RATE, `${count(replies, "pong")} pongs`);
    assert.ok(count(replies, "rate_limited") >= 1, "some are refused");
    assert.equal(count(replies, "pong") + count(replies, "rate_limited"), 2 * RATE);
    for (const reply of replies.filter((r) => r.event === "rate_limited"))
      assert.deepEqual(Object.keys(reply).sort(), ["event", "from", "id"]);
    await othersUnaffected(node, "bursty-other");
    assert.equal(client.socket.closeCode, undefined, "still open");
    // A second later the bucket is full again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await answersPing(client);
  });

  it("a refused command is not executed, and its reply carries its channel and id", async () => {
    const publisher = await protocolClient(node.wsUrl, "json", "fast-publisher");
    const reader = await protocolClient(node.wsUrl, "json", "reader");
    assert.equal(await reader.event({ event: "subscribe", channel: "rated" }), "subscription_succeeded");
    const replies = await burst(
      publisher,
      Array.from({ length: 2 * RATE }, (_, i) => ({
        event: "publish",
        channel: "rated",
        data: `m${i}`,
        id: `p${i}`,
      })),
    );
    const published = replies.filter((r) => r.event === "publication_succeeded");
    const refused = replies.filter((r) => r.event === "rate_limited");
    assert.equal(published.length + refused.length, 2 * RATE);
    assert.ok(refused.length >= 1);
    for (const reply of refused) assert.equal(reply.channel, "rated");
    // The reader gets exactly the accepted publishes.
    const delivered: unknown[] = [];
    for (let i = 0; i < published.length; i++) delivered.push((await reader.take()).data);
    assert.deepEqual(
      delivered,
      published.map((r) => `m${String(r.id).slice(1)}`),
    );
    await answersPing(reader);
  });

  it("persistent excess closes the socket with 4002 'rate'; other clients keep working", async () => {
    const flooder = rawSocket(`${node.wsUrl}/websocket/json/flooder`);
    await new Promise((resolve) => flooder.ws.once("open", resolve));
    let replies = 0;
    flooder.ws.on("message", () => replies++);
    // Bounded: far more than twice the rate, sent at once.
    for (let i = 0; i < 20 * RATE; i++) flooder.ws.send(JSON.stringify({ event: "ping", id: i }));
    assert.deepEqual(await flooder.closed, { code: 4002, reason: "rate" });
    assert.ok(replies < 20 * RATE, `${replies} replies before the close`);
    await othersUnaffected(node, "flood-other");
  });

  it("frames the codec rejects count too", async () => {
    const client = await protocolClient(node.wsUrl, "json", "garbage");
    for (let i = 0; i < 2 * RATE; i++) client.socket.send("{not json");
    const replies: WireMessage[] = [];
    for (let i = 0; i < 2 * RATE; i++) replies.push(await client.take(5000));
    assert.ok(count(replies, "bad_request") >= RATE);
    assert.ok(count(replies, "rate_limited") >= 1);
  });

  for (const protocol of ["text", "pb"] as const) {
    it(`${protocol}: the refusal is rate_limited with the command's channel`, async () => {
      const client = await protocolClient(node.wsUrl, protocol, `rated-${protocol}`);
      const replies = await burst(
        client,
        Array.from({ length: 2 * RATE }, (_, i) => ({ event: "publish", channel: `ch${i}`, data: "x" })),
      );
      const refused = replies.filter((r) => r.event === "rate_limited");
      assert.ok(refused.length >= 1);
      for (const reply of refused) assert.match(String(reply.channel), /^ch\d+$/);
    });
  }

  it("bye is never refused", async () => {
    const client = await protocolClient(node.wsUrl, "text", "bye-after-burst");
    for (let i = 0; i < 2 * RATE; i++) client.command({ event: "ping" });
    client.socket.send("bye");
    assert.equal(await client.socket.closedWith(5000), 1000);
  });

  it("native clients are not rate limited", async () => {
    const native = node.client("native-fast");
    const replies = await Promise.all(Array.from({ length: 5 * RATE }, () => native.ping()));
    assert.ok(replies.every((r) => r.event === "pong"));
  });

  it("0 means no limit", async () => {
    const unlimited = await listeningNode({ maxCommandsPerSecond: 0 });
    const client = await protocolClient(unlimited.wsUrl, "pb", "unlimited");
    const replies = await burst(
      client,
      Array.from({ length: 1000 }, () => ({ event: "ping" })),
    );
    assert.equal(count(replies, "pong"), 1000);
  });
});

describe("maxChannelBytes and maxKeyBytes", async () => {
  const node = await listeningNode({ maxChannelBytes: 8, maxKeyBytes: 8 });
  const long = "123456789";
  /** 8 bytes in UTF-8: three 2-byte letters and two 1-byte ones. */
  const eightBytes = "ééé12";

  it("a channel over maxChannelBytes gets the command's *_failed reply with its channel and id", async () => {
    const client = await protocolClient(node.wsUrl, "json", "names");
    for (const [event, failure, data] of [
      ["register", "registration_failed", undefined],
      ["unregister", "unregistration_failed", undefined],
      ["subscribe", "subscription_failed", undefined],
      ["unsubscribe", "unsubscription_failed", undefined],
      ["send", "sending_failed", "x"],
      ["publish", "publication_failed", "x"],
    ] as const) {
      assert.deepEqual(await client.request({ event, channel: long, id: event, data }), {
        event: failure,
        from: "west",
        channel: long,
        id: event,
        reason: "channel name too long",
      });
    }
    assert.equal(await client.event({ event: "register", channel: eightBytes }), "registration_succeeded");
    assert.equal(await client.event({ event: "subscribe", channel: "12345678" }), "subscription_succeeded");
    await othersUnaffected(node, "o"); // channel "o-ch": within 8 bytes
  });

  it("a key over maxKeyBytes is refused at upgrade with 400; one of maxKeyBytes opens", async () => {
    const refused = await tryUpgrade(node.wsUrl, `/websocket/json/${long}`);
    assert.ok("status" in refused, "no socket opens");
    assert.equal(refused.status, 400);
    assert.match(refused.body, /1-8 bytes/);
    const opened = await tryUpgrade(node.wsUrl, `/websocket/text/${encodeURIComponent(eightBytes)}`);
    assert.ok("opened" in opened);
  });

  it("the native client refuses a key over maxKeyBytes with a TypeError", () => {
    assert.throws(() => node.client(long), TypeError);
    assert.equal(node.client(eightBytes).key, eightBytes);
  });
});

describe("allowedOrigins", async () => {
  const sameOriginOnly = await listeningNode();
  const listed = await listeningNode({ allowedOrigins: ["https://app.example", "http://localhost:3000"] });
  const anyOrigin = await listeningNode({ allowedOrigins: ["*"] });
  const upgrade = (node: Node, origin?: string) =>
    tryUpgrade(node.wsUrl, "/websocket/json/browser", origin === undefined ? {} : { origin });

  it("by default: the node's own origin and requests without Origin open; any other origin gets 403", async () => {
    const own = sameOriginOnly.url as string;
    for (const origin of [undefined, own, own.toUpperCase().replace("HTTP", "http")]) {
      assert.ok("opened" in (await upgrade(sameOriginOnly, origin)), `${origin} opens`);
    }
    for (const origin of [
      "http://evil.example",
      "null",
      "https://app.example",
      own.replace("127.0.0.1", "localhost"),
    ]) {
      const outcome = await upgrade(sameOriginOnly, origin);
      assert.ok("status" in outcome, `${origin} opens no socket`);
      assert.equal(outcome.status, 403, origin);
    }
    // Same origin is the Origin's host against the Host header, whatever the address connected to.
    const port = sameOriginOnly.port as number;
    const viaName = await tryUpgrade(sameOriginOnly.wsUrl, "/websocket/json/browser", {
      origin: `http://localhost:${port}`,
      headers: { Host: `LocalHost:${port}` },
    });
    assert.ok("opened" in viaName, "the node's origin under another name opens");
    await othersUnaffected(sameOriginOnly, "origin-other");
  });

  it("the node's own origin has its scheme: https://HOST against a plain-http node gets 403", async () => {
    const own = sameOriginOnly.url as string;
    assert.ok("opened" in (await upgrade(sameOriginOnly, own)));
    for (const origin of [own.replace(/^http:/, "https:"), own.replace(/^http:/, "ws:")]) {
      const outcome = await upgrade(sameOriginOnly, origin);
      assert.ok("status" in outcome && outcome.status === 403, `${origin} is refused`);
    }
    await othersUnaffected(sameOriginOnly, "scheme-other");
  });

  it("behind a TLS-terminating proxy (X-Forwarded-Proto: https, its first value) the own origin is https://HOST", async () => {
    const port = sameOriginOnly.port as number;
    const cases: [string, string, boolean][] = [
      ["https", `https://127.0.0.1:${port}`, true],
      ["https", `http://127.0.0.1:${port}`, false],
      ["HTTPS, http", `https://127.0.0.1:${port}`, true],
      ["https,http", `http://127.0.0.1:${port}`, false],
      ["http", `http://127.0.0.1:${port}`, true],
      ["http", `https://127.0.0.1:${port}`, false],
      ["http, https", `https://127.0.0.1:${port}`, false],
      // Neither http nor https: the connection's own scheme (plain http) counts.
      ["ftp", `http://127.0.0.1:${port}`, true],
      ["ftp", `ftp://127.0.0.1:${port}`, false],
      ["", `https://127.0.0.1:${port}`, false],
    ];
    for (const [proto, origin, opens] of cases) {
      const outcome = await tryUpgrade(sameOriginOnly.wsUrl, "/websocket/json/proxied", {
        origin,
        headers: { "X-Forwarded-Proto": proto },
      });
      const what = `X-Forwarded-Proto "${proto}", Origin ${origin}`;
      if (opens) assert.ok("opened" in outcome, `${what} opens`);
      else assert.ok("status" in outcome && outcome.status === 403, `${what} is refused`);
    }
    // With the default port left out, as browsers send it.
    const defaultPort = await tryUpgrade(sameOriginOnly.wsUrl, "/websocket/json/proxied", {
      origin: "https://chat.example",
      headers: { Host: "chat.example:443", "X-Forwarded-Proto": "https" },
    });
    assert.ok(
      "opened" in defaultPort,
      "https://chat.example is the origin of Host chat.example:443 over https",
    );
  });

  it("listed origins open too (case-insensitively); others still get 403", async () => {
    for (const origin of [
      "https://app.example",
      "HTTPS://APP.EXAMPLE",
      "http://localhost:3000",
      listed.url,
    ]) {
      assert.ok("opened" in (await upgrade(listed, origin)), `${origin} opens`);
    }
    for (const origin of ["https://app.example:8443", "http://app.example", "https://evil.example"]) {
      const outcome = await upgrade(listed, origin);
      assert.ok("status" in outcome && outcome.status === 403, `${origin} is refused`);
    }
  });

  it('"*" allows any origin', async () => {
    for (const origin of ["https://anything.example", "null"]) {
      assert.ok("opened" in (await upgrade(anyOrigin, origin)), `${origin} opens`);
    }
  });

  it("the origin is checked before the key and the handshake hook", async () => {
    let asked = 0;
    const hooked = await listeningNode({
      handshake: () => {
        asked++;
        return true;
      },
    });
    const outcome = await tryUpgrade(hooked.wsUrl, "/websocket/json/west", {
      origin: "https://evil.example",
    });
    assert.ok("status" in outcome && outcome.status === 403);
    assert.equal(asked, 0);
  });
});

describe("allowedOrigins in a real browser", { skip: skipWithoutBrowser() }, async () => {
  const pageNode = await listeningNode();
  const strict = await listeningNode();
  const welcoming = await listeningNode({ allowedOrigins: [pageNode.url as string] });
  const browser = await launchBrowser();

  /** Whether a page served by `pageNode` can open a WebSocket to `wsUrl`: the browser sends its Origin. */
  async function opensFromPage(wsUrl: string): Promise<boolean> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(pageNode.url as string);
      return await page.evaluate(
        (url) =>
          new Promise<boolean>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => {
              ws.close();
              resolve(true);
            };
            ws.onerror = () => resolve(false);
          }),
        `${wsUrl}/websocket/json/from-page`,
      );
    } finally {
      await context.close();
    }
  }

  it("a page may open a WebSocket to its own node, not to another node unless that one lists its origin", async () => {
    assert.equal(await opensFromPage(pageNode.wsUrl), true, "same origin");
    assert.equal(await opensFromPage(strict.wsUrl), false, "another origin, not listed");
    assert.equal(await opensFromPage(welcoming.wsUrl), true, "another origin, listed");
  });
});

describe("refused upgrades and handshakeTimeoutMs", async () => {
  it("200 refused upgrades whose clients never close their side are dropped within seconds; a WebSocket client keeps working throughout", async () => {
    const node = await listeningNode();
    const port = node.port as number;
    const steady = await protocolClient(node.wsUrl, "json", "steady");
    const refusals: [string, Record<string, string>, number][] = [
      ["/websocket/json/a%20b", {}, 400],
      ["/websocket/xml/alice", {}, 404],
      ["/websocket/json", {}, 404],
      ["/websocket/pb/bob", { "Sec-WebSocket-Key": "not a key" }, 400],
    ];
    const started = Date.now();
    const upgrades = Array.from({ length: 200 }, (_, i) => {
      const [path, headers, status] = refusals[i % refusals.length] as (typeof refusals)[number];
      return { upgrade: rawUpgrade(port, path, headers), status };
    });
    for (const { upgrade, status } of upgrades) {
      assert.match(await upgrade.response, new RegExp(`^HTTP/1\\.1 ${status} `));
    }
    await answersPing(steady);
    let pinging = true;
    const pings = (async () => {
      while (pinging) {
        await answersPing(steady);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await Promise.all(upgrades.map(({ upgrade }) => upgrade.dropped(5000)));
    } finally {
      pinging = false;
      await pings;
    }
    assert.ok(Date.now() - started < 6000, `dropped after ${Date.now() - started} ms`);
    await othersUnaffected(node, "after-refusals");
  });

  it("a handshake hook that never answers: 503 after handshakeTimeoutMs with a body saying why; its late answer opens nothing", async () => {
    const log = capturingLogger();
    let lateAnswered = false;
    const node = await listeningNode({
      handshakeTimeoutMs: 300,
      logger: log.logger,
      handshake: (request) => {
        if (request.url?.includes("never")) return new Promise(() => undefined);
        if (!request.url?.includes("late")) return true;
        return new Promise((resolve) =>
          setTimeout(() => {
            lateAnswered = true;
            resolve(true);
          }, 600),
        );
      },
    });
    for (const key of ["never", "late"]) {
      const started = Date.now();
      const outcome = await tryUpgrade(node.wsUrl, `/websocket/json/${key}`);
      const elapsed = Date.now() - started;
      assert.ok("status" in outcome, `${key}: no socket opens`);
      assert.equal(outcome.status, 503, key);
      assert.match(
        outcome.body,
        /not decided within 300 ms: waiting for the token check and the handshake hook/,
      );
      assert.ok(elapsed >= 290 && elapsed < 3000, `${key}: refused after ${elapsed} ms`);
    }
    while (!lateAnswered) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      log.lines.filter((line) => line.msg === "connected" || line.msg === "upgrade failed"),
      [],
      "the late true opened no socket",
    );
    assert.ok("opened" in (await tryUpgrade(node.wsUrl, "/websocket/json/prompt")), "a prompt hook opens");
  });

  it("a refused-for-time upgrade whose client never closes is dropped too", async () => {
    const node = await listeningNode({
      handshakeTimeoutMs: 200,
      handshake: () => new Promise(() => undefined),
    });
    const upgrade = rawUpgrade(node.port as number, "/websocket/text/stuck");
    assert.match(await upgrade.response, /^HTTP\/1\.1 503 /);
    await upgrade.dropped(3000);
  });

  it("an upgrade while the node is still joining its distribution layer gets 503 after handshakeTimeoutMs", async () => {
    const port = await osFreePort();
    let join: () => void = () => undefined;
    const starting = startWest({
      port,
      logLevel: "silent",
      handshakeTimeoutMs: 300,
      adapter: (context) => new Promise<Adapter>((resolve) => (join = () => resolve(localAdapter(context)))),
    });
    const wsUrl = `ws://127.0.0.1:${port}`;
    let health: HttpAnswer | undefined;
    for (let tries = 0; health === undefined && tries < 100; tries++) {
      health = await httpGet(`http://127.0.0.1:${port}`, "/healthz").catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return undefined;
      });
    }
    assert.equal(health?.status, 503, "listening, not ready");
    const outcome = await tryUpgrade(wsUrl, "/websocket/json/early");
    assert.ok("status" in outcome && outcome.status === 503, JSON.stringify(outcome));
    assert.match(
      outcome.body,
      /not decided within 300 ms: waiting for the node to join its distribution layer/,
    );
    join();
    const node = await starting;
    after(() => node.stop());
    assert.ok(
      "opened" in (await tryUpgrade(wsUrl, "/websocket/json/on-time")),
      "opens once the node is ready",
    );
  });
});
