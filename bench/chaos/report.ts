import { type ChaosResult, quietTailMs } from "./chaos.js";
import { seconds } from "./checker/describe.js";
import type { Violation } from "./checker/verdict.js";
import type { HistoryEvent } from "./history.js";
import type { NodeLogSummary } from "./node-logs.js";

/** How many violations of each rule, and excused losses, the report lists in full (all are counted). */
const LISTED_PER_RULE = 25;
const LISTED_EXCUSES = 20;

const count = (value: number) => value.toLocaleString("en-US");
const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([key, value]) => `${key} ${count(value)}`)
    .join(", ") || "none";

/** The verdict line and the figures: what the console prints. */
export function renderSummary(result: ChaosResult): string {
  const { verdict, figures, options } = result;
  const commandRows = Object.entries(figures.commands).map(
    ([command, replies]) =>
      `| ${command} | ${count(Object.values(replies).reduce((a, b) => a + b, 0))} | ${counts(replies)} |`,
  );
  const faultRows = Object.entries(figures.faults).map(([kind, fault]) => {
    const sorted = [...fault.durationsMs].sort((a, b) => a - b);
    return `| ${kind} | ${fault.count} | ${sorted[0] ?? 0} | ${sorted[Math.floor(sorted.length / 2)] ?? 0} | ${sorted[sorted.length - 1] ?? 0} |`;
  });
  const verdictLine = verdict.passed
    ? "**Verdict: passed** (no violation)"
    : `**Verdict: FAILED**, ${count(verdict.violations.length)} violations: ${counts(figures.violations)}`;
  return [
    `${verdictLine}. Mode ${options.mode}, seed ${options.seed}, ${(figures.loadMs / 60_000).toFixed(2)} min of load, ${options.nodes} nodes, ${options.nodes * options.clientsPerNode} clients; wall time ${(result.wallMs / 1000).toFixed(0)} s.`,
    "",
    "| command | sent | replies |",
    "|---|---:|---|",
    ...commandRows,
    "",
    `- Deliveries: ${count(figures.deliveries.sends)} sends, ${count(figures.deliveries.publishes)} publications, ${count(figures.deliveries.unknown)} of unknown payloads; ${count(figures.registrationLost)} registration_lost notices`,
    `- History (the channels with it): ${count(figures.history.stamped)} deliveries with an offset, each checked (rule history-gap); ${count(figures.history.recovering)} subscribes recovering from an offset: ${count(figures.history.recovered)} recovered: true, ${count(figures.history.notRecovered)} recovered: false`,
    `- Connections: ${count(figures.connections.opened)} opened, ${count(figures.connections.connectFailures)} failed attempts; closes: ${counts(figures.connections.closes)}`,
    `- Recovery (/healthz 200 after a fault ended, per node): median ${figures.recoveryMs.median} ms, max ${figures.recoveryMs.max} ms over ${figures.recoveryMs.count} probes; ${figures.recoveryMs.notRecovered} did not recover`,
    `- Node exits: ${counts(figures.nodeExits)}`,
    `- Excused losses (sending_succeeded never delivered, owner cut off within ${options.rules.excuseWindowMs} ms): ${count(Object.values(figures.excusedLosses).reduce((a, b) => a + b, 0))} (${counts(figures.excusedLosses)})`,
    "",
    "| fault | count | min ms | median ms | max ms |",
    "|---|---:|---:|---:|---:|",
    ...faultRows,
  ].join("\n");
}

