import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JWTPayload } from "jose";
import type { RedisServer } from "../../src/devrel/redis-servers.js";
import { type PermissionsConfig, type Reason, startWest, type WestNode } from "../../src/index.js";
import type { WestOptions } from "../../src/options.js";
import { PROTOCOL_NAMES, type ProtocolName } from "../../src/protocols/codec.js";
import { Inbox } from "../cluster/three-nodes.js";
import { startWestProcess } from "../helpers/cli-process.js";
import { capturingLogger } from "../helpers/log-capture.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { TEST_SECRET, token } from "../helpers/tokens.js";
import {
  connect,
  decodeFrame,
  listeningNode,
  ProtocolClient,
  type WireMessage,
} from "../helpers/ws-client.js";

const PERMISSIONS: PermissionsConfig = {
  default: "deny",
  rules: [
    { actions: ["register", "subscribe"], channels: "user.{key}.*" },
    { actions: ["send"], channels: "user.*.inbox" },
    { actions: ["subscribe"], channels: "news.*" },
    { actions: ["publish"], channels: "news.*", keys: ["editor"] },
    { actions: ["subscribe", "publish"], channels: "team.{claims.team}.*", claims: { role: "member" } },
  ],
};

type Node = WestNode & { wsUrl: string };

/** A client of `protocol` whose token (as ?token=) says `sub` and `claims`. */
async function authed(node: Node, protocol: ProtocolName, sub: string, claims: JWTPayload = {}) {
  const jwt = await token(TEST_SECRET, { sub, claims, expiresIn: 600 });
  return new ProtocolClient(await connect(node.wsUrl, protocol, sub, `?token=${jwt}`), protocol, sub);
}

const DENIED: Reason = "not allowed by the channel permissions";

let ids = 0;
/**
 * Sends `command` with a fresh id and checks the reply's event, channel, id and reason (permission_denied's by
 * default); the text protocol's frame for frame (no id, no reason).
 */
async function answers(
  client: ProtocolClient,
  command: { event: string; channel: string; data?: string },
  event: string,
  reason: Reason | undefined = event === "permission_denied" ? DENIED : undefined,
): Promise<void> {
  const id = `p${++ids}`;
  client.command({ ...command, id });
  const frame = await client.socket.take();
  const what = `${client.key}: ${command.event} ${command.channel}`;
  if (client.protocol === "text") return assert.equal(frame, `west ${command.channel}:${event}`, what);
  const expected: WireMessage = { event, from: "west", channel: command.channel, id };
  if (reason !== undefined) expected.reason = reason;
  assert.deepEqual(decodeFrame(client.protocol, frame), expected, what);
}

/** Nothing was delivered to `client` before this point: its next frame is the answer to a ping. */
async function receivedNothing(client: ProtocolClient): Promise<void> {
  assert.equal((await client.request({ event: "ping" })).event, "pong");
}

