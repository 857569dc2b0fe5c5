import { axis, legend, svgStart, tickLabel, xml, yAxis } from "../report/svg-parts.js";
import type { SoakSample } from "./samples.js";
import type { SoakResult } from "./soak.js";

interface Line {
  label: string;
  color: string;
  value: (sample: SoakSample) => number;
  dashed?: boolean;
}

const WIDTH = 900;
const LEFT = 78;
const RIGHT = 24;
const TOP = 84;
const PANEL = 220;
const PANEL_GAP = 70;
const BOTTOM = 50;
const MiB = 1024 * 1024;

const MEMORY: Line[] = [
  { label: "RSS", color: "#1f5fa8", value: (s) => s.rssBytes / MiB },
  { label: "heap used", color: "#6aa5e3", value: (s) => s.heapUsedBytes / MiB },
];
const DELAY: Line[] = [
  { label: "event-loop delay p99", color: "#d9822b", value: (s) => s.loopDelay.p99 },
  { label: "event-loop delay max", color: "#7a7a7a", value: (s) => s.loopDelay.max, dashed: true },
];

/** One panel: a y axis with round ticks, the lines over time, a legend above. */
function panel(samples: SoakSample[], lines: Line[], top: number, unit: string, minutes: number): string[] {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const { max, step } = axis(
    Math.max(0, ...samples.flatMap((s) => lines.map((line) => line.value(s)))) * 1.08,
  );
  const x = (seconds: number) => LEFT + (seconds / 60 / minutes) * plotWidth;
  const y = (value: number) => top + PANEL - (value / max) * PANEL;
  const out = [
    ...legend(lines, LEFT, top - 24, 220),
    ...yAxis({ max, step }, y, { left: LEFT, right: WIDTH - RIGHT, middle: top + PANEL / 2 }, unit),
  ];
  for (const line of lines) {
    const points = samples.map((s) => `${x(s.seconds).toFixed(1)},${y(line.value(s)).toFixed(1)}`).join(" ");
    out.push(
      `<polyline points="${points}" fill="none" stroke="${line.color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="4 3"' : ""}/>`,
    );
  }
  const { step: minuteStep } = axis(minutes);
  for (let minute = 0; minute <= minutes + 1e-9; minute += minuteStep)
    out.push(
      `<text x="${x(minute * 60)}" y="${top + PANEL + 18}" font-size="12" text-anchor="middle">${tickLabel(minute, minuteStep)}</text>`,
    );
  return out;
}

/** The server's RSS and heap (top) and event-loop delay (bottom) over the soak, as hand-written SVG. */
export function renderSoakChart(result: SoakResult): string {
  const { samples, options, verdict } = result;
  const minutes = Math.max(options.durationMs / 60_000, (samples[samples.length - 1]?.seconds ?? 0) / 60);
  const height = TOP + 2 * PANEL + PANEL_GAP + BOTTOM;
  const status = verdict.passed ? "passed" : `FAILED: ${verdict.failures.join("; ")}`;
  const out = [
    ...svgStart(WIDTH, height),
    `<text x="${LEFT}" y="26" font-size="18" font-weight="bold">${xml(`Soak: server memory and event-loop delay, ${options.connections} connections, ${(options.reconnectFraction * 100).toFixed(0)}% reconnecting`)}</text>`,
    `<text x="${LEFT}" y="46" font-size="12" fill="#555">${xml(`${result.startedAt}, ${minutes.toFixed(1)} min, sampled every ${options.sampleMs / 1000} s; verdict: ${status}`)}</text>`,
    ...panel(samples, MEMORY, TOP, "MiB", minutes),
    ...panel(samples, DELAY, TOP + PANEL + PANEL_GAP, "ms", minutes),
    `<text x="${LEFT + (WIDTH - LEFT - RIGHT) / 2}" y="${height - 10}" font-size="13" text-anchor="middle">minutes</text>`,
    "</svg>",
    "",
  ];
  return out.join("\n");
}
