import assert from "node:assert/strict";
import { test } from "node:test";
import { tinySuite } from "../../bench/harness/suite-config.js";
import { renderMarkdown } from "../../bench/report/markdown.js";
import { runSlowConsumer } from "../../bench/scenarios/slow-consumer.js";
import { testReport } from "../helpers/bench-report.js";

test("the slow-consumer scenario measures the others without and with a stalled subscriber, losing nothing", {
  timeout: 60_000,
}, async () => {
  const results = await runSlowConsumer({
    subscribers: 5,
    window: 5,
    phaseMs: 0,
    maxDeliveries: 50,
    repeats: 1,
  });
  assert.deepEqual(
    results.map((result) => result.case),
    ["5 subscribers", "5 subscribers + 1 stalled"],
  );
  for (const { measurement } of results) {
    assert.equal(measurement.lost, 0);
    assert.equal(measurement.received, measurement.deliveries);
    assert.ok(measurement.deliveries >= 25, `${measurement.deliveries} deliveries`);
    assert.ok(
      measurement.serverCpuMicrosPerDelivery > 0,
      `${measurement.serverCpuMicrosPerDelivery} µs/delivery`,
    );
  }
  const markdown = renderMarkdown(
    testReport({ config: tinySuite(["west"]), results: [], slowConsumer: results }),
  );
  assert.match(markdown, /\| 5 subscribers \+ 1 stalled \| 1 \| [\d,]+ \|/);
});
