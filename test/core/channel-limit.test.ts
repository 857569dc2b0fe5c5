import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Reply } from "../../src/index.js";
import { delayedAdapter } from "../helpers/delayed-adapter.js";
import { embeddedNode, recordingClient } from "../helpers/embedded.js";

const failed = (event: string, channel: string): Reply =>
  ({ event, from: "west", channel, reason: "too many channels on this connection" }) as Reply;

describe("maxChannelsPerConnection: registrations plus subscriptions one client may hold", () => {
  it("a register or subscribe beyond the limit gets its *_failed reply; the client keeps what it has", async () => {
    const node = await embeddedNode({ maxChannelsPerConnection: 3 });
    const client = node.client("c1");
    assert.equal((await client.reg("r1")).event, "registration_succeeded");
    assert.equal((await client.sub("s1")).event, "subscription_succeeded");
    assert.equal((await client.sub("s2")).event, "subscription_succeeded");
    assert.deepEqual(await client.sub("s3"), failed("subscription_failed", "s3"));
    assert.deepEqual(await client.reg("r2"), failed("registration_failed", "r2"));
    // Answers that take nothing new are not refused.
    assert.equal((await client.reg("r1")).event, "registration_already_exist");
    assert.equal((await client.sub("s1")).event, "subscription_already_exist");
    assert.equal((await client.pub("s1", "x")).event, "publication_succeeded");
    // Freeing one makes room for one.
    assert.equal((await client.unsub("s2")).event, "unsubscription_succeeded");
    assert.equal((await client.reg("r2")).event, "registration_succeeded");
    assert.equal((await client.sub("s3")).event, "subscription_failed");
  });

  it("the same name as a p2p and a pub/sub channel counts twice", async () => {
    const node = await embeddedNode({ maxChannelsPerConnection: 1 });
    const client = node.client("c2");
    assert.equal((await client.reg("both")).event, "registration_succeeded");
    assert.equal((await client.sub("both")).event, "subscription_failed");
  });

  it("concurrent commands on an async adapter cannot overshoot: pending ones count", async () => {
    const node = await embeddedNode({
      maxChannelsPerConnection: 5,
      adapter: delayedAdapter({ maxDelayMs: 5 }),
    });
    const client = node.client("c3");
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? client.sub(`s${i}`) : client.reg(`r${i}`))),
    );
    const succeeded = replies.filter((r) => r.event.endsWith("_succeeded"));
    assert.equal(succeeded.length, 5);
    assert.deepEqual(
      replies.slice(5).map((r) => r.event),
      Array.from({ length: 15 }, (_, i) =>
        (i + 5) % 2 === 0 ? "subscription_failed" : "registration_failed",
      ),
    );
  });

  it("a failed claim or subscription frees its place", async () => {
    const node = await embeddedNode({
      maxChannelsPerConnection: 1,
      adapter: delayedAdapter({ fail: true }),
    });
    const client = node.client("c4");
    assert.equal((await client.reg("r")).event, "internal_error");
    assert.equal((await client.sub("s")).event, "internal_error");
    // Had either stayed counted, this would be subscription_failed.
    assert.equal((await client.sub("s2")).event, "internal_error");
  });

  it("the limit is per client: another client with the same key is unaffected", async () => {
    const node = await embeddedNode({ maxChannelsPerConnection: 2 });
    const full = node.client("same");
    const other = recordingClient(node, "same");
    await full.sub("a");
    await full.sub("b");
    assert.equal((await full.sub("c")).event, "subscription_failed");
    assert.equal((await other.client.sub("a")).event, "subscription_succeeded");
    assert.equal((await other.client.reg("c")).event, "registration_succeeded");
    await full.pub("a", "hi");
    assert.deepEqual(
      other.inbox.map((m) => m.event),
      ["new_message"],
    );
  });
});
