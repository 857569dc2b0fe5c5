import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import WebSocket from "ws";
import { ConfigError } from "../../src/config.js";
import { startWest } from "../../src/index.js";
import type { VerifiedIdentity } from "../../src/options.js";
import { capturingLogger } from "../helpers/log-capture.js";
import { rawUpgrade } from "../helpers/raw-upgrade.js";
import { sample, scrape } from "../helpers/scrape.js";
import { TEST_SECRET, token } from "../helpers/tokens.js";
import {
  connect,
  listeningNode,
  ProtocolClient,
  TestSocket,
  tryUpgrade,
  type UpgradeOutcome,
} from "../helpers/ws-client.js";

const opened = (outcome: UpgradeOutcome): TestSocket => {
  assert.ok("opened" in outcome, `expected the socket to open, got ${JSON.stringify(outcome)}`);
  return outcome.opened;
};

async function answersPing(socket: TestSocket): Promise<void> {
  socket.send('{"event":"ping","id":1}');
  assert.deepEqual(JSON.parse((await socket.take()) as string), { event: "pong", from: "west", id: 1 });
}

describe("auth with a shared secret (HS256)", async () => {
  const log = capturingLogger();
  const node = await listeningNode({ auth: { jwtSecret: TEST_SECRET }, logger: log.logger });
  const refusal = async (path: string, headers: Record<string, string> = {}) => {
    const outcome = await tryUpgrade(node.wsUrl, path, { headers });
    assert.ok("status" in outcome, `${path} must be refused`);
    return outcome;
  };
  const failures = () => log.lines.filter((line) => line.msg === "auth failure").map((line) => line.reason);

  it("a ?token= opens /websocket/json with no key, with a trailing slash, and with the key equal to sub", async () => {
    const alice = await token(TEST_SECRET, { sub: "alice", expiresIn: 60 });
    for (const path of ["/websocket/json", "/websocket/json/", "/websocket/json/alice"]) {
      await answersPing(opened(await tryUpgrade(node.wsUrl, `${path}?token=${alice}`)));
    }
  });

  it("an Authorization: Bearer header opens it too", async () => {
    const bob = await token(TEST_SECRET, { sub: "bob", expiresIn: 60 });
    const outcome = await tryUpgrade(node.wsUrl, "/websocket/json", {
      headers: { Authorization: `Bearer ${bob}` },
    });
    await answersPing(opened(outcome));
  });

  it("the token's sub becomes `from` of what the client sends, on every protocol", async () => {
    const listener = new ProtocolClient(
      await connect(
        node.wsUrl,
        "json",
        "listener",
        `?token=${await token(TEST_SECRET, { sub: "listener" })}`,
      ),
      "json",
      "listener",
    );
    assert.equal(
      await listener.event({ event: "subscribe", channel: "auth-news" }),
      "subscription_succeeded",
    );
    const carol = await token(TEST_SECRET, { sub: "carol", expiresIn: 60 });
    const text = opened(
      await tryUpgrade(node.wsUrl, "/websocket/text", { headers: { authorization: `bearer ${carol}` } }),
    );
    text.send('pub auth-news "from carol"');
    assert.equal(await text.take(), "west auth-news:publication_succeeded");
    assert.deepEqual(await listener.take(), {
      event: "new_message",
      from: "carol",
      channel: "auth-news",
      data: "from carol",
    });
  });

  it("no token: 401, logged as auth failure `missing`", async () => {
    const outcome = await refusal("/websocket/json/alice");
    assert.equal(outcome.status, 401);
    assert.match(outcome.body, /missing token/);
    assert.equal((await refusal("/websocket/json?token=")).status, 401);
    assert.equal((await refusal("/websocket/json", { Authorization: "Basic YTpi" })).status, 401);
    assert.deepEqual(failures().slice(-3), ["missing", "missing", "missing"]);
  });

  it("a bad signature, a garbage token, alg none, a bad or missing sub: 401 invalid", async () => {
    const tokens = [
      await token("another secret that is 32 bytes long", { sub: "alice" }),
      "not.a.token",
      // alg "none": header {"alg":"none"}, payload {"sub":"alice"}, no signature.
      `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"alice"}').toString("base64url")}.`,
      await token(TEST_SECRET, {}),
      await token(TEST_SECRET, { sub: "west" }),
      await token(TEST_SECRET, { sub: "two words" }),
      await token(TEST_SECRET, { sub: "ali\u202Ece" }),
      await token(TEST_SECRET, { sub: "" }),
    ];
    const before = failures().length;
    for (const bad of tokens) {
      const outcome = await refusal(`/websocket/json?token=${bad}`);
      assert.deepEqual(outcome, { status: 401, body: "invalid token\n" }, bad);
    }
    assert.deepEqual(
      failures().slice(before),
      tokens.map(() => "invalid"),
    );
  });

  it("an expired token: 401 expired", async () => {
    const old = await token(TEST_SECRET, { sub: "alice", expiresIn: -10 });
    assert.deepEqual(await refusal(`/websocket/json?token=${old}`), { status: 401, body: "token expired\n" });
    assert.equal(failures().at(-1), "expired");
  });

  it("a URL key other than the token's sub: 403 key_mismatch", async () => {
    const alice = await token(TEST_SECRET, { sub: "alice" });
    const outcome = await refusal(`/websocket/pb/mallory?token=${alice}`);
    assert.equal(outcome.status, 403);
    assert.equal(failures().at(-1), "key_mismatch");
  });

  it("a bad path or key is still refused as without auth", async () => {
    const alice = await token(TEST_SECRET, { sub: "alice" });
    assert.equal((await refusal(`/websocket/xml?token=${alice}`)).status, 404);
    assert.equal((await refusal(`/websocket/json/a%20b?token=${alice}`)).status, 400);
  });

  it("log lines never show a token", async () => {
    assert.ok(log.lines.some((line) => line.msg === "upgrade refused"));
    assert.doesNotMatch(log.text(), /eyJ/, "a JWT starts with eyJ");
  });

  it("at the token's exp the server closes the socket with 1008 `token expired`", async () => {
    const soon = await token(TEST_SECRET, { sub: "short-lived", expiresIn: 2 });
    const ws = new WebSocket(`${node.wsUrl}/websocket/json?token=${soon}`);
    const closed = new Promise<[number, string]>((resolve) =>
      ws.on("close", (code, reason) => resolve([code, reason.toString()])),
    );
    const socket = new TestSocket(ws);
    await new Promise((resolve) => ws.once("open", resolve));
    await answersPing(socket);
    const started = Date.now();
    assert.deepEqual(await closed, [1008, "token expired"]);
    assert.ok(Date.now() - started < 5000);
  });

  it("a token that expires beyond a timer's range (2^31 ms) does not close the socket early", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    after(() => process.off("warning", onWarning));
    const far = await token(TEST_SECRET, { sub: "long-lived", expiresIn: 60 * 24 * 3600 });
    const socket = opened(await tryUpgrade(node.wsUrl, `/websocket/json?token=${far}`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await answersPing(socket);
    assert.equal(socket.closeCode, undefined);
    assert.deepEqual(warnings, [], "no TimeoutOverflowWarning: the delay was clamped");
  });
});

describe("auth: a token must have an exp unless auth.requireExp is false", async () => {
  const log = capturingLogger();
  const strict = await listeningNode({ auth: { jwtSecret: TEST_SECRET }, logger: log.logger });
  const lenient = await listeningNode({ auth: { jwtSecret: TEST_SECRET, requireExp: false } });
  const forever = await token(TEST_SECRET, { sub: "forever", expiresIn: null });

  it("by default a token without exp is refused with 401 invalid token, counted and logged as invalid: exp missing", async () => {
    const before = sample(await scrape(strict.url as string), 'west_auth_failures_total{reason="invalid"}');
    assert.deepEqual(await tryUpgrade(strict.wsUrl, `/websocket/json?token=${forever}`), {
      status: 401,
      body: "invalid token\n",
    });
    const after = sample(await scrape(strict.url as string), 'west_auth_failures_total{reason="invalid"}');
    assert.equal(after, before + 1);
    const line = log.lines.filter((entry) => entry.msg === "auth failure").at(-1);
    assert.equal(line?.reason, "invalid");
    assert.match(String(line?.detail), /exp.*missing/);
    // The same token with an exp opens.
    const bounded = await token(TEST_SECRET, { sub: "forever", expiresIn: 60 });
    await answersPing(opened(await tryUpgrade(strict.wsUrl, `/websocket/json?token=${bounded}`)));
  });

  it("with auth.requireExp false it opens and stays open", async () => {
    const socket = opened(await tryUpgrade(lenient.wsUrl, `/websocket/json?token=${forever}`));
    await answersPing(socket);
    assert.equal(socket.closeCode, undefined);
    const old = await token(TEST_SECRET, { sub: "forever", expiresIn: -10 });
    assert.deepEqual(await tryUpgrade(lenient.wsUrl, `/websocket/json?token=${old}`), {
      status: 401,
      body: "token expired\n",
    });
  });
});

describe("auth with public keys", () => {
  for (const alg of ["RS256", "ES256"] as const) {
    it(`${alg}: a token signed with the private key opens; another key's, or an HS256 one made with the public PEM, does not`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg);
      const pem = await exportSPKI(publicKey);
      const node = await listeningNode({ auth: { jwtPublicKey: pem } });
      const good = await token(privateKey, { sub: "alice", alg, expiresIn: 60 });
      await answersPing(opened(await tryUpgrade(node.wsUrl, `/websocket/json?token=${good}`)));

      const stranger = (await generateKeyPair(alg)).privateKey;
      const forged = [
        await token(stranger, { sub: "alice", alg }),
        // Algorithm confusion: an HMAC signature keyed with the (public) PEM text.
        await token(pem, { sub: "alice", alg: "HS256" }),
      ];
      for (const bad of forged) {
        assert.deepEqual(await tryUpgrade(node.wsUrl, `/websocket/json?token=${bad}`), {
          status: 401,
          body: "invalid token\n",
        });
      }
    });
  }

  it("the public key from a PEM file (auth.jwtPublicKeyFile)", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const dir = await mkdtemp(join(tmpdir(), "west-auth-"));
    after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "public.pem");
    await writeFile(path, await exportSPKI(publicKey));
    const node = await listeningNode({ auth: { jwtPublicKeyFile: path } });
    const good = await token(privateKey, { sub: "filed", alg: "ES256" });
    await answersPing(opened(await tryUpgrade(node.wsUrl, `/websocket/json?token=${good}`)));
  });

  it("auth.algorithms restricts the accepted algorithms", async () => {
    // A Node KeyObject, unlike a WebCrypto key, may sign with both RSA algorithms.
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const node = await listeningNode({ auth: { jwtPublicKey: pem, algorithms: ["PS256"] } });
    const rs = await token(privateKey, { sub: "alice", alg: "RS256" });
    assert.deepEqual(await tryUpgrade(node.wsUrl, `/websocket/json?token=${rs}`), {
      status: 401,
      body: "invalid token\n",
    });
    const ps = await token(privateKey, { sub: "alice", alg: "PS256" });
    opened(await tryUpgrade(node.wsUrl, `/websocket/json?token=${ps}`));
  });
});

