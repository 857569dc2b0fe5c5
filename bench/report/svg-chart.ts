import type { CaseResult } from "../harness/records.js";
import { type BarGroup, renderBarChart } from "./bar-chart.js";
import type { BenchReport } from "./bench-report.js";
import { integer } from "./format.js";

/** One bar of a group: a system on a protocol. */
interface Series {
  label: string;
  color: string;
  system: string;
  protocol: "json" | "pb";
}

const SERIES: Series[] = [
  { label: "WEST-TS JSON", color: "#1f5fa8", system: "west", protocol: "json" },
  { label: "WEST-TS protobuf", color: "#6aa5e3", system: "west", protocol: "pb" },
  { label: "ws forwarder", color: "#7a7a7a", system: "ws-forwarder", protocol: "json" },
  { label: "Socket.IO", color: "#d9822b", system: "socketio", protocol: "json" },
  { label: "NATS (WebSocket)", color: "#3a9e5c", system: "nats", protocol: "json" },
];

const bar = (result: CaseResult | undefined) =>
  result === undefined ? undefined : { value: result.headline?.median, status: result.status };

/** The delivery cases as groups of bars, fanout by subscribers and window, then channels and p2p. */
function groups(report: BenchReport): BarGroup[] {
  const out: BarGroup[] = [];
  const find = (id: string, system: string) =>
    report.results.find((result) => result.case.id === id && result.system === system);
  const seen = new Set<string>();
  for (const result of report.results) {
    const { kind, params, id, protocol } = result.case;
    if (kind === "connections") continue;
    // One group per fanout size and window (JSON and protobuf side by side), one per channels/p2p case.
    const groupId = kind === "fanout" ? id.replace(`/${protocol}/`, "/") : id;
    if (seen.has(groupId)) continue;
    seen.add(groupId);
    const label: [string, string] =
      kind === "fanout"
        ? [`fanout ${integer(params.subscribers ?? 0)} subs`, `${params.window} in flight`]
        : [kind, `${integer(params.pairs ?? 0)} pairs`];
    const idFor = (p: string) =>
      kind === "fanout" ? id.replace(`/${protocol}/`, `/${p}/`) : p === protocol ? id : "";
    out.push({ label, bars: SERIES.map((series) => bar(find(idFor(series.protocol), series.system))) });
  }
  return out;
}

/** Grouped bars of server CPU µs per delivery per scenario and system, as hand-written SVG. */
export function renderSvgChart(report: BenchReport): string {
  return renderBarChart({
    title: `Server CPU per delivery (µs), median of interleaved runs (fanout ${report.config.repeats}, channels/p2p ${report.config.pairRepeats}); lower is better`,
    subtitle: `${report.startedAt}, ${report.suite} suite, Node ${report.machine.node}, ${report.machine.cores} cores; 64-byte payloads; the server in its own process`,
    series: SERIES,
    legendSpacing: 170,
    yTitle: "µs of server CPU per delivery",
    groups: groups(report),
  });
}
