import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { tinyCrossNode } from "../../bench/cross-node/config.js";
import type { CrossResult, CrossSystemId } from "../../bench/cross-node/records.js";
import { crossNodeReport } from "../../bench/cross-node/report.js";
import { runCrossNode } from "../../bench/cross-node/section.js";
import { tinySuite } from "../../bench/harness/suite-config.js";
import { renderCrossNodeChart } from "../../bench/report/cross-node-chart.js";
import { renderMarkdown } from "../../bench/report/markdown.js";
import { testReport } from "../helpers/bench-report.js";

const natsInstalled = spawnSync("nats-server", ["--version"]).status === 0;

function checkResults(results: CrossResult[], systems: CrossSystemId[]): void {
  const ids = [...new Set(results.map((result) => result.case.id))];
  assert.deepEqual(ids, ["fanout/w1", "fanout/w10", "pairs", "p2p", "one-client/w50", "one-client/w1"]);
  assert.deepEqual([...new Set(results.map((result) => result.system))], systems);
  for (const result of results) {
    const where = `${result.case.id} on ${result.system}`;
    assert.equal(result.status, "ok", `${where}: ${result.notes.join("; ")}`);
    assert.equal(result.runs.length, 1, where);
    const [run] = result.runs;
    assert.ok(run !== undefined && result.median !== undefined, where);
    assert.ok(run.deliveries > 0, `${where}: no deliveries`);
    assert.equal(run.received, run.deliveries, where);
    assert.equal(run.lost, 0, `${where}: lost`);
    assert.equal(run.duplicated, 0, `${where}: duplicated`);
    assert.ok(run.cpuMicrosPerDelivery > 0, `${where}: CPU ${run.cpuMicrosPerDelivery}`);
    assert.ok(run.deliveriesPerSecond > 0, `${where}: rate`);
    const { p50, p99 } = run.latencyMicros;
    assert.ok(p50 > 0 && p50 <= p99, `${where}: latency ${p50} / ${p99}`);
    if (result.case.kind === "fanout") assert.equal(run.deliveries % 30, 0, `${where}: 30 subscribers each`);
    if (result.case.kind === "pairs" || result.case.kind === "p2p")
      assert.equal(run.deliveries, 6 * 3, where);
    if (result.case.kind === "one-client") {
      assert.equal(run.deliveries, 100 * 3, where);
      assert.ok((run.publishesPerSecond ?? 0) > 0, `${where}: acked publishes/s`);
    } else assert.equal(run.publishesPerSecond, undefined, where);
  }
}

test("the cross-node section takes WEST on Redis and Socket.IO with its Redis adapter, 3 processes each, through every scenario, losing nothing", {
  timeout: 60_000,
}, async () => {
  const systems: CrossSystemId[] = ["west-redis", "socketio-redis"];
  const config = tinyCrossNode(systems);
  const results = await runCrossNode(config, () => undefined);
  checkResults(results, systems);

  const crossNode = crossNodeReport(config, results);
  assert.equal(crossNode.targets.length, 12, "6 ratios for each WEST mode");
  const socketIoRatio = crossNode.targets.find(
    (t) => t.ratio === "WEST on Redis CPU/delivery ÷ Socket.IO emulated",
  );
  assert.ok(socketIoRatio?.value !== undefined && socketIoRatio.value > 0, "a ratio of two measured medians");
  const natsRatio = crossNode.targets.find((t) => t.ratio.startsWith("WEST on Redis CPU/delivery ÷ NATS"));
  assert.equal(natsRatio?.value, undefined, "no NATS, no ratio");
  const report = testReport({ config: tinySuite([]), results: [], crossNode });
  const markdown = renderMarkdown(report);
  assert.match(markdown, /\| scenario \| WEST on Redis \| Socket.IO \+ Redis adapter \|/);
  assert.match(
    markdown,
    /\| p2p: 6 senders to 6 owners on another node, 1 in flight each \| [\d.]+ µs \| [\d.]+ µs \|/,
  );
  const svg = renderCrossNodeChart(report, crossNode);
  assert.equal(
    svg.match(/<rect x=/g)?.length,
    2 + 6 * 2,
    "a legend swatch per system, a bar per case and system",
  );
});

test("the cross-node section takes a NATS cluster of 3 through every scenario", {
  skip: natsInstalled ? false : "nats-server is not installed",
  timeout: 40_000,
}, async () => {
  checkResults(await runCrossNode(tinyCrossNode(["nats"]), () => undefined), ["nats"]);
});