describe("auth: issuer, audience and the handshake hook", async () => {
  const seen: (VerifiedIdentity | undefined)[] = [];
  const node = await listeningNode({
    auth: { jwtSecret: TEST_SECRET, issuer: "https://issuer.test", audience: "west" },
    handshake: (_request, identity) => {
      seen.push(identity);
      return identity?.claims.plan === "paid" || { status: 402, body: "pay first" };
    },
  });
  const upgrade = async (claims: Record<string, unknown>) =>
    tryUpgrade(node.wsUrl, `/websocket/json?token=${await token(TEST_SECRET, { sub: "dora", claims })}`);

  it("a token with the wrong or no issuer or audience is invalid, and the hook is not asked", async () => {
    for (const claims of [
      { iss: "https://other.test", aud: "west", plan: "paid" },
      { aud: "west", plan: "paid" },
      { iss: "https://issuer.test", aud: "other", plan: "paid" },
      { iss: "https://issuer.test", plan: "paid" },
    ]) {
      assert.deepEqual(
        await upgrade(claims),
        { status: 401, body: "invalid token\n" },
        JSON.stringify(claims),
      );
    }
    assert.equal(seen.length, 0);
  });

  it("a valid token goes on to the hook, which sees the verified key and claims", async () => {
    const valid = { iss: "https://issuer.test", aud: ["west", "others"] };
    opened(await upgrade({ ...valid, plan: "paid" }));
    assert.deepEqual(await upgrade({ ...valid, plan: "free" }), { status: 402, body: "pay first" });
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.key, "dora");
    assert.equal(seen[0]?.claims.plan, "paid");
  });
});

