import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AdminFeed } from "../../src/admin/admin-feed.js";
import { NO_RATES, ratesBetween, sumRates } from "../../src/admin/rates.js";
import type { Totals } from "../../src/core/counters.js";
import type { SystemNode } from "../../src/core/seam.js";
import { createLogger } from "../../src/log.js";

const totals = (at: number, deliveries: number, commands = 0): Totals => ({
  at,
  deliveries,
  commands,
  bytesIn: 0,
  bytesOut: 0,
  slowConsumerCuts: 0,
  rateLimited: 0,
  authFailures: 0,
  roundTrips: 0,
  roundTripSeconds: 0,
});

const node = (nodeId: string, beatAt: number, figures: Totals | undefined, connections = 0): SystemNode => ({
  nodeId,
  url: `http://${nodeId}`,
  startedAt: 0,
  beatAt,
  connections,
  registrations: 1,
  subscriptions: 2,
  byKind: { json: connections },
  totals: figures,
});

describe("admin rates", () => {
  it("are per second between two readings, never negative, zero for the same reading", () => {
    assert.equal(ratesBetween(totals(1000, 10), totals(3000, 50)).deliveries, 20);
    assert.equal(ratesBetween(totals(1000, 50), totals(2000, 10)).deliveries, 0);
    assert.deepEqual(ratesBetween(totals(1000, 10), totals(1000, 50)), NO_RATES);
    assert.equal(
      sumRates([ratesBetween(totals(0, 0), totals(1000, 5)), ratesBetween(totals(0, 0), totals(1000, 7))])
        .deliveries,
      12,
    );
  });
});

describe("admin feed snapshot: the whole system from the node registry", () => {
  const feed = new AdminFeed({ self: () => "a", nodes: async () => [] }, createLogger("silent"), 3000);

  it("sums the nodes, and a node's rates move only when its heartbeat brings new totals", () => {
    const first = feed.snapshot(
      [node("a", 1000, totals(1000, 0), 3), node("b", 1000, totals(1000, 0), 4)],
      1000,
    );
    assert.equal(first.system.connections, 7);
    assert.equal(first.system.registrations, 2);
    assert.equal(first.system.rates.deliveries, 0, "no rate from a single reading");
    const second = feed.snapshot(
      [node("a", 2000, totals(2000, 100)), node("b", 2000, totals(2000, 300))],
      2000,
    );
    assert.equal(second.system.rates.deliveries, 400);
    const stale = feed.snapshot(
      [node("a", 3000, totals(3000, 100)), node("b", 2000, totals(2000, 300))],
      3000,
    );
    assert.deepEqual(
      stale.nodes.map((view) => [view.nodeId, view.rates.deliveries, view.ageMs]),
      [
        ["a", 0, 0],
        ["b", 300, 1000],
      ],
      "b's last known rate stays until its next heartbeat; its age shows how old",
    );
  });

  it("forgets a node that left, and starts its rates afresh if it comes back", () => {
    feed.snapshot([node("a", 4000, totals(4000, 100))], 4000);
    const back = feed.snapshot(
      [node("a", 5000, totals(5000, 100)), node("b", 5000, totals(5000, 900))],
      5000,
    );
    assert.equal(back.nodes.find((view) => view.nodeId === "b")?.rates.deliveries, 0);
  });

  it("a node whose figures are older than lateAfterMs is late", () => {
    const views = feed.snapshot(
      [node("a", 10_000, totals(10_000, 0)), node("b", 6_999, totals(6_999, 0))],
      10_000,
    );
    assert.deepEqual(
      views.nodes.map((view) => view.late),
      [false, true],
    );
  });

  it("a node without totals (an older version) counts with zero rates", () => {
    const view = feed.snapshot([node("c", 1000, undefined, 5)], 1000);
    assert.deepEqual([view.system.connections, view.system.rates], [5, NO_RATES]);
  });
});
