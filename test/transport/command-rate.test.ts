import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommandRate, type RateVerdict } from "../../src/transport/command-rate.js";

/** The verdicts on `count` frames arriving at `at` ms, counted. */
function burst(rate: CommandRate, count: number, at: number): Record<RateVerdict, number> {
  const verdicts: Record<RateVerdict, number> = { accept: 0, refuse: 0, close: 0 };
  for (let i = 0; i < count; i++) verdicts[rate.take(at)]++;
  return verdicts;
}

describe("CommandRate: a token bucket of one second's worth, and one more for refusals", () => {
  it("a burst of one second's worth passes; the next second's worth is refused; then it closes", () => {
    const rate = new CommandRate(50, 0);
    assert.deepEqual(burst(rate, 50, 0), { accept: 50, refuse: 0, close: 0 });
    assert.deepEqual(burst(rate, 50, 0), { accept: 0, refuse: 50, close: 0 });
    assert.deepEqual(burst(rate, 1, 0), { accept: 0, refuse: 0, close: 1 });
  });

  it("refills continuously: 20 ms at 50/s is one more command", () => {
    const rate = new CommandRate(50, 0);
    burst(rate, 50, 0);
    assert.equal(rate.take(10), "refuse");
    assert.equal(rate.take(20), "accept");
    assert.equal(rate.take(20), "refuse");
  });

  it("refills up to one second's worth, not more", () => {
    const rate = new CommandRate(50, 0);
    burst(rate, 50, 0);
    assert.deepEqual(burst(rate, 51, 60_000), { accept: 50, refuse: 1, close: 0 });
  });

  it("a steady rate under twice the limit is refused in part, never closed", () => {
    const rate = new CommandRate(100, 0);
    const total: Record<RateVerdict, number> = { accept: 0, refuse: 0, close: 0 };
    // 190 a second for 10 s, one every 1000/190 ms.
    for (let i = 0; i < 1900; i++) total[rate.take((i * 1000) / 190)]++;
    assert.equal(total.close, 0);
    assert.ok(total.refuse > 700, `refused ${total.refuse}`);
  });

  it("a steady rate over twice the limit is closed", () => {
    const rate = new CommandRate(100, 0);
    let closedAt: number | undefined;
    // 250 a second for at most 10 s.
    for (let i = 0; i < 2500 && closedAt === undefined; i++) {
      if (rate.take((i * 1000) / 250) === "close") closedAt = i;
    }
    assert.ok(closedAt !== undefined, "closed");
  });
});
