import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Reply, WestNode } from "../../src/index.js";
import { startWest } from "../../src/index.js";
import type { RedisOptions } from "../../src/options.js";
import { startWestProcess } from "../helpers/cli-process.js";
import { type ProtocolClient, protocolClient } from "../helpers/ws-client.js";
import { eventually } from "./eventually.js";
import { Inbox } from "./three-nodes.js";

/** Where the nodes of a suite find Redis: as `west start` flags, and as `startWest` options. */
export interface RedisPlace {
  flags(): string[];
  options(): RedisOptions;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Node A, a `west` process that the test can pause (SIGSTOP) as a long GC pause or a stalled VM would. */
async function pausableNode(place: RedisPlace, ttlMs: number, commandTimeoutMs: number) {
  const { west, port } = await startWestProcess([
    "--port=0",
    "--dist=redis",
    ...place.flags(),
    `--redis-heartbeat-ttl-ms=${ttlMs}`,
    `--command-timeout-ms=${commandTimeoutMs}`,
  ]);
  after(() => west.signal("SIGCONT"));
  return { west, url: `ws://127.0.0.1:${port}` };
}

/** The JSON client's messages that are deliveries on `channel`, as their data. */
function deliveries(client: ProtocolClient, channel: string): unknown[] {
  return client.socket.received.flatMap((frame) => {
    const message = JSON.parse(String(frame)) as { event: string; channel?: string; data?: unknown };
    return message.event === "new_message" && message.channel === channel ? [message.data] : [];
  });
}

function notices(client: ProtocolClient, event: string): number {
  return client.socket.received.filter(
    (frame) => (JSON.parse(String(frame)) as { event: string }).event === event,
  ).length;
}

/** Sends until one succeeds (a node that was paused validates its registrations first); returns what got through. */
async function sendUntilDelivered(from: (data: string) => Promise<Reply>, label: string): Promise<string[]> {
  const succeeded: string[] = [];
  let attempt = 0;
  await eventually(`a send (${label}) succeeds`, async () => {
    const data = `${label}-${++attempt}`;
    const reply = await from(data);
    assert.ok(
      reply.event === "sending_succeeded" || reply.event === "internal_error",
      `a send to a live owner is delivered or internal_error, never ${reply.event}`,
    );
    if (reply.event === "sending_succeeded") succeeded.push(data);
    return reply.event === "sending_succeeded";
  });
  return succeeded;
}

/**
 * The unique-owner promise under process pauses (issue: a timeout freed a live owner's record): node A's owner is
 * paused under and over the heartbeat TTL while nodes B and C send to and claim its channel.
 */
export function oneOwnerSuite(name: string, place: () => RedisPlace, skip: string | false): void {
  describe(`one owner at every moment, with its node paused: ${name}`, { skip }, () => {
    const nodes: WestNode[] = [];
    const embedded = async (ttlMs: number, commandTimeoutMs: number) => {
      const node = await startWest({
        port: false,
        logLevel: "silent",
        commandTimeoutMs,
        dist: "redis",
        redis: { ...place().options(), heartbeatTtlMs: ttlMs },
      });
      nodes.push(node);
      return node;
    };
    after(() => Promise.all(nodes.map((node) => node.stop())));

    it("paused under the heartbeat TTL: a send that times out frees nothing, another node is denied, the owner keeps its channel", async () => {
      const ttlMs = 5000;
      const a = await pausableNode(place(), ttlMs, 2000);
      const [b, c] = [await embedded(ttlMs, 2000), await embedded(ttlMs, 2000)];
      const a1 = await protocolClient(a.url, "json", "a1");
      const aSender = await protocolClient(a.url, "json", "a-sender");
      assert.equal(await a1.event({ event: "register", channel: "svc" }), "registration_succeeded");
      const b1 = new Inbox(b, "b1");
      const c1 = new Inbox(c, "c1");

      a.west.signal("SIGSTOP");
      const pausedAt = Date.now();
      const unanswered = await b1.client.send("svc", "during the pause");
      assert.deepEqual(
        [unanswered.event, unanswered.reason],
        ["internal_error", "no answer from the owner's node"],
      );
      assert.equal((await c1.client.reg("svc")).event, "registration_denied", "A is alive: its record stays");
      await sleep(Math.max(0, 2100 - (Date.now() - pausedAt)));
      a.west.signal("SIGCONT");

      const fromB = await sendUntilDelivered(async (data) => b1.client.send("svc", data), "from B");
      assert.equal((await c1.client.reg("svc")).event, "registration_denied");
      const fromA = await sendUntilDelivered(async (data) => {
        const reply = (await aSender.request({ event: "send", channel: "svc", data })) as Reply;
        return reply;
      }, "from A");
      await a1.socket.until(
        () => deliveries(a1, "svc").length >= fromB.length + fromA.length,
        5000,
        "the sends",
      );
      assert.deepEqual(
        deliveries(a1, "svc").filter((data) => data !== "during the pause"),
        [...fromB, ...fromA],
        "the owner got every send that succeeded",
      );
      assert.deepEqual(c1.data("svc"), [], "the other node's client never owned it");
      assert.equal(notices(a1, "registration_lost"), 0, "the owner did not lose its channel");
    });

    it("paused past the heartbeat TTL: the channel is taken over, the old owner's node answers a queued send fenced and tells its owner registration_lost", async () => {
      const ttlMs = 2000;
      const a = await pausableNode(place(), ttlMs, 10_000);
      const [b, c] = [await embedded(ttlMs, 10_000), await embedded(ttlMs, 10_000)];
      const u1 = await protocolClient(a.url, "json", "u1");
      const aSender = await protocolClient(a.url, "json", "a-sender");
      assert.equal(await u1.event({ event: "register", channel: "z" }), "registration_succeeded");
      const b1 = new Inbox(b, "b1");
      const c1 = new Inbox(c, "c1");

      a.west.signal("SIGSTOP");
      // Reaches A's inbox while A is paused: A sees it only when it resumes, after C took the channel over.
      const queued = b1.client.send("z", "zombie");
      await sleep(ttlMs + 500);
      await eventually("C takes over the channel of the node that is dead to the others", async () => {
        const reply = await c1.client.reg("z");
        return reply.event === "registration_succeeded";
      });
      a.west.signal("SIGCONT");

      assert.notEqual(
        (await queued).event,
        "sending_succeeded",
        "a send handled after the takeover is not acknowledged",
      );
      await u1.socket.until(() => notices(u1, "registration_lost") === 1, 10_000, "registration_lost");
      assert.deepEqual(deliveries(u1, "z"), [], "the old owner got nothing after its node lost the lease");
      const fromB = await sendUntilDelivered(async (data) => b1.client.send("z", data), "from B");
      const fromA = await sendUntilDelivered(
        async (data) => (await aSender.request({ event: "send", channel: "z", data })) as Reply,
        "from A",
      );
      assert.deepEqual(await c1.waitFor("z", fromB.length + fromA.length), [...fromB, ...fromA]);
      assert.deepEqual(deliveries(u1, "z"), [], "one owner: the new one");
    });

    it("paused past the heartbeat TTL while another client took the channel and let it go: the old owner is told registration_lost, not given the channel back", async () => {
      const ttlMs = 2000;
      const a = await pausableNode(place(), ttlMs, 2000);
      const [b, c] = [await embedded(ttlMs, 2000), await embedded(ttlMs, 2000)];
      const u1 = await protocolClient(a.url, "json", "u1");
      const aSender = await protocolClient(a.url, "json", "a-sender");
      assert.equal(await u1.event({ event: "register", channel: "borrowed" }), "registration_succeeded");
      const c1 = new Inbox(c, "c1");

      a.west.signal("SIGSTOP");
      await sleep(ttlMs + 500);
      await eventually("C takes over the channel of the node that is dead to the others", async () => {
        const reply = await c1.client.reg("borrowed");
        return reply.event === "registration_succeeded";
      });
      assert.equal((await b.client("b1").send("borrowed", "to c1")).event, "sending_succeeded");
      assert.deepEqual(await c1.waitFor("borrowed", 1), ["to c1"]);
      assert.equal((await c1.client.unreg("borrowed")).event, "unregistration_succeeded");
      a.west.signal("SIGCONT");

      await u1.socket.until(() => notices(u1, "registration_lost") === 1, 10_000, "registration_lost");
      const reply = await aSender.request({ event: "send", channel: "borrowed", data: "after" });
      assert.equal(reply.event, "registration_not_found");
      assert.deepEqual(deliveries(u1, "borrowed"), [], "the old owner got nothing after its ownership broke");
    });
  });
}
