import { LAUNCH_BATCH } from "../harness/storm-clients.js";
import type { StormAuth, StormReport, StormResult } from "../storm/records.js";
import { integer, loadCores, mebibytes, micros, millis, ratio } from "./format.js";

const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
const header = (cells: string[]) => [row(cells), row(cells.map(() => "---"))];

const AUTH_TITLES: Record<StormAuth, string> = {
  off: "Without auth",
  jwt: "With a token per client (HS256 JWT in ?token=, verified on the upgrade; Socket.IO: in an io.use middleware)",
};

const COLUMNS = [
  "system",
  "server CPU µs/connection",
  "vs ws forwarder",
  "all subscribed (s)",
  "per client p50 / p99 (ms)",
  "server peak RSS (MiB)",
  "server busy (cores)",
  "refused / failed (all runs)",
  "load-gen CPU µs/connection",
  "load-gen busiest process (cores)",
  "attempts started within (ms)",
  "runs",
];

function unconnected(result: StormResult): string {
  const refused = result.runs.reduce((sum, run) => sum + run.refused, 0);
  const failed = result.runs.reduce((sum, run) => sum + run.failed, 0);
  return refused + failed === 0 ? "0 / 0" : `**${integer(refused)} / ${integer(failed)}**`;
}

function resultRow(result: StormResult): string {
  const m = result.median;
  if (m === undefined) {
    const status = result.status === "failed" ? "**FAILED**" : result.status;
    return row([result.label, status, ...COLUMNS.slice(2).map(() => "")]);
  }
  return row([
    result.label,
    `${micros(m.serverCpuMicrosPerConnection)}${result.status === "failed" ? " **FAILED**" : ""}`,
    ratio(result.vsReference),
    (m.allSubscribedMs / 1000).toFixed(2),
    `${millis(m.p50Micros)} / ${millis(m.p99Micros)}`,
    mebibytes(m.serverPeakRssBytes),
    m.serverCores.toFixed(2),
    unconnected(result),
    micros(m.loadCpuMicrosPerConnection),
    loadCores(m.loadCores),
    integer(m.launchSpreadMs),
    String(result.runs.length),
  ]);
}

function targetsTable({ targets }: StormReport): string[] {
  const { cpuRatio, cpuRatioGoal, westUnconnected } = targets;
  const met = (value: boolean | undefined) => (value === undefined ? "–" : value ? "yes" : "**no**");
  return [
    ...header(["target", "value", "goal", "met"]),
    row([
      "WEST-TS ÷ ws forwarder, server CPU per connection, without auth",
      cpuRatio === undefined ? "–" : cpuRatio.toFixed(2),
      `at most ${cpuRatioGoal}`,
      met(cpuRatio === undefined ? undefined : cpuRatio <= cpuRatioGoal),
    ]),
    row([
      "WEST-TS clients refused or failed (all runs, with and without auth)",
      westUnconnected === undefined ? "–" : integer(westUnconnected),
      "0 (maxConnections is 50,000 by default)",
      met(westUnconnected === undefined ? undefined : westUnconnected === 0),
    ]),
  ];
}

/** The "Reconnect storm" section of the bench's markdown. */
export function stormSection(report: StormReport | undefined): string[] {
  if (report === undefined) return [];
  const { config } = report;
  const runs = `median of ${config.repeats} interleaved run${config.repeats === 1 ? "" : "s"}`;
  const auths = [...new Set(report.results.map((result) => result.auth))];
  const notes = report.results
    .filter((result) => result.notes.length > 0)
    .map((result) => `- ${result.label}, auth ${result.auth}: ${result.notes.join("; ")}`);
  return [
    `## Reconnect storm: ${integer(config.clients)} clients connect and subscribe at once`,
    "",
    `As after a node restart: a fresh server, idle, then ${integer(config.clients)} clients spread over ${config.workers} load worker processes, each starting its connection without waiting for any other (${LAUNCH_BATCH} started per event-loop turn of its process), then subscribing to a channel of its own (Socket.IO and NATS first send the namespace connect or CONNECT their protocol needs and wait for its reply, as socket.io-client and nats.js do). A client not subscribed within ${config.clientTimeoutMs / 1000} s, or whose connection fails, counts as refused (never opened) or failed (opened, not subscribed) and is not retried: WEST-TS refusing any fails the run, a peer's refusals are a finding. Server CPU: all its threads from just before the storm until it is idle again, ÷ clients; each figure the ${runs}; in brackets the ratio to the ws forwarder with the same auth; lower is better.`,
    "",
    ...auths.flatMap((auth) => [
      `### ${AUTH_TITLES[auth]}`,
      "",
      ...header(COLUMNS),
      ...report.results.filter((result) => result.auth === auth).map(resultRow),
      "",
    ]),
    "### Targets (ratios of the medians above; reported, never a failure)",
    "",
    ...targetsTable(report),
    "",
    ...(notes.length === 0 ? [] : [...notes, ""]),
  ];
}