describe("permissions with tokens, one node", async () => {
  const log = capturingLogger();
  const node = await listeningNode({
    auth: { jwtSecret: TEST_SECRET },
    permissions: PERMISSIONS,
    logger: log.logger,
  });

  it("personal channels with {key}: a client registers its own, not another's, which stays free", async () => {
    const alice = await authed(node, "json", "alice");
    const bob = await authed(node, "text", "bob");
    await answers(alice, { event: "register", channel: "user.alice.inbox" }, "registration_succeeded");
    await answers(alice, { event: "register", channel: "user.bob.inbox" }, "permission_denied");
    await answers(alice, { event: "subscribe", channel: "user.bob.feed" }, "permission_denied");
    await answers(bob, { event: "register", channel: "user.bob.inbox" }, "registration_succeeded");
    await answers(alice, { event: "send", channel: "user.bob.inbox", data: "hi bob" }, "sending_succeeded");
    assert.deepEqual(await bob.take(), {
      event: "new_message",
      from: "alice",
      channel: "user.bob.inbox",
      data: "hi bob",
    });
    await answers(alice, { event: "send", channel: "user.bob.feed", data: "x" }, "permission_denied");
  });

  for (const protocol of PROTOCOL_NAMES) {
    it(`${protocol}: a denied command is answered permission_denied with its channel and id, and not executed`, async () => {
      const reader = await authed(node, "json", `reader-${protocol}`);
      await answers(reader, { event: "subscribe", channel: `news.${protocol}` }, "subscription_succeeded");
      const guest = await authed(node, protocol, `guest-${protocol}`);
      await answers(
        guest,
        { event: "publish", channel: `news.${protocol}`, data: "fake news" },
        "permission_denied",
      );
      await answers(guest, { event: "register", channel: `news.${protocol}` }, "permission_denied");
      await answers(guest, { event: "subscribe", channel: "team.red.chat" }, "permission_denied");
      const editor = await authed(node, "json", "editor");
      await answers(
        editor,
        { event: "publish", channel: `news.${protocol}`, data: "real" },
        "publication_succeeded",
      );
      const first = await reader.take();
      assert.equal(first.from, "editor", "the guest's publish reached nobody");
    });
  }

  it("claims rules: members of a team use their team's channels, not another team's, not without the role", async () => {
    const red = await authed(node, "pb", "r1", { team: "red", role: "member" });
    const redToo = await authed(node, "json", "r2", { team: "red", role: ["lead", "member"] });
    const redGuest = await authed(node, "json", "r3", { team: "red", role: "guest" });
    const blue = await authed(node, "json", "b1", { team: "blue", role: "member" });
    await answers(redToo, { event: "subscribe", channel: "team.red.chat" }, "subscription_succeeded");
    await answers(blue, { event: "subscribe", channel: "team.red.chat" }, "permission_denied");
    await answers(redGuest, { event: "subscribe", channel: "team.red.chat" }, "permission_denied");
    await answers(blue, { event: "publish", channel: "team.red.chat", data: "psst" }, "permission_denied");
    await answers(red, { event: "publish", channel: "team.red.chat", data: "go" }, "publication_succeeded");
    assert.deepEqual(await redToo.take(), {
      event: "new_message",
      from: "r1",
      channel: "team.red.chat",
      data: "go",
    });
    await receivedNothing(blue);
    await receivedNothing(redGuest);
  });

  it("unregister, unsubscribe and ping are always allowed", async () => {
    const guest = await authed(node, "json", "nobody");
    await answers(guest, { event: "unsubscribe", channel: "secret" }, "subscription_not_found");
    await answers(guest, { event: "unregister", channel: "secret" }, "registration_not_found");
    await receivedNothing(guest);
  });

  it("an invalid channel name is answered *_failed, as without permissions", async () => {
    const guest = await authed(node, "json", "sloppy");
    await answers(
      guest,
      { event: "register", channel: "a b" },
      "registration_failed",
      "channel name contains whitespace",
    );
    await answers(guest, { event: "publish", channel: "" }, "publication_failed", "channel name is empty");
  });

  it("each denial is logged at info with the key, command and channel", () => {
    const denials = log.lines.filter((line) => line.msg === "permission denied");
    assert.ok(denials.length > 0);
    assert.ok(
      denials.some(
        (line) => line.key === "alice" && line.event === "register" && line.channel === "user.bob.inbox",
      ),
    );
    assert.ok(denials.every((line) => line.level === 30));
  });

  it("native clients: a trusted one is not bound by the rules; an untrusted one is, with the claims it is given", async () => {
    const reader = await authed(node, "json", "native-reader");
    await answers(reader, { event: "subscribe", channel: "news.native" }, "subscription_succeeded");
    const service = node.client("service", undefined, { trusted: true });
    assert.equal((await service.pub("news.native", "from the service")).event, "publication_succeeded");
    assert.equal((await service.reg("user.bob.anything")).event, "registration_succeeded");
    assert.deepEqual(await reader.take(), {
      event: "new_message",
      from: "service",
      channel: "news.native",
      data: "from the service",
    });
    const plain = node.client("plain");
    assert.deepEqual(await plain.pub("news.native", "nope"), {
      event: "permission_denied",
      from: "west",
      channel: "news.native",
      reason: DENIED,
    });
    assert.equal((await plain.reg("user.plain.inbox")).event, "registration_succeeded");
    const member = node.client("m", undefined, { claims: { team: "green", role: "member" } });
    assert.equal((await member.pub("team.green.x", "ok")).event, "publication_succeeded");
    assert.equal((await member.pub("team.red.x", "no")).event, "permission_denied");
    await receivedNothing(reader);
  });
});