describe("auth: the node does not start with a bad auth config", () => {
  const refused = async (auth: object, fragment: string) =>
    assert.rejects(startWest({ port: false, logLevel: "silent", auth }), (error: Error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.ok(error.message.includes(fragment), error.message);
      assert.ok(!error.message.includes(TEST_SECRET), "the secret is never shown");
      return true;
    });

  it("two key options, a short secret, a bad PEM, a private key, algorithms that do not fit, a missing file", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const pem = await exportSPKI(publicKey);
    await refused(
      { jwtSecret: TEST_SECRET, jwtPublicKey: pem },
      "one of jwtSecret, jwtPublicKey, jwtPublicKeyFile",
    );
    await refused({ jwtSecret: "short" }, "at least 32 bytes");
    await refused(
      { jwtPublicKey: "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----" },
      "not a PEM public key",
    );
    await refused({ jwtPublicKey: await exportPKCS8(privateKey) }, "private key");
    await refused({ jwtPublicKey: pem, algorithms: ["RS256"] }, "auth.algorithms RS256");
    await refused({ jwtSecret: TEST_SECRET, algorithms: ["ES256"] }, "auth.algorithms ES256");
    await refused({ jwtPublicKeyFile: "/nonexistent/key.pem" }, "/nonexistent/key.pem");
  });

  it("a PEM with `\\n` escapes instead of newlines (as an env variable may hold it) is read", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const escaped = (await exportSPKI(publicKey)).replaceAll("\n", "\\n");
    const node = await listeningNode({ auth: { jwtPublicKey: escaped } });
    const good = await token(privateKey, { sub: "env", alg: "ES256" });
    opened(await tryUpgrade(node.wsUrl, `/websocket/json?token=${good}`));
  });
});

