import type { CrossCase, CrossNodeReport, CrossSystemId } from "../cross-node/records.js";
import { renderBarChart } from "./bar-chart.js";
import type { BenchReport } from "./bench-report.js";
import { integer } from "./format.js";

const COLORS: Record<CrossSystemId, string> = {
  "west-redis": "#1f5fa8",
  "west-cluster": "#6aa5e3",
  "socketio-redis": "#d9822b",
  "socketio-sharded": "#f0b872",
  nats: "#3a9e5c",
};

function groupLabel({ kind, params }: CrossCase): [string, string] {
  switch (kind) {
    case "fanout":
      return [`fan-out ${integer(params.subscribers ?? 0)} subs`, `${integer(params.window ?? 0)} in flight`];
    case "pairs":
    case "p2p":
      return [kind, `${integer(params.pairs ?? 0)} pairs`];
    case "one-client":
      return ["one client", `${integer(params.window ?? 0)} in flight`];
  }
}

/** Grouped bars of CPU µs per delivery (servers plus Redis or NATS) per scenario and system. */
export function renderCrossNodeChart(report: BenchReport, crossNode: CrossNodeReport): string {
  const cases = [...new Map(crossNode.results.map((result) => [result.case.id, result.case])).values()];
  return renderBarChart({
    title: `Across nodes: CPU per delivery (µs) of 3 server processes plus Redis or NATS, median of ${crossNode.repeats} interleaved runs; lower is better`,
    subtitle: `${report.startedAt}, Node ${report.machine.node}, ${report.machine.cores} cores; 64-byte payloads; every process on 127.0.0.1`,
    series: crossNode.systems.map((system) => ({ label: system.label, color: COLORS[system.id] })),
    legendSpacing: 210,
    yTitle: "µs of CPU per delivery",
    groups: cases.map((crossCase) => ({
      label: groupLabel(crossCase),
      bars: crossNode.systems.map((system) => {
        const result = crossNode.results.find((r) => r.case.id === crossCase.id && r.system === system.id);
        return result === undefined
          ? undefined
          : { value: result.median?.cpuMicrosPerDelivery, status: result.status };
      }),
    })),
  });
}
