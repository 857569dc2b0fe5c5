import assert from "node:assert/strict";
import { test } from "node:test";
import { newCounters } from "../../bench/soak/counters.js";
import type { SoakSample } from "../../bench/soak/samples.js";
import { runSoak } from "../../bench/soak/soak.js";
import { renderSoakChart } from "../../bench/soak/soak-chart.js";
import { SoakClient } from "../../bench/soak/soak-client.js";
import { renderSoakMarkdown } from "../../bench/soak/soak-markdown.js";
import { judge } from "../../bench/soak/verdict.js";

test("a short soak samples the server process and loses nothing while connections churn", {
  timeout: 30_000,
}, async () => {
  const result = await runSoak({
    durationMs: 4000,
    connections: 40,
    reconnectFraction: 0.25,
    meanUptimeMs: 1500,
    churnRedrawMs: 2000,
    actionIntervalMs: 500,
    graceMs: 5000,
    sampleMs: 500,
  });
  const { counters, samples } = result;
  assert.deepEqual(result.errorSamples, []);
  assert.equal(counters.errors, 0);
  assert.equal(counters.lost, 0, result.lostSamples.join("; "));
  assert.equal(counters.duplicated, 0);
  assert.ok(counters.expected > 0, "no delivery was owed");
  assert.equal(counters.arrived, counters.expected, "every owed delivery arrived");
  assert.ok(counters.disconnects > 0 && counters.connects > 40, `${counters.connects} connects`);
  assert.ok(samples.length >= 4, `${samples.length} samples`);
  for (const sample of samples) {
    assert.ok(sample.rssBytes > 10 * 1024 * 1024 && sample.heapUsedBytes > 0, JSON.stringify(sample));
    assert.ok(sample.serverCpu > 0 && sample.heapTotalBytes >= sample.heapUsedBytes, JSON.stringify(sample));
    assert.ok(sample.loopDelay.p50 <= sample.loopDelay.p99 && sample.loopDelay.p99 <= sample.loopDelay.max);
  }
  assert.ok(samples.some((sample) => sample.receivedPerSecond > 0));
  assert.equal(result.minutes.length, 1);
  assert.match(renderSoakMarkdown(result, "test"), /\*\*0 lost\*\*/);
  assert.match(renderSoakChart(result), /<polyline points="[^"]+" fill="none" stroke="#1f5fa8"/);
});

test("the ledger counts an owed delivery that never arrives as lost, forgives one whose receiver left, and catches a duplicate", () => {
  const counters = newCounters();
  const receiver = new SoakClient(0, "json", counters);
  receiver.owe("a", "g0");
  receiver.owe("b", "g0");
  receiver.owe("c", "t1");
  receiver.owe("d", "g0");
  receiver.confirm("a", 100);
  receiver.confirm("b", 100);
  receiver.confirm("c", 100);
  receiver.withdraw("d");
  receiver.arrived("a", 10);
  receiver.arrived("z", 10);
  receiver.arrived("a", 20);
  assert.equal(receiver.sweep(50), 0, "not yet overdue");
  receiver.forgive(60, "t1");
  assert.equal(receiver.sweep(150), 1, "b never arrived");
  assert.deepEqual(
    {
      expected: counters.expected,
      arrived: counters.arrived,
      lost: counters.lost,
      unowed: counters.unowed,
      duplicated: counters.duplicated,
    },
    { expected: 2, arrived: 1, lost: 1, unowed: 1, duplicated: 1 },
  );
});

test("the verdict fails RSS that keeps growing and passes RSS that levels off", () => {
  const MiB = 1024 * 1024;
  const run = (rssMiB: (minute: number) => number): SoakSample[] =>
    Array.from({ length: 60 }, (_, i) => {
      const seconds = (i + 1) * 10;
      return {
        seconds,
        rssBytes: rssMiB(seconds / 60) * MiB,
        heapUsedBytes: 20 * MiB,
        heapTotalBytes: 30 * MiB,
        arrayBuffersBytes: MiB,
        serverCpu: 0.1,
        loopDelay: { p50: 1, p99: 2, max: 3 },
        loadLoopDelayP99: 1,
        connections: 10,
        sentPerSecond: 1,
        receivedPerSecond: 1,
        latencyP99: 1,
        lost: 0,
        errors: 0,
        disconnects: 0,
        loadAverage: 1,
      };
    });
  const levelling = judge(
    run((m) => 150 - 50 * Math.exp(-m * 2) + (m % 1 < 0.5 ? 1 : -1)),
    newCounters(),
  );
  assert.equal(levelling.rss.levelsOff, true);
  assert.ok(levelling.passed, levelling.failures.join("; "));
  const leaking = judge(
    run((m) => 100 + 3 * m),
    newCounters(),
  );
  assert.equal(leaking.rss.levelsOff, false);
  assert.ok(Math.abs(leaking.rss.lastHalfMiBPerMinute - 3) < 1e-6);
  assert.equal(leaking.passed, false);
  const lost = judge(
    run(() => 100),
    { ...newCounters(), lost: 1 },
  );
  assert.deepEqual(lost.failures, ["1 messages lost"]);
});