/** The whole report: summary, settings, violations, excused losses, the faults one by one, files and logs. */
export function renderChaosMarkdown(
  result: ChaosResult,
  environment: string,
  logs: NodeLogSummary[],
): string {
  const { verdict, options } = result;
  const { nemesis, clients } = options;
  const excused = verdict.excused.slice(0, LISTED_EXCUSES);
  return [
    `# Chaos run: ${options.mode}, seed ${options.seed}`,
    "",
    renderSummary(result),
    "",
    `Started ${result.startedAt}. ${environment}`,
    "",
    "## Settings",
    "",
    `- Redis: ${options.mode === "standalone" ? "one redis-server (fault: kill -9, restarted on its port with no data)" : "a Redis Cluster of 3 masters with 1 replica each (fault: kill -9 a master, its replica takes over, the master is restarted and rejoins as a replica)"}`,
    `- Nodes: ${options.nodes} \`west start --dist=redis\` processes, \`--redis-heartbeat-ttl-ms=${options.heartbeatTtlMs}\` (lease ${options.heartbeatTtlMs / 2} ms), \`--command-timeout-ms=${options.commandTimeoutMs}\`, \`--log-level=${options.logLevel}\``,
    `- Nemesis: one fault at a time, weights ${JSON.stringify(nemesis.weights)}; pause (SIGSTOP/SIGCONT) ${nemesis.pauseMs.min}-${nemesis.pauseMs.max} ms log-uniform; kill -9 and restart after ${nemesis.killDowntimeMs.min}-${nemesis.killDowntimeMs.max} ms; gaps ${nemesis.gapMs.min}-${nemesis.gapMs.max} ms after each recovery; no fault starts in the last ${(quietTailMs(options.durationMs) / 1000).toFixed(0)} s`,
    `- Clients: ${options.clientsPerNode} per node, JSON protocol; point-to-point pool ${options.pools.pointToPoint.join(" ")}, pub/sub pool ${options.pools.pubSub.join(" ")}; an action every ${clients.actionIntervalMs.min}-${clients.actionIntervalMs.max} ms with at most ${clients.maxInFlight} in flight, weights ${JSON.stringify(clients.weights)}; reconnect after ${clients.reconnectDelayMs.min}-${clients.reconnectDelayMs.max} ms (home node ${clients.homeNodeChance * 100}%)`,
    `- Checker: recovery limit ${options.rules.recoveryLimitMs} ms, excuse window ${options.rules.excuseWindowMs} ms`,
    "",
    "## Violations",
    "",
    ...(verdict.violations.length === 0 ? ["None.", ""] : violationsByRule(verdict.violations)),
    `## Excused losses${verdict.excused.length > excused.length ? ` (the first ${excused.length} of ${verdict.excused.length})` : ""}`,
    "",
    ...(excused.length === 0
      ? ["None."]
      : excused.map((loss) => `- at ${seconds(loss.at)}: ${loss.message}`)),
    "",
    "## Faults",
    "",
    "| # | kind | target | start | end | planned ms | slowest recovery ms |",
    "|---:|---|---|---:|---:|---:|---:|",
    ...faultTimeline(result.history),
    "",
    "## Files",
    "",
    `- History (NDJSON, ${count(result.history.length)} events, one clock in ms since the run began): \`${result.historyFile}\``,
    ...logs.map(
      (log, node) =>
        `- Node ${node} log \`${log.file}\`: ${count(log.lines)} lines, ${log.warnings} warnings, ${log.errors} errors${log.frequent.length === 0 ? "" : `; most frequent: ${log.frequent.map(([msg, n]) => `"${msg}" x${n}`).join(", ")}`}`,
    ),
    "",
  ].join("\n");
}

/** A section per broken rule, its first violations in time order. */
function violationsByRule(violations: readonly Violation[]): string[] {
  const byRule = new Map<string, Violation[]>();
  for (const violation of violations)
    byRule.set(violation.rule, [...(byRule.get(violation.rule) ?? []), violation]);
  return [...byRule].flatMap(([rule, list]) => [
    `### ${rule}: ${count(list.length)}${list.length > LISTED_PER_RULE ? ` (the first ${LISTED_PER_RULE})` : ""}`,
    "",
    ...list.slice(0, LISTED_PER_RULE).map((v) => `- at ${seconds(v.at)}: ${v.message}`),
    "",
  ]);
}

function faultTimeline(history: readonly HistoryEvent[]): string[] {
  const rows = new Map<
    number,
    { kind: string; target: string; start: number; end?: number; planned: number; slowest?: number | null }
  >();
  for (const event of history) {
    if (event.type === "fault_start")
      rows.set(event.fault, {
        kind: event.kind,
        target: event.target,
        start: event.at,
        planned: event.plannedMs,
      });
    const row = "fault" in event ? rows.get(event.fault) : undefined;
    if (row === undefined) continue;
    if (event.type === "fault_end") row.end = event.at;
    if (event.type === "recovery")
      row.slowest =
        event.afterMs === null || row.slowest === null ? null : Math.max(row.slowest ?? 0, event.afterMs);
  }
  return [...rows].map(
    ([fault, row]) =>
      `| ${fault} | ${row.kind} | ${row.target} | ${seconds(row.start)} | ${row.end === undefined ? "-" : seconds(row.end)} | ${row.planned} | ${row.slowest === null ? "not recovered" : (row.slowest ?? "-")} |`,
  );
}
