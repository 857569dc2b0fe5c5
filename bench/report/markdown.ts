import type {
  CaseResult,
  ConnectionsMeasurement,
  DeliveryMeasurement,
  ScenarioCase,
} from "../harness/records.js";
import type { ModeResult } from "../redis-modes.js";
import { requestReplyMarkdown } from "../request-reply/report.js";
import { SYSTEMS } from "../systems/systems.js";
import type { BenchReport } from "./bench-report.js";
import { crossNodeSection } from "./cross-node-markdown.js";
import {
  CLIENT_BOUND_CORES,
  integer,
  kibibytes,
  loadCores,
  mebibytes,
  micros,
  millis,
  ratio,
} from "./format.js";
import { stormSection } from "./storm-markdown.js";

/** Server and load together at or above this share of the machine's cores: the machine is full. */
const MACHINE_FULL_SHARE = 0.9;

function machineBusy(m: DeliveryMeasurement): number {
  return m.serverCores + m.loadCoresTotal;
}

const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
const header = (cells: string[]) => [row(cells), row(cells.map(() => "---"))];

/** The cases of `kind`, in the order they ran, each once. */
function casesOf(report: BenchReport, kinds: ScenarioCase["kind"][]): ScenarioCase[] {
  const seen = new Map<string, ScenarioCase>();
  for (const result of report.results)
    if (kinds.includes(result.case.kind)) seen.set(result.case.id, result.case);
  return [...seen.values()];
}

const resultsOf = (report: BenchReport, scenario: ScenarioCase) =>
  report.results.filter((result) => result.case.id === scenario.id);

function statusCell(result: CaseResult): string | undefined {
  if (result.status === "n/a") return "n/a";
  if (result.status === "skipped") return "skipped";
  if (result.headline === undefined) return "**FAILED**";
  return undefined;
}

function headlineCell(result: CaseResult | undefined, unit: (value: number) => string): string {
  if (result === undefined) return "";
  const status = statusCell(result);
  if (status !== undefined) return status;
  const headline = result.headline as NonNullable<CaseResult["headline"]>;
  const failed = result.status === "failed" ? " **FAILED**" : "";
  const versus = result.vsReference === undefined ? "" : ` (${ratio(result.vsReference)})`;
  return `${unit(headline.median)}${versus}${failed}`;
}

function headlineTable(report: BenchReport): string[] {
  const systems = SYSTEMS.filter((system) => report.config.systems.includes(system.id));
  const lines = header(["scenario", ...systems.map((system) => system.label)]);
  for (const scenario of casesOf(report, ["fanout", "channels", "p2p"])) {
    const results = resultsOf(report, scenario);
    lines.push(
      row([
        scenario.title,
        ...systems.map((system) =>
          headlineCell(
            results.find((r) => r.system === system.id),
            (v) => `${micros(v)} µs`,
          ),
        ),
      ]),
    );
  }
  for (const scenario of casesOf(report, ["connections"])) {
    const results = resultsOf(report, scenario);
    lines.push(
      row([
        `${scenario.title} (server RSS per connection)`,
        ...systems.map((system) =>
          headlineCell(
            results.find((r) => r.system === system.id),
            (v) => `${kibibytes(v)} KiB`,
          ),
        ),
      ]),
    );
  }
  return lines;
}

