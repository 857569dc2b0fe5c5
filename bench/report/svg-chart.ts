import type { CaseResult } from "../harness/records.js";
import type { BenchReport } from "./bench-report.js";
import { integer, micros } from "./format.js";
import { axis, legend, svgStart, xml, yAxis } from "./svg-parts.js";

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

interface Group {
  label: [string, string];
  results: (CaseResult | undefined)[];
}

const BAR = 26;
const BAR_GAP = 4;
const GROUP_GAP = 34;
const LEFT = 78;
const RIGHT = 24;
const TOP = 96;
const PLOT_HEIGHT = 380;
const BOTTOM = 64;

/** The delivery cases as groups of bars, fanout by subscribers and window, then channels and p2p. */
function groups(report: BenchReport): Group[] {
  const out: Group[] = [];
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
    out.push({ label, results: SERIES.map((series) => find(idFor(series.protocol), series.system)) });
  }
  return out;
}

/** Grouped bars of server CPU µs per delivery per scenario and system, as hand-written SVG. */
export function renderSvgChart(report: BenchReport): string {
  const data = groups(report);
  const groupWidth = SERIES.length * (BAR + BAR_GAP) - BAR_GAP;
  const width = LEFT + Math.max(1, data.length) * (groupWidth + GROUP_GAP) + RIGHT;
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const values = data.flatMap((group) => group.results.map((result) => result?.headline?.median ?? 0));
  const { max, step } = axis(Math.max(...values, 0) * 1.08);
  const y = (value: number) => TOP + PLOT_HEIGHT - (value / max) * PLOT_HEIGHT;
  const out: string[] = [
    ...svgStart(width, height),
    `<text x="${LEFT}" y="30" font-size="18" font-weight="bold">Server CPU per delivery (µs), median of interleaved runs (fanout ${report.config.repeats}, channels/p2p ${report.config.pairRepeats}); lower is better</text>`,
    `<text x="${LEFT}" y="50" font-size="12" fill="#555">${xml(`${report.startedAt}, ${report.suite} suite, Node ${report.machine.node}, ${report.machine.cores} cores; 64-byte payloads; the server in its own process`)}</text>`,
  ];
  out.push(
    ...legend(SERIES, LEFT, 64, 170),
    ...yAxis(
      { max, step },
      y,
      { left: LEFT, right: width - RIGHT, middle: TOP + PLOT_HEIGHT / 2 },
      "µs of server CPU per delivery",
    ),
  );
  data.forEach((group, g) => {
    const gx = LEFT + GROUP_GAP / 2 + g * (groupWidth + GROUP_GAP);
    group.results.forEach((result, i) => {
      const series = SERIES[i] as Series;
      const x = gx + i * (BAR + BAR_GAP);
      const cx = x + BAR / 2;
      const value = result?.headline?.median;
      if (result === undefined || result.status === "n/a") return;
      if (value === undefined) {
        const text = result.status === "skipped" ? "skipped" : "FAILED";
        const color = result.status === "skipped" ? "#888" : "#c00";
        out.push(
          `<text transform="translate(${cx + 4} ${y(0) - 6}) rotate(-90)" font-size="11" fill="${color}">${text}</text>`,
        );
        return;
      }
      const top = y(value);
      const failed = result.status === "failed";
      out.push(
        `<rect x="${x}" y="${top}" width="${BAR}" height="${y(0) - top}" fill="${series.color}"${failed ? ' stroke="#c00" stroke-width="3"' : ""}><title>${xml(`${series.label}, ${group.label.join(", ")}: ${micros(value)} µs`)}</title></rect>`,
        `<text x="${cx}" y="${top - 4}" font-size="10" text-anchor="middle">${failed ? "FAILED " : ""}${micros(value)}</text>`,
      );
    });
    const lx = gx + groupWidth / 2;
    out.push(
      `<text x="${lx}" y="${TOP + PLOT_HEIGHT + 22}" font-size="13" text-anchor="middle">${xml(group.label[0])}</text>`,
      `<text x="${lx}" y="${TOP + PLOT_HEIGHT + 40}" font-size="12" fill="#555" text-anchor="middle">${xml(group.label[1])}</text>`,
    );
  });
  out.push("</svg>", "");
  return out.join("\n");
}
