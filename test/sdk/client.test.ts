import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { listeningNode } from "../helpers/ws-client.js";
import { Received, rejection, sdkClient, sharedNode, sleep } from "./sdk-helpers.js";

const CHANNELS = [
  { match: "chat.>", history: { size: 100, ttlSeconds: 60 }, presence: true, joinLeave: true },
];
const text = (data: unknown) => new TextDecoder().decode(data as Uint8Array);

for (const protocol of ["json", "pb"] as const) {
  describe(`the SDK's commands and deliveries, ${protocol}`, () => {
    const node = sharedNode({ channels: CHANNELS });
    /** What a delivery's data is on this protocol, for data the sender gave as JSON. */
    const asSent = (data: unknown) => (protocol === "json" ? data : JSON.parse(text(data)));
    const client = (key: string, options = {}) => sdkClient(node().wsUrl, { key, protocol, ...options });

    it("publishes to subscribers and sends to the owner, resolving to the replies", async () => {
      const alice = client("alice");
      const bob = client("bob");
      await Promise.all([alice.connect(), bob.connect()]);
      const news = new Received();
      const subscription = bob.subscribe("news", news.handler);
      assert.deepEqual(await subscription.ready, { recovered: false });
      assert.equal(subscription.state, "subscribed");
      const reply = await alice.publish("news", { headline: "hi" });
      assert.equal(reply.event, "publication_succeeded");
      assert.equal(reply.channel, "news");
      const [delivery] = await news.until(1);
      assert.equal(delivery?.from, "alice");
      assert.equal(delivery?.channel, "news");
      assert.deepEqual(asSent(delivery?.data), { headline: "hi" });

      const inbox = new Received();
      await bob.register("bob.inbox", inbox.handler).ready;
      assert.equal((await alice.send("bob.inbox", "ping?")).event, "sending_succeeded");
      const [sent] = await inbox.until(1);
      assert.equal(protocol === "json" ? sent?.data : text(sent?.data), "ping?");
      assert.equal((await alice.ping()).event, "pong");
    });

    it("rejects failures with a WestError carrying the reply's event and reason", async () => {
      const carol = client("carol");
      const nobody = await rejection(carol.send("nobody.owns.this", "x"));
      assert.equal(nobody.code, "registration_not_found");
      const invalid = await rejection(carol.publish("has space", "x"));
      assert.equal(invalid.code, "publication_failed");
      assert.match(invalid.reason ?? "", /whitespace/);
      await client("dave").register("taken").ready;
      const denied = carol.register("taken");
      assert.equal((await rejection(denied.ready)).code, "registration_denied");
      assert.equal(denied.state, "failed");
    });

    it("bytes go through as bytes", async () => {
      const erin = client("erin");
      const frank = client("frank");
      const inbox = new Received();
      await erin.register("erin.bytes", inbox.handler).ready;
      const bytes = new Uint8Array([0, 255, 1, 128]);
      await frank.send("erin.bytes", bytes);
      const [delivery] = await inbox.until(1);
      assert.deepEqual(new Uint8Array(delivery?.data as Uint8Array), bytes);
    });

    it("answers requests with onRequest; a throwing handler answers nothing and is reported", async () => {
      const service = client("service");
      const errors: unknown[] = [];
      service.on("error", (error) => errors.push(error));
      await service.register("svc.sum", undefined, {
        onRequest: (data) => {
          const { a, b } = asSent(data) as { a: number; b: number };
          return { sum: a + b };
        },
      }).ready;
      await service.register("svc.broken", undefined, {
        onRequest: () => {
          throw new Error("broken handler");
        },
      }).ready;
      const asker = client("asker");
      assert.deepEqual(asSent(await asker.request("svc.sum", { a: 2, b: 3 })), { sum: 5 });
      const timedOut = await rejection(asker.request("svc.broken", "x", { timeoutMs: 300 }));
      assert.equal(timedOut.code, "request_timeout");
      assert.equal((errors[0] as Error).message, "broken handler");
    });

    it("presence, history, join and leave", async () => {
      const joins: string[] = [];
      const leaves: string[] = [];
      const watcher = client("watcher");
      await watcher.subscribe("chat.room", () => undefined, {
        onJoin: (key) => joins.push(key),
        onLeave: (key) => leaves.push(key),
      }).ready;
      const guest = client("guest");
      const guestSubscription = guest.subscribe("chat.room", () => undefined);
      await guestSubscription.ready;
      assert.deepEqual(await watcher.presence("chat.room"), { watcher: 1, guest: 1 });
      await guest.publish("chat.room", "one");
      await guest.publish("chat.room", { n: 2 });
      const page = await watcher.history("chat.room", { limit: 10 });
      assert.equal(page.complete, true);
      assert.equal(page.offset, 2);
      assert.deepEqual(
        page.publications.map(({ from, offset }) => [from, offset]),
        [
          ["guest", 1],
          ["guest", 2],
        ],
      );
      const data = page.publications.map((item) => item.data);
      if (protocol === "json") assert.deepEqual(data, ["one", { n: 2 }]);
      else assert.deepEqual(data.map(text), ["one", '{"n":2}']);
      await guestSubscription.unsubscribe();
      assert.equal(guestSubscription.state, "unsubscribed");
      await sleep(50);
      assert.deepEqual(joins, ["guest"]);
      assert.deepEqual(leaves, ["guest"]);
    });
  });
}

describe("the SDK's connection", () => {
  it("a client whose node is down at first start connects once it is up", async () => {
    const { freePort } = await import("../helpers/cli-process.js");
    const port = await freePort();
    const late = sdkClient(`ws://127.0.0.1:${port}`, { key: "early" }, { connect: false });
    const states: string[] = [];
    late.on("state", (state) => states.push(state));
    const connected = late.connect();
    await sleep(300);
    assert.equal(late.state === "connected", false);
    const node = await listeningNode({ port });
    await connected;
    assert.equal(late.state, "connected");
    assert.ok(states.includes("disconnected"), states.join(" "));
    late.close();
    await node.stop();
  });

  it("refuses bad arguments at once", () => {
    assert.throws(() => sdkClient([]), /at least one URL/);
    assert.throws(() => sdkClient("not a url"));
    const client = sdkClient("ws://127.0.0.1:1", { key: "k" });
    client.subscribe("twice", () => undefined);
    assert.throws(() => client.subscribe("twice", () => undefined), /already subscribed/);
    client.close();
    assert.equal(client.state, "closed");
  });

  it("after close(), pending and new commands are rejected with closed", async () => {
    const client = sdkClient("ws://127.0.0.1:1", { key: "k" });
    const pending = client.publish("a", "b");
    client.close();
    assert.equal((await rejection(pending)).code, "closed");
    assert.equal((await rejection(client.publish("a", "b"))).code, "closed");
    assert.equal((await rejection(client.connect())).code, "closed");
  });

  it("a command waits for the connection up to its timeout", async () => {
    const client = sdkClient("ws://127.0.0.1:1", { key: "k", commandTimeoutMs: 200 });
    const started = Date.now();
    assert.equal((await rejection(client.publish("a", "b"))).code, "timeout");
    assert.ok(Date.now() - started >= 190);
  });
});