function deliveryTable(report: BenchReport): string[] {
  const lines = header([
    "scenario",
    "system",
    "server CPU µs/delivery: median (min–max)",
    "vs ws forwarder",
    "deliveries/s",
    "latency p50 / p99 / max (ms)",
    "lost",
    "server peak RSS (MiB)",
    "server busy (cores)",
    "load-gen CPU µs/delivery",
    "load-gen busiest process (cores)",
    `machine busy (cores of ${report.machine.cores})`,
    "runs",
  ]);
  for (const scenario of casesOf(report, ["fanout", "channels", "p2p"])) {
    for (const result of resultsOf(report, scenario)) {
      if (result.status === "n/a") continue;
      const status = statusCell(result);
      if (status !== undefined) {
        lines.push(row([scenario.title, result.systemLabel, status, "", "", "", "", "", "", "", "", "", ""]));
        continue;
      }
      const m = result.median as DeliveryMeasurement;
      const h = result.headline as NonNullable<CaseResult["headline"]>;
      const lost = result.runs.reduce((sum, run) => sum + (run.type === "deliveries" ? run.lost : 0), 0);
      lines.push(
        row([
          scenario.title,
          result.systemLabel,
          `${micros(h.median)} (${micros(h.min)}–${micros(h.max)})${result.status === "failed" ? " **FAILED**" : ""}`,
          ratio(result.vsReference),
          integer(m.deliveriesPerSecond),
          `${millis(m.latencyMicros.p50)} / ${millis(m.latencyMicros.p99)} / ${millis(m.latencyMicros.max)}`,
          lost === 0 ? "0" : `**${integer(lost)}**`,
          mebibytes(m.serverPeakRssBytes),
          m.serverCores.toFixed(2),
          micros(m.loadCpuMicrosPerDelivery),
          `${loadCores(m.loadCores)} of ${m.loadProcesses}`,
          `${machineBusy(m).toFixed(2)}${machineBusy(m) >= MACHINE_FULL_SHARE * report.machine.cores ? " (full)" : ""}`,
          String(result.runs.length),
        ]),
      );
    }
  }
  return lines;
}

function connectionsTable(report: BenchReport): string[] {
  const lines = header([
    "connections",
    "system",
    "server RSS per connection (KiB)",
    "vs ws forwarder",
    "time to connect (s)",
    "connections/s",
    "server CPU µs/connection",
    "server peak RSS (MiB)",
    "connect p50 / p99 / max (ms)",
    "load-gen busiest process (cores)",
  ]);
  for (const scenario of casesOf(report, ["connections"])) {
    for (const result of resultsOf(report, scenario)) {
      const status = statusCell(result);
      const m = result.median as ConnectionsMeasurement | undefined;
      if (status !== undefined || m === undefined) {
        lines.push(
          row([
            integer(scenario.params.connections ?? 0),
            result.systemLabel,
            status ?? "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
          ]),
        );
        continue;
      }
      lines.push(
        row([
          integer(m.connections),
          result.systemLabel,
          kibibytes(m.rssBytesPerConnection),
          ratio(result.vsReference),
          (m.connectMs / 1000).toFixed(2),
          integer(m.connectionsPerSecond),
          integer(m.serverCpuMicrosPerConnection),
          mebibytes(m.serverPeakRssBytes),
          `${millis(m.handshakeMicros.p50)} / ${millis(m.handshakeMicros.p99)} / ${millis(m.handshakeMicros.max)}`,
          `${m.loadCores.toFixed(2)} of ${m.loadProcesses}`,
        ]),
      );
    }
  }
  return lines;
}

function inProcessTable(report: BenchReport): string[] {
  if (report.inProcess === undefined) return [];
  const lines = ["## WEST-TS in process (embedded clients, no network)", ""];
  lines.push(...header(["scenario", "time per unit", "heap allocated per unit", "rate"]));
  for (const result of report.inProcess) {
    const bytes = result.bytesPerUnit === undefined ? "n/a" : `${result.bytesPerUnit.toFixed(1)} B`;
    lines.push(
      row([
        result.scenario,
        `${result.nanosPerUnit.toFixed(1)} ns`,
        bytes,
        `${integer(result.unitsPerSecond)} ${result.unit}/s`,
      ]),
    );
  }
  return [...lines, ""];
}

function redisTable(report: BenchReport): string[] {
  const modes = report.redisModes;
  if (modes === undefined) return [];
  const lines = ["## WEST-TS over Redis (three nodes in one process)", ""];
  if ("skipped" in modes) return [...lines, `Skipped: ${modes.skipped}`, ""];
  lines.push(
    ...header([
      "mode",
      "scenario",
      "history",
      "deliveries/s",
      "WEST CPU µs/delivery",
      "vs local",
      "vs no history",
      "Redis CPU µs/message",
    ]),
  );
  for (const result of modes) {
    const alike = (m: ModeResult) => m.scenario === result.scenario && m.history === result.history;
    const local = modes.find((m) => alike(m) && m.mode.startsWith("local"));
    const plain = modes.find(
      (m) => m.scenario === result.scenario && m.mode === result.mode && m.history === undefined,
    );
    lines.push(
      row([
        result.mode,
        result.scenario,
        result.history === undefined ? "-" : `size ${result.history}`,
        integer(result.deliveriesPerSecond),
        micros(result.westCpuMicrosPerDelivery),
        local === undefined ? "" : ratio(result.westCpuMicrosPerDelivery / local.westCpuMicrosPerDelivery),
        plain === undefined || result.history === undefined
          ? ""
          : ratio(result.westCpuMicrosPerDelivery / plain.westCpuMicrosPerDelivery),
        micros(result.redisCpuMicrosPerMessage),
      ]),
    );
  }
  return [...lines, ""];
}

