import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWest, type WestNode } from "../../src/index.js";
import type { WestOptions } from "../../src/options.js";
import { capturingLogger } from "../helpers/log-capture.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { connect } from "../helpers/ws-client.js";

const PASSWORD = "a dashboard password";

/** A node on a free port, stopped when the test ends. */
async function node(options: WestOptions): Promise<WestNode> {
  const started = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent", ...options });
  after(() => started.stop());
  return started;
}

function signIn(base: string, password: string): Promise<Response> {
  return fetch(`${base}/admin/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ password }).toString(),
    redirect: "manual",
  });
}

/** The session cookie (name=value) of a successful sign-in. */
async function sessionCookie(base: string, password = PASSWORD): Promise<string> {
  const answer = await signIn(base, password);
  assert.equal(answer.status, 303);
  return (answer.headers.get("set-cookie") ?? "").split(";")[0] as string;
}

interface StreamEvent {
  event: string;
  data: unknown;
}

/** Reads the dashboard's stream until `wanted` accepts an event (or `timeoutMs` passes); the events read. */
async function readStream(
  base: string,
  cookie: string,
  wanted: (event: StreamEvent) => boolean,
  timeoutMs = 10_000,
): Promise<StreamEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const events: StreamEvent[] = [];
  try {
    const answer = await fetch(`${base}/admin/stream`, { headers: { cookie }, signal: abort.signal });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("content-type") ?? "", /^text\/event-stream/);
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      let end = text.indexOf("\n\n");
      while (end !== -1) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") as unknown;
        events.push({ event, data });
        if (wanted({ event, data })) return events;
        end = text.indexOf("\n\n");
      }
    }
    throw new Error("the stream ended");
  } catch (error) {
    if (abort.signal.aborted)
      throw new Error(`no wanted event in ${timeoutMs} ms: ${JSON.stringify(events)}`);
    throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

interface SnapshotShape {
  nodes: { nodeId: string; connections: number; byKind: Record<string, number>; ageMs: number }[];
  system: { connections: number; rates: { commands: number } };
}

const snapshot = (event: StreamEvent) => event.data as SnapshotShape;

describe("the admin dashboard on one node", () => {
  const log = capturingLogger();
  let west: WestNode;
  let base: string;
  before(async () => {
    west = await startWest({ port: 0, host: "127.0.0.1", admin: { password: PASSWORD }, logger: log.logger });
    base = west.url as string;
  });
  after(() => west.stop());

  it("shows the sign-in page and refuses the stream until the password is given", async () => {
    const redirect = await fetch(`${base}/admin`, { redirect: "manual" });
    assert.deepEqual([redirect.status, redirect.headers.get("location")], [303, "/admin/"]);
    const page = await fetch(`${base}/admin/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /name="password"/);
    assert.equal((await fetch(`${base}/admin/stream`)).status, 401);
  });

  it("refuses a wrong password with 401 and no cookie, and never logs a password", async () => {
    const wrong = await signIn(base, "not the password");
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get("set-cookie"), null);
    assert.match(await wrong.text(), /name="password"/);
    await sessionCookie(base);
    assert.ok(!log.text().includes(PASSWORD) && !log.text().includes("not the password"));
  });

  it("signs in with an HttpOnly, same-site cookie and serves the dashboard", async () => {
    const answer = await signIn(base, PASSWORD);
    const setCookie = answer.headers.get("set-cookie") ?? "";
    assert.match(
      setCookie,
      /^west_admin=[\w-]{40,}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    const cookie = setCookie.split(";")[0] as string;
    const page = await fetch(`${base}/admin/`, { headers: { cookie } });
    assert.match(await page.text(), /data-testid="nodes"/);
    assert.equal((await fetch(`${base}/admin/app.js`)).status, 200);
  });

  it("streams the node's figures each second: connections by protocol, and rates", async () => {
    const cookie = await sessionCookie(base);
    const socket = await connect(base.replace(/^http/, "ws"), "json", "watched");
    socket.send(JSON.stringify({ event: "ping", id: 1 }));
    await socket.next();
    const events = await readStream(
      base,
      cookie,
      (event) => event.event === "snapshot" && snapshot(event).system.connections === 1,
    );
    assert.equal(events[0]?.event, "history", "the history comes first");
    const last = snapshot(events.at(-1) as StreamEvent);
    assert.equal(last.nodes.length, 1);
    assert.deepEqual(last.nodes[0]?.byKind, { json: 1 });
    socket.ws.close();
  });

  it("acts only for a signed-in POST with the action header, as the HTTP API does", async () => {
    const cookie = await sessionCookie(base);
    const post = (action: string, headers: Record<string, string>, body = "{}") =>
      fetch(`${base}/admin/act/${action}`, { method: "POST", headers, body });
    assert.equal((await post("publish", { "x-west-admin": "1" })).status, 401);
    assert.equal((await post("publish", { cookie })).status, 400, "no action header: a cross-site form");
    assert.equal((await post("shutdown", { cookie, "x-west-admin": "1" })).status, 404);
    const published = await post("publish", { cookie, "x-west-admin": "1" }, '{"channel":"c","data":1}');
    assert.equal(published.status, 200);
    assert.equal(((await published.json()) as { event: string }).event, "publication_succeeded");
    const bad = await post("publish", { cookie, "x-west-admin": "1" }, '{"data":1}');
    assert.equal(((await bad.json()) as { event: string }).event, "publication_failed");
  });

  it("signing out ends the session", async () => {
    const cookie = await sessionCookie(base);
    const out = await fetch(`${base}/admin/logout`, {
      method: "POST",
      headers: { cookie },
      redirect: "manual",
    });
    assert.equal(out.status, 303);
    assert.equal((await fetch(`${base}/admin/stream`, { headers: { cookie } })).status, 401);
  });
});

describe("the admin dashboard is off without a password", () => {
  it("404 without admin.password nor api.key; api.key alone is the password", async () => {
    const off = await node({});
    assert.equal((await fetch(`${off.url}/admin/`)).status, 404);
    const keyed = await node({ api: { key: "the api key" } });
    assert.equal((await signIn(keyed.url as string, "the api key")).status, 303);
  });
});

describe("the admin dashboard shows every node of a system on Redis", { skip: skipWithoutRedis() }, () => {
  it("lists 3 nodes from any of them, and drops one that stops", async () => {
    const redis = await redisServer();
    const shared: WestOptions = {
      dist: "redis",
      redis: { url: redis.url, heartbeatTtlMs: 2000 },
      admin: { password: PASSWORD },
    };
    const [first, , third] = [await node(shared), await node(shared), await node(shared)];
    const base = (first as WestNode).url as string;
    const cookie = await sessionCookie(base);
    const three = await readStream(
      base,
      cookie,
      (event) => event.event === "snapshot" && snapshot(event).nodes.length === 3,
    );
    const urls = snapshot(three.at(-1) as StreamEvent).nodes.map((view) => (view as { url?: string }).url);
    assert.equal(new Set(urls).size, 3);
    await (third as WestNode).stop();
    await readStream(
      base,
      cookie,
      (event) => event.event === "snapshot" && snapshot(event).nodes.length === 2,
    );
  });
});
