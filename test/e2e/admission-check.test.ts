import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { capturingLogger } from "../helpers/log-capture.js";
import { TEST_SECRET, token } from "../helpers/tokens.js";
import { listeningNode, tryUpgrade } from "../helpers/ws-client.js";

/** What a plain GET (no Upgrade header) of `path` answers, with the CORS header. */
async function check(baseUrl: string, path: string, headers: Record<string, string> = {}, method = "GET") {
  const response = await fetch(`${baseUrl}${path}`, { method, headers });
  return {
    status: response.status,
    body: await response.text(),
    allowOrigin: response.headers.get("access-control-allow-origin"),
    cacheControl: response.headers.get("cache-control"),
  };
}

/** The check answers what the upgrade of the same URL gets: its refusal, or 200 where the socket opens. */
async function sameAsUpgrade(node: { url?: string; wsUrl: string }, path: string, expectedStatus: number) {
  const upgrade = await tryUpgrade(node.wsUrl, path);
  const answer = await check(node.url as string, path);
  if ("opened" in upgrade) {
    upgrade.opened.ws.close();
    assert.equal(answer.status, 200, path);
    assert.match(answer.body, /^admitted/);
  } else {
    assert.deepEqual({ status: answer.status, body: answer.body }, upgrade, path);
  }
  assert.equal(answer.status, expectedStatus, path);
  assert.equal(answer.cacheControl, "no-store");
}

describe("a plain GET of an upgrade URL answers what the upgrade would get (admission check)", async () => {
  describe("auth off", async () => {
    const node = await listeningNode();

    it("200 for a valid key, 400 for an invalid one, 404 for no key or no such endpoint, with the upgrade's body", async () => {
      await sameAsUpgrade(node, "/websocket/json/alice", 200);
      await sameAsUpgrade(node, "/websocket/pb/alice?protocol=pb", 200);
      await sameAsUpgrade(node, "/websocket/json/a%20b", 400);
      await sameAsUpgrade(node, "/websocket/text/west", 400);
      await sameAsUpgrade(node, "/websocket/json/%E0%A4%A", 400);
      await sameAsUpgrade(node, "/websocket/json/", 404);
      await sameAsUpgrade(node, "/websocket/xml/alice", 404);
      await sameAsUpgrade(node, "/websocket", 404);
    });

    it("HEAD answers the status without a body; other methods 405", async () => {
      const head = await check(node.url as string, "/websocket/json/a%20b", {}, "HEAD");
      assert.deepEqual([head.status, head.body], [400, ""]);
      const post = await check(node.url as string, "/websocket/json/alice", {}, "POST");
      assert.equal(post.status, 405);
    });

    it("the web client is still served beside it", async () => {
      const page = await check(node.url as string, "/");
      assert.equal(page.status, 200);
      assert.match(page.body, /WEST-TS web client/);
    });
  });

  describe("auth on", async () => {
    const log = capturingLogger();
    const node = await listeningNode({ auth: { jwtSecret: TEST_SECRET }, logger: log.logger });
    const alice = await token(TEST_SECRET, { sub: "alice" });

    it("200 with the token; 401 missing, invalid or expired token; 403 a key that is not the token's subject", async () => {
      const expired = await token(TEST_SECRET, { sub: "alice", expiresIn: -10 });
      const forged = await token("another secret that is 32 bytes long", { sub: "alice" });
      await sameAsUpgrade(node, `/websocket/json/alice?token=${alice}`, 200);
      await sameAsUpgrade(node, `/websocket/text?token=${alice}`, 200);
      await sameAsUpgrade(node, "/websocket/json/alice", 401);
      await sameAsUpgrade(node, `/websocket/json/alice?token=${forged}`, 401);
      await sameAsUpgrade(node, `/websocket/json/alice?token=${expired}`, 401);
      await sameAsUpgrade(node, `/websocket/json/mallory?token=${alice}`, 403);
      await sameAsUpgrade(node, `/websocket/json/a%20b?token=${alice}`, 400);
    });

    it("a token in an Authorization: Bearer header is checked as on the upgrade", async () => {
      const answer = await check(node.url as string, "/websocket/json/alice", {
        authorization: `Bearer ${alice}`,
      });
      assert.equal(answer.status, 200);
    });

    it("refused checks are logged without the token, as auth failures are", async () => {
      const lines = log.lines.filter((line) => line.msg === "admission check refused");
      assert.ok(lines.length >= 3);
      assert.ok(lines.some((line) => String(line.url).includes("token=hidden")));
      assert.doesNotMatch(log.text(), /eyJ/, "a JWT starts with eyJ");
    });
  });

  describe("origins", async () => {
    const node = await listeningNode({ allowedOrigins: ["http://allowed.example"] });

    it("a foreign origin gets the upgrade's 403 and nothing about its key, readable by its page", async () => {
      for (const path of ["/websocket/json/alice", "/websocket/json/a%20b", "/websocket/xml"]) {
        const answer = await check(node.url as string, path, { origin: "http://foreign.example" });
        assert.deepEqual([answer.status, answer.body], [403, "origin not allowed\n"], path);
        assert.equal(answer.allowOrigin, "http://foreign.example");
        const upgrade = await tryUpgrade(node.wsUrl, path, { headers: { origin: "http://foreign.example" } });
        assert.deepEqual(upgrade, { status: 403, body: "origin not allowed\n" });
      }
    });

    it("an allowed origin and the node's own origin get the decision itself", async () => {
      const allowed = await check(node.url as string, "/websocket/json/a%20b", {
        origin: "http://allowed.example",
      });
      assert.equal(allowed.status, 400);
      assert.equal(allowed.allowOrigin, "http://allowed.example");
      const own = await check(node.url as string, "/websocket/json/alice", { origin: node.url as string });
      assert.equal(own.status, 200);
    });
  });
});
