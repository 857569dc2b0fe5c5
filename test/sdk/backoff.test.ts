import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff } from "../../src/sdk/backoff.js";

describe("the SDK's backoff", () => {
  it("waits a random part of a ceiling that doubles from minDelayMs up to maxDelayMs", () => {
    const top = new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    assert.deepEqual(
      Array.from({ length: 6 }, () => top.next()),
      [99, 199, 399, 799, 999, 999],
    );
    const bottom = new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    assert.deepEqual([bottom.next(), bottom.next()], [0, 0]);
  });

  it("starts over after reset", () => {
    const backoff = new Backoff({ minDelayMs: 10, maxDelayMs: 10_000 }, () => 0.5);
    backoff.next();
    backoff.next();
    assert.equal(backoff.next(), 20);
    backoff.reset();
    assert.equal(backoff.next(), 5);
  });

  it("never waits past its cap, however many attempts", () => {
    const backoff = new Backoff({ minDelayMs: 250, maxDelayMs: 10_000 }, () => 0.999999);
    for (let i = 0; i < 200; i++) assert.ok(backoff.next() < 10_000);
  });
});