describe("auth: no log line shows a token, however its parameter name is encoded", async () => {
  const log = capturingLogger();
  const node = await listeningNode({
    auth: { jwtSecret: TEST_SECRET },
    maxConnections: 1,
    logger: log.logger,
  });
  const valid = await token(TEST_SECRET, { sub: "u2", expiresIn: 60 });
  const forged = await token("another secret that is 32 bytes long", { sub: "u2", expiresIn: 60 });
  const expired = await token(TEST_SECRET, { sub: "u2", expiresIn: -10 });
  // The one connection the node serves; any other that opens is closed with 1013 and logged.
  opened(await tryUpgrade(node.wsUrl, `/websocket/json?token=${await token(TEST_SECRET, { sub: "u1" })}`));

  /** The log lines that carry a URL, since `before`, and the secret parts (each signature) of `tokens`. */
  const urlsLogged = (before: number) =>
    log.lines.slice(before).flatMap((line) => (typeof line.url === "string" ? [line.url] : []));
  const assertHidden = (before: number, tokens: string[], what: string) => {
    const text = log.lines
      .slice(before)
      .map((line) => JSON.stringify(line))
      .join("\n");
    for (const secret of tokens) {
      assert.ok(!text.includes(secret), `${what}: the token appears in ${text}`);
      assert.ok(!text.includes(secret.split(".")[2] as string), `${what}: its signature appears in ${text}`);
    }
    const urls = urlsLogged(before);
    assert.ok(urls.length > 0, `${what}: the URL is logged`);
    for (const url of urls) assert.match(url, /token=hidden/, what);
  };

  const cases: [string, string, Record<string, string>, number][] = [
    ["a valid token under tok%65n, for another key", `/websocket/json/u3?tok%65n=${valid}`, {}, 403],
    ["a forged token under tok%65n", `/websocket/json/u2?tok%65n=${forged}`, {}, 401],
    ["an expired token under %74oken", `/websocket/text/u2?%74oken=${expired}`, {}, 401],
    [
      "a valid token under %74oken from a foreign Origin",
      `/websocket/json/u2?%74oken=${valid}`,
      { Origin: "https://evil.example" },
      403,
    ],
    [
      "a valid token under %74%6F%6B%65%6E, with a Bearer header that is forged",
      `/websocket/pb/u2?a=1&%74%6F%6B%65%6E=${valid}&b=2`,
      { Authorization: `Bearer ${forged}x` },
      401,
    ],
  ];
  for (const [what, path, headers, status] of cases) {
    it(`${what}: refused with ${status}, and the logged URL shows token=hidden`, async () => {
      const before = log.lines.length;
      const outcome = await tryUpgrade(node.wsUrl, path, { headers });
      assert.ok("status" in outcome && outcome.status === status, JSON.stringify(outcome));
      assertHidden(before, [valid, forged, expired], what);
    });
  }

  it("a second token parameter (token=A&tok%65n=B) is hidden as well as the first", async () => {
    const before = log.lines.length;
    const outcome = await tryUpgrade(node.wsUrl, `/websocket/json/u3?token=${valid}&tok%65n=${forged}`);
    assert.ok("status" in outcome && outcome.status === 403);
    assertHidden(before, [valid, forged], "two token parameters");
    assert.deepEqual(urlsLogged(before).at(-1), "/websocket/json/u3?token=hidden&token=hidden");
  });

  it("a URL that cannot be parsed (//[?token=...) is refused with 400, and its query is not logged", async () => {
    const before = log.lines.length;
    const upgrade = rawUpgrade(node.port as number, `//[?token=${valid}`);
    assert.match(await upgrade.response, /^HTTP\/1\.1 400 /);
    const text = log.lines.slice(before).map((line) => JSON.stringify(line));
    assert.ok(text.length > 0 && !text.join("\n").includes(valid), text.join("\n"));
  });

  it("an accepted token under tok%65n does not show in the connection limit's log line", async () => {
    const before = log.lines.length;
    const over = await tryUpgrade(node.wsUrl, `/websocket/json/u2?tok%65n=${valid}`);
    assert.ok("opened" in over, "the token is accepted");
    assert.equal(await over.opened.closedWith(), 1013);
    assertHidden(before, [valid], "connection limit");
  });
});
