import assert from "node:assert/strict";
import { test } from "node:test";
import type { CaseResult, Measurement } from "../../bench/harness/records.js";
import { runSuite } from "../../bench/harness/suite.js";
import { tinySuite } from "../../bench/harness/suite-config.js";
import { renderMarkdown } from "../../bench/report/markdown.js";
import { renderSvgChart } from "../../bench/report/svg-chart.js";
import { testReport } from "../helpers/bench-report.js";

const finite = (value: number, what: string) =>
  assert.ok(Number.isFinite(value) && value >= 0, `${what}: ${value}`);

function checkMeasurement(result: CaseResult, m: Measurement): void {
  const where = `${result.case.id} on ${result.system}`;
  if (m.type === "connections") {
    assert.equal(result.case.kind, "connections", where);
    assert.equal(m.opened, m.connections, where);
    assert.equal(m.failed, 0, where);
    finite(m.connectMs, `${where} connectMs`);
    finite(m.serverPeakRssBytes, `${where} serverPeakRssBytes`);
    assert.ok(m.handshakeMicros.p50 <= m.handshakeMicros.max, where);
    return;
  }
  assert.notEqual(result.case.kind, "connections", where);
  assert.equal(m.lost, 0, `${where}: lost`);
  assert.equal(m.duplicated, 0, `${where}: duplicated`);
  assert.ok(m.deliveries > 0, `${where}: no deliveries`);
  assert.equal(m.received, m.deliveries, where);
  for (const field of [
    "serverCpuMicrosPerDelivery",
    "deliveriesPerSecond",
    "elapsedMs",
    "serverCores",
    "loadCpuMicrosPerDelivery",
    "loadCores",
    "loadCoresTotal",
  ] as const)
    finite(m[field], `${where} ${field}`);
  assert.ok(m.serverPeakRssBytes > 0, `${where}: server peak RSS`);
  const { p50, p99, max } = m.latencyMicros;
  assert.ok(p50 > 0 && p50 <= p99 && p99 <= max, `${where}: latency ${p50} / ${p99} / ${max}`);
  if (result.case.kind === "fanout") {
    // Every publish reaches all 10 subscribers; the subscribers sit in 2 load worker processes.
    assert.equal(m.deliveries % 10, 0, where);
    assert.ok(m.deliveries / 10 >= (result.case.params.window ?? 0), where);
    assert.equal(m.loadProcesses, 3, where);
  }
}

test("the harness takes WEST-TS and the ws forwarder through every scenario, losing nothing", {
  timeout: 60_000,
}, async () => {
  const config = tinySuite(["west", "ws-forwarder"]);
  const results = await runSuite(config, () => undefined);

  const ids = [...new Set(results.map((result) => result.case.id))];
  assert.deepEqual(ids, [
    "fanout/json/s10/w1",
    "fanout/json/s10/w5",
    "channels/json/p5",
    "p2p/json/p5",
    "connections/json/c20",
  ]);
  assert.equal(results.length, ids.length * 2);
  for (const result of results) {
    assert.equal(result.status, "ok", `${result.case.id} on ${result.system}: ${result.notes.join("; ")}`);
    assert.equal(result.runs.length, 1);
    for (const run of result.runs) checkMeasurement(result, run);
    assert.equal(result.median, result.runs[0]);
    assert.ok(result.headline !== undefined && result.headline.min <= result.headline.median);
    if (result.system === "ws-forwarder" && result.headline.median > 0) assert.equal(result.vsReference, 1);
  }

  const report = testReport({ config, results });
  const markdown = renderMarkdown(report);
  assert.match(markdown, /\| fanout 10 subscribers, JSON, 5 in flight \| WEST-TS \|/);
  assert.match(markdown, /\| 20 \| ws forwarder \|/);
  const svg = renderSvgChart(report);
  assert.match(svg, /^<svg [^>]*>/);
  assert.equal(
    svg.match(/<rect x=/g)?.length,
    5 + 4 * 2,
    "a legend swatch per series, a bar per delivery case and system",
  );
});