describe("permissions without tokens: keys from the URL, default allow", async () => {
  const node = await listeningNode({
    permissions: {
      default: "allow",
      rules: [
        { actions: ["publish"], channels: "system.>", keys: ["admin"] },
        { actions: ["register", "send", "subscribe", "publish"], channels: "system.>", effect: "deny" },
      ],
    },
  });

  it("what no rule denies is allowed; a deny rule refuses, after an allow rule for one key", async () => {
    const user = new ProtocolClient(await connect(node.wsUrl, "json", "user"), "json", "user");
    const admin = new ProtocolClient(await connect(node.wsUrl, "text", "admin"), "text", "admin");
    await answers(user, { event: "publish", channel: "chat", data: "hello" }, "publication_succeeded");
    await answers(user, { event: "subscribe", channel: "chat" }, "subscription_succeeded");
    await answers(user, { event: "subscribe", channel: "system.log" }, "permission_denied");
    await answers(user, { event: "publish", channel: "system.reboot", data: "now" }, "permission_denied");
    await answers(
      admin,
      { event: "publish", channel: "system.reboot", data: "now" },
      "publication_succeeded",
    );
    await answers(admin, { event: "register", channel: "system.admin" }, "permission_denied");
  });
});

describe("permissions in Redis mode: checked on each node before anything reaches Redis", {
  skip: skipWithoutRedis(),
}, () => {
  let redis: RedisServer;
  let a: Node;
  let b: Node;
  const nodes: WestNode[] = [];
  const start = async (options: WestOptions): Promise<Node> => {
    const node = await startWest({ port: 0, logLevel: "silent", ...options });
    nodes.push(node);
    return Object.assign(node, { wsUrl: (node.url as string).replace(/^http/, "ws") });
  };
  before(async () => {
    redis = await redisServer();
    const options: WestOptions = {
      auth: { jwtSecret: TEST_SECRET },
      permissions: PERMISSIONS,
      dist: "redis",
      redis: { url: redis.url },
    };
    [a, b] = await Promise.all([start(options), start(options)]);
  });
  // Started in a hook, so stopped here: `after` inside `before` would run at the hook's end.
  after(() => Promise.all(nodes.map((node) => node.stop())));

  it("a denied register claims nothing: the owner registers it on the other node; allowed sends cross nodes", async () => {
    const alice = await authed(a, "json", "alice");
    const bob = await authed(b, "pb", "bob");
    await answers(alice, { event: "register", channel: "user.bob.inbox" }, "permission_denied");
    await answers(bob, { event: "register", channel: "user.bob.inbox" }, "registration_succeeded");
    await answers(alice, { event: "send", channel: "user.bob.inbox", data: "across" }, "sending_succeeded");
    const delivery = await bob.take();
    assert.equal(delivery.from, "alice");
    assert.equal(String(delivery.data), "across");
  });

  it("publish: denied for a guest on one node, allowed for the editor on the other, delivered across", async () => {
    const listener = new Inbox(b, "listener");
    assert.equal((await listener.client.sub("news.redis")).event, "subscription_succeeded");
    const guest = await authed(a, "text", "guest");
    await answers(guest, { event: "publish", channel: "news.redis", data: "fake" }, "permission_denied");
    assert.equal((await a.client("plain").pub("news.redis", "fake")).event, "permission_denied");
    const editor = await authed(a, "json", "editor");
    await answers(editor, { event: "publish", channel: "news.redis", data: "real" }, "publication_succeeded");
    const trusted = a.client("service", undefined, { trusted: true });
    assert.equal((await trusted.pub("news.redis", "trusted")).event, "publication_succeeded");
    assert.deepEqual(await listener.waitFor("news.redis", 2), ["real", "trusted"]);
  });
});

describe("permissions and auth from the command line", () => {
  it("WEST_AUTH_JWT_SECRET turns auth on and the config file's rules apply", async () => {
    const dir = await mkdtemp(join(tmpdir(), "west-permissions-"));
    after(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, "west.json");
    await writeFile(config, JSON.stringify({ port: 0, permissions: PERMISSIONS }));
    const { west, port } = await startWestProcess(["--config", config], {
      env: { WEST_AUTH_JWT_SECRET: TEST_SECRET },
    });
    const node = { wsUrl: `ws://127.0.0.1:${port}` } as Node;
    await assert.rejects(connect(node.wsUrl, "json", "alice"), /upgrade refused: 401/);
    const alice = await authed(node, "json", "alice");
    await answers(alice, { event: "register", channel: "user.alice.inbox" }, "registration_succeeded");
    await answers(alice, { event: "publish", channel: "news.cli", data: "x" }, "permission_denied");
    west.signal("SIGTERM");
    assert.equal(await west.exitCode(), 0);
  });
});
