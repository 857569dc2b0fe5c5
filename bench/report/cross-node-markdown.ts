import type { CrossMedian, CrossNodeReport, CrossResult } from "../cross-node/records.js";
import { integer, micros, millis } from "./format.js";

const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
const header = (cells: string[]) => [row(cells), row(cells.map(() => "---"))];

/** A result's median through `show`, or why there is none; a failed case says so. */
function cell(result: CrossResult | undefined, show: (median: CrossMedian) => string): string {
  if (result === undefined) return "";
  if (result.status === "skipped") return "skipped";
  if (result.median === undefined) return "**FAILED**";
  return `${show(result.median)}${result.status === "failed" ? " **FAILED**" : ""}`;
}

/** A table of scenarios by system, each cell a figure of the median. */
function table(report: CrossNodeReport, show: (median: CrossMedian) => string): string[] {
  const lines = header(["scenario", ...report.systems.map((system) => system.label)]);
  const cases = [...new Map(report.results.map((result) => [result.case.id, result.case])).values()];
  for (const crossCase of cases) {
    const find = (system: string) =>
      report.results.find((result) => result.case.id === crossCase.id && result.system === system);
    lines.push(row([crossCase.title, ...report.systems.map((system) => cell(find(system.id), show))]));
  }
  return lines;
}

function rate(median: CrossMedian): string {
  const deliveries = `${integer(median.deliveriesPerSecond)} deliveries/s`;
  return median.publishesPerSecond === undefined
    ? deliveries
    : `${integer(median.publishesPerSecond)} acked publishes/s, ${deliveries}`;
}

function targetsTable(report: CrossNodeReport): string[] {
  const lines = header(["scenario", "ratio of medians", "target", "value", "met"]);
  for (const target of report.targets)
    lines.push(
      row([
        target.scenario,
        target.ratio,
        target.goal,
        target.value === undefined ? "–" : target.value.toFixed(2),
        target.met === undefined ? "–" : target.met ? "yes" : "**no**",
      ]),
    );
  return lines;
}

/** The "Across nodes" section of the bench's markdown: 3 server processes per system. */
export function crossNodeSection(report: CrossNodeReport | undefined): string[] {
  if (report === undefined) return [];
  const runs = `median of ${report.repeats} interleaved run${report.repeats === 1 ? "" : "s"}`;
  return [
    "## Across nodes: 3 server processes per system",
    "",
    `### CPU per delivery (µs): server processes plus Redis or NATS, ${runs}; lower is better`,
    "",
    ...table(report, (median) => `${micros(median.cpuMicrosPerDelivery)} µs`),
    "",
    "### Rates",
    "",
    ...table(report, rate),
    "",
    "### Latency p50 / p99 (ms), send to arrival",
    "",
    ...table(report, (median) => `${millis(median.p50Micros)} / ${millis(median.p99Micros)}`),
    "",
    "### Lost (all runs; expected minus received per receiving connection)",
    "",
    ...table(report, (median) => (median.lost === 0 ? "0" : `**${integer(median.lost)}**`)),
    "",
    "### Targets (ratios of the medians above; reported, never a failure)",
    "",
    ...targetsTable(report),
    "",
  ];
}