function slowConsumerTable(report: BenchReport): string[] {
  if (report.slowConsumer === undefined) return [];
  const lines = [
    "## WEST-TS with a stalled subscriber (same run; its byte limit raised so it stays through the phase)",
    "",
    ...header([
      "case",
      "run",
      "others' deliveries/s",
      "server CPU µs/delivery",
      "p99 ms",
      "server peak RSS MiB",
    ]),
  ];
  for (const { case: title, run, measurement: m } of report.slowConsumer) {
    lines.push(
      row([
        title,
        String(run),
        integer(m.deliveriesPerSecond),
        micros(m.serverCpuMicrosPerDelivery),
        millis(m.latencyMicros.p99),
        mebibytes(m.serverPeakRssBytes),
      ]),
    );
  }
  return [...lines, ""];
}

/**
 * Where the busiest load process was near a full core, or server and load together filled the machine:
 * there deliveries/s and latency say more about the client or the machine than about the server.
 */
function limitNotes(report: BenchReport): string[] {
  const medians = report.results.flatMap((result) =>
    result.median?.type === "deliveries" ? [{ result, m: result.median }] : [],
  );
  const name = ({ result }: { result: CaseResult }) => `${result.case.title} on ${result.systemLabel}`;
  const clientBound = medians.filter(({ m }) => m.loadCores >= CLIENT_BOUND_CORES);
  const machineFull = medians.filter(
    ({ m }) =>
      m.loadCores < CLIENT_BOUND_CORES && machineBusy(m) >= MACHINE_FULL_SHARE * report.machine.cores,
  );
  const notes: string[] = [];
  if (clientBound.length > 0)
    notes.push(
      `- The load generator was the limit (its busiest process at ${CLIENT_BOUND_CORES}+ of a core) in: ${clientBound.map(name).join("; ")}. There deliveries/s and latency show the client's pace; server CPU per delivery still measures the server.`,
    );
  if (machineFull.length > 0)
    notes.push(
      `- The machine was full (server and load generator together at ${MACHINE_FULL_SHARE * 100}%+ of its ${report.machine.cores} cores) in: ${machineFull.map(name).join("; ")}.`,
    );
  return notes;
}

export function renderMarkdown(report: BenchReport): string {
  const { machine } = report;
  const lines = [
    "# WEST-TS benchmarks against peers",
    "",
    `${report.startedAt}, ${report.suite} suite, ${(report.durationSeconds / 60).toFixed(1)} min; Node ${machine.node}, ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.platform}; commit ${report.commit}.`,
    "",
    `Systems: ${report.systems.map((system) => `${system.label} ${system.version}`).join(", ")}.`,
    "",
  ];
  if (report.failures.length > 0) {
    lines.push(
      `**FAILED (${report.failures.length}):**`,
      "",
      ...report.failures.map((failure) => `- ${failure}`),
      "",
    );
  }
  lines.push(
    `## Server CPU per delivery: median of interleaved runs (fanout ${report.config.repeats}, channels and p2p ${report.config.pairRepeats}, connections 1); in brackets the ratio to the ws forwarder; lower is better`,
    "",
    ...headlineTable(report),
    "",
    "## Delivery scenarios in detail (the median run)",
    "",
    ...deliveryTable(report),
    "",
    "## Idle connections",
    "",
    ...connectionsTable(report),
    "",
    ...inProcessTable(report),
    ...redisTable(report),
    ...slowConsumerTable(report),
    ...crossNodeSection(report.crossNode),
    ...stormSection(report.storm),
    ...(report.requestReply === undefined ? [] : requestReplyMarkdown(report.requestReply)),
    "## Notes",
    "",
    ...limitNotes(report),
    ...report.notes.map((note) => `- ${note}`),
    "",
  );
  return lines.join("\n");
}
