import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RedisLink } from "../../src/adapters/redis/link.js";
import { Subscriptions } from "../../src/adapters/redis/subscriptions.js";

/** A Redis link whose SUBSCRIBE and UNSUBSCRIBE each wait until the test settles them, one by one. */
function controlledLink() {
  const calls: { op: "subscribe" | "unsubscribe"; channel: string; settle(error?: Error): void }[] = [];
  const subscribed = new Set<string>();
  const call = (op: "subscribe" | "unsubscribe", channel: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({
        op,
        channel,
        settle(error) {
          if (error !== undefined) return reject(error);
          if (op === "subscribe") subscribed.add(channel);
          else subscribed.delete(channel);
          resolve();
        },
      });
    });
  const link = {
    subscribe: (channel: string) => call("subscribe", channel),
    unsubscribe: (channel: string) => call("unsubscribe", channel),
  } as unknown as RedisLink;
  /** Settles the oldest call still waiting, after letting queued work reach Redis. */
  const settleNext = async (error?: Error) => {
    await new Promise((resolve) => setImmediate(resolve));
    const next = calls.shift();
    assert.ok(next !== undefined, "a call to Redis was made");
    next.settle(error);
    await new Promise((resolve) => setImmediate(resolve));
    return `${next.op} ${next.channel}`;
  };
  return { link, calls, subscribed, settleNext };
}

const ignore = () => undefined;

describe("the node's Redis subscriptions: one state machine per channel", () => {
  it("subscribe resolves only once Redis confirmed it", async () => {
    const { link, subscribed, settleNext } = controlledLink();
    const subscriptions = new Subscriptions(link, ignore);
    let confirmed = false;
    const done = subscriptions.subscribe("c").then(() => {
      confirmed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(confirmed, false);
    assert.equal(await settleNext(), "subscribe c");
    await done;
    assert.equal(confirmed, true);
    assert.deepEqual([...subscribed], ["c"]);
  });

  it("operations on one channel run one after another, and each makes Redis match what is wanted when it runs", async () => {
    const { link, calls, subscribed, settleNext } = controlledLink();
    const subscriptions = new Subscriptions(link, ignore);
    const all = [subscriptions.subscribe("c"), subscriptions.unsubscribe("c"), subscriptions.subscribe("c")];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls.length, 1, "one Redis call at a time for a channel");
    assert.equal(await settleNext(), "subscribe c");
    // Wanted again by the time the unsubscribe runs: nothing more to do in Redis.
    await Promise.all(all);
    assert.equal(calls.length, 0);
    assert.deepEqual([...subscribed], ["c"]);
    assert.deepEqual([...subscriptions.wanted], ["c"]);
  });

  it("unsubscribe then subscribe while the unsubscribe is in Redis: subscribed again afterwards", async () => {
    const { link, subscribed, settleNext } = controlledLink();
    const subscriptions = new Subscriptions(link, ignore);
    const first = subscriptions.subscribe("c");
    await settleNext();
    await first;
    const leaving = subscriptions.unsubscribe("c");
    await new Promise((resolve) => setImmediate(resolve));
    const back = subscriptions.subscribe("c");
    assert.equal(await settleNext(), "unsubscribe c");
    assert.equal(await settleNext(), "subscribe c");
    await Promise.all([leaving, back]);
    assert.deepEqual([...subscribed], ["c"]);
  });

  it("channels do not wait for each other", async () => {
    const { link, calls } = controlledLink();
    const subscriptions = new Subscriptions(link, ignore);
    void subscriptions.subscribe("a");
    void subscriptions.subscribe("b");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls.map((call) => call.channel).sort(), ["a", "b"]);
  });

  it("a failed subscribe rejects its caller, leaves the channel unsubscribed, and the next one tries again", async () => {
    const { link, subscribed, settleNext } = controlledLink();
    const subscriptions = new Subscriptions(link, ignore);
    const failing = subscriptions.subscribe("c");
    await settleNext(new Error("redis down"));
    await assert.rejects(failing, /redis down/);
    assert.deepEqual([...subscribed], []);
    const retry = subscriptions.subscribe("c");
    assert.equal(await settleNext(), "subscribe c");
    await retry;
    assert.deepEqual([...subscribed], ["c"]);
  });

  it("wanted lists what is wanted now, subscribed or on its way", async () => {
    const { link, settleNext } = controlledLink();
    const subscriptions = new Subscriptions(link, ignore);
    void subscriptions.subscribe("a");
    void subscriptions.subscribe("b");
    assert.deepEqual([...subscriptions.wanted].sort(), ["a", "b"]);
    void subscriptions.unsubscribe("a");
    assert.deepEqual([...subscriptions.wanted], ["b"]);
    // "a" was no longer wanted by the time its subscribe ran: Redis never heard of it.
    assert.equal(await settleNext(), "subscribe b");
  });
});
