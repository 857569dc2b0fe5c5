import type { SoakResult } from "./soak.js";
import type { Growth } from "./verdict.js";

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const count = (value: number) => Math.round(value).toLocaleString("en-US");

function growthLine(name: string, g: Growth): string {
  const judged =
    g.levelsOff === undefined ? "too few samples to judge" : g.levelsOff ? "levels off" : "GROWS";
  return `- ${name}: ${fixed(g.firstThirdMiBPerMinute, 2)} MiB/min over the first third, ${fixed(g.lastThirdMiBPerMinute, 2)} over the last third; linear fit of the last half ${fixed(g.lastHalfMiBPerMinute, 2)} MiB/min, i.e. ${fixed(g.lastHalfGrowthMiB)} MiB over it (allowed ${fixed(g.allowedGrowthMiB)}): **${judged}**`;
}

/** The soak's verdict, its figures and the table per minute, as markdown. */
export function renderSoakMarkdown(result: SoakResult, environment: string): string {
  const { options, counters, verdict } = result;
  const worstLatency = Math.max(0, ...result.samples.map((s) => s.latencyP99));
  const out = [
    `**Verdict: ${verdict.passed ? "passed" : `FAILED (${verdict.failures.join("; ")})`}.** ${count(options.connections)} connections (text/json/pb) for ${fixed(options.durationMs / 60_000)} min, ${(options.reconnectFraction * 100).toFixed(0)}% of them (redrawn every ${options.churnRedrawMs / 1000} s) disconnecting after ${options.meanUptimeMs / 2000}-${(options.meanUptimeMs * 1.5) / 1000} s and reconnecting; one action per connection per ~${options.actionIntervalMs / 1000} s. ${environment}`,
    "",
    growthLine("RSS", verdict.rss),
    `${growthLine("Heap used", verdict.heap)} (informative only: heap used saw-tooths with each garbage collection)`,
    `- Event-loop delay (server): worst interval p99 ${fixed(verdict.loopDelay.firstHalfP99)} ms in the first half, ${fixed(verdict.loopDelay.lastHalfP99)} ms in the last; max ${fixed(verdict.loopDelay.max)} ms`,
    `- Messages: ${count(counters.sent)} publishes and sends, ${count(counters.received)} deliveries received; ${count(counters.expected)} owed to a connected subscriber or owner, ${count(counters.arrived)} arrived, **${count(counters.lost)} lost** (not arrived ${options.graceMs / 1000} s after the sender's reply), **${count(counters.duplicated)} duplicated**; delivery latency p99 per interval up to ${fixed(worstLatency / 1000)} s; ${count(counters.unowed)} arrived unowed (sent around an unsubscribe or a reconnect); ${count(counters.sendsToGoneOwner)} sends found their owner just gone`,
    `- Connections: ${count(counters.connects)} opened, ${count(counters.disconnects)} churn disconnects (half clean closes, half abrupt), ${count(counters.registrationRetries)} registrations retried while the previous connection was cleaned up; **${count(counters.errors)} errors**; ${count(counters.skipped)} actions skipped for 32 requests in flight`,
    "",
    "| minute | RSS MiB | heap MiB | server CPU % | loop p99 ms | loop max ms | load's loop p99 ms | connections | sent/s | delivered/s | lost | errors | load avg |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...result.minutes.map(
      (row) =>
        `| ${row.minute} | ${mib(row.rssBytes)} | ${mib(row.heapUsedBytes)} | ${(row.serverCpu * 100).toFixed(0)} | ${fixed(row.loopDelayP99)} | ${fixed(row.loopDelayMax)} | ${fixed(row.loadLoopDelayP99)} | ${count(row.connections)} | ${count(row.sentPerSecond)} | ${count(row.receivedPerSecond)} | ${row.lost} | ${row.errors} | ${fixed(row.loadAverage, 2)} |`,
    ),
    "",
  ];
  if (result.errorSamples.length > 0)
    out.push("First errors:", "", ...result.errorSamples.map((e) => `- ${e}`), "");
  if (result.lostSamples.length > 0)
    out.push("First losses:", "", ...result.lostSamples.map((e) => `- ${e}`), "");
  return out.join("\n");
}
