import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReplayFilter } from "../../src/adapters/redis/replay-filter.js";

describe("messages Redis hands over twice are dropped", () => {
  it("a message seen already from its origin on its channel is dropped; new ones pass", () => {
    const filter = new ReplayFilter();
    assert.equal(filter.accept("ps:{c}", "n1", 1), true);
    assert.equal(filter.accept("ps:{c}", "n1", 1), false, "the same message again");
    assert.equal(filter.accept("ps:{c}", "n1", 5), true, "gaps are fine (the origin's other channels)");
    assert.equal(filter.accept("ps:{c}", "n1", 3), false, "older than the last one seen");
    assert.equal(filter.accept("ps:{c}", "n1", 6), true);
  });

  it("origins and channels are judged apart", () => {
    const filter = new ReplayFilter();
    assert.equal(filter.accept("ps:{a}", "n1", 9), true);
    assert.equal(filter.accept("ps:{b}", "n1", 2), true, "another channel of the same origin");
    assert.equal(filter.accept("ps:{a}", "n2", 1), true, "another origin on the same channel");
    assert.equal(filter.accept("ps:{a}", "n2", 1), false);
  });

  it("a channel the node left starts afresh", () => {
    const filter = new ReplayFilter();
    assert.equal(filter.accept("ps:{c}", "n1", 7), true);
    filter.forget("ps:{c}");
    assert.equal(filter.accept("ps:{c}", "n1", 1), true);
  });

  it("remembers a bounded number of origins per channel, dropping the oldest", () => {
    const filter = new ReplayFilter();
    for (let i = 0; i < 300; i++) assert.equal(filter.accept("inbox:{me}", `n${i}`, 10), true);
    assert.equal(filter.accept("inbox:{me}", "n299", 10), false, "a recent origin is remembered");
    assert.equal(filter.accept("inbox:{me}", "n0", 10), true, "the oldest was forgotten");
  });
});
