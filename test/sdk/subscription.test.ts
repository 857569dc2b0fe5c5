import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { WestMessage } from "../../src/sdk/message.js";
import { type GapInfo, Subscription } from "../../src/sdk/subscription.js";

function subscription(recover = true) {
  const delivered: (number | undefined)[] = [];
  const gaps: GapInfo[] = [];
  const owner = {
    unsubscribe: async () => undefined,
    handlerFailed: (error: unknown) => assert.fail(String(error)),
  };
  const made = new Subscription("c", (m: WestMessage) => delivered.push(m.offset), { recover }, owner);
  made.on("gap", (gap) => gaps.push(gap));
  return { made, delivered, gaps };
}

const publication = (offset: number, epoch = "E"): WestMessage => ({
  from: "p",
  channel: "c",
  data: offset,
  offset,
  epoch,
});

describe("the SDK's subscription, by offset", () => {
  it("starts from the subscribe reply's top and recovers from the last offset handed on", () => {
    const { made, delivered } = subscription();
    assert.deepEqual(made.command(), { event: "subscribe", channel: "c" });
    made.confirmed({ event: "subscription_succeeded", channel: "c", offset: 4, epoch: "E" }, false);
    made.deliver(publication(5));
    made.deliver(publication(6));
    assert.deepEqual(delivered, [5, 6]);
    assert.deepEqual(made.command(), { event: "subscribe", channel: "c", offset: 6, epoch: "E" });
  });

  it("a recovered resubscription keeps the position; the replayed publications move it", () => {
    const { made, delivered } = subscription();
    made.confirmed({ event: "subscription_succeeded", offset: 2, epoch: "E" }, false);
    made.confirmed({ event: "subscription_succeeded", offset: 5, epoch: "E", recovered: true }, true);
    for (const offset of [3, 4, 5]) made.deliver(publication(offset));
    assert.deepEqual(delivered, [3, 4, 5]);
  });

  it("a publication already handed on is not handed on again", () => {
    const { made, delivered, gaps } = subscription();
    made.confirmed({ event: "subscription_succeeded", offset: 0, epoch: "E" }, false);
    for (const offset of [1, 2, 2, 1, 3]) made.deliver(publication(offset));
    assert.deepEqual(delivered, [1, 2, 3]);
    assert.deepEqual(gaps, []);
  });

  it("a jump in offsets or a new epoch is reported as a gap before the publication is handed on", () => {
    const { made, delivered, gaps } = subscription();
    made.confirmed({ event: "subscription_succeeded", offset: 0, epoch: "E" }, false);
    made.deliver(publication(1));
    made.deliver(publication(4));
    made.deliver(publication(1, "F"));
    assert.deepEqual(delivered, [1, 4, 1]);
    assert.deepEqual(gaps, [
      { lastOffset: 1, offset: 4, epoch: "E", previousEpoch: "E" },
      { lastOffset: 4, offset: 1, epoch: "F", previousEpoch: "E" },
    ]);
  });

  it("without recover, subscribes again from nowhere; without history, nothing is tracked", () => {
    const { made, delivered } = subscription(false);
    made.confirmed({ event: "subscription_succeeded", offset: 7, epoch: "E" }, false);
    assert.deepEqual(made.command(), { event: "subscribe", channel: "c" });
    made.deliver({ from: "p", channel: "c", data: "x" });
    assert.deepEqual(delivered, [undefined]);
  });
});
