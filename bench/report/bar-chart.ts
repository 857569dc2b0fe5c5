import { micros } from "./format.js";
import { axis, legend, svgStart, xml, yAxis } from "./svg-parts.js";

/** One bar: a value, or why there is none (a case skipped or failed with no run; n/a draws nothing). */
export interface Bar {
  value?: number;
  status: "ok" | "failed" | "skipped" | "n/a";
}

/** A group of bars side by side, one per series (undefined: nothing to draw), under a two-line label. */
export interface BarGroup {
  label: [string, string];
  bars: (Bar | undefined)[];
}

export interface BarChart {
  title: string;
  subtitle: string;
  series: { label: string; color: string }[];
  /** Space per legend entry. */
  legendSpacing: number;
  yTitle: string;
  groups: BarGroup[];
}

const BAR = 26;
const BAR_GAP = 4;
const GROUP_GAP = 34;
const LEFT = 78;
const RIGHT = 24;
const TOP = 96;
const PLOT_HEIGHT = 380;
const BOTTOM = 64;

/** Grouped bars with their values written on top, as hand-written SVG. */
export function renderBarChart(chart: BarChart): string {
  const { series, groups } = chart;
  const groupWidth = series.length * (BAR + BAR_GAP) - BAR_GAP;
  const width = LEFT + Math.max(1, groups.length) * (groupWidth + GROUP_GAP) + RIGHT;
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const values = groups.flatMap((group) => group.bars.map((bar) => bar?.value ?? 0));
  const { max, step } = axis(Math.max(...values, 0) * 1.08);
  const y = (value: number) => TOP + PLOT_HEIGHT - (value / max) * PLOT_HEIGHT;
  const out: string[] = [
    ...svgStart(width, height),
    `<text x="${LEFT}" y="30" font-size="18" font-weight="bold">${xml(chart.title)}</text>`,
    `<text x="${LEFT}" y="50" font-size="12" fill="#555">${xml(chart.subtitle)}</text>`,
  ];
  out.push(
    ...legend(series, LEFT, 64, chart.legendSpacing),
    ...yAxis(
      { max, step },
      y,
      { left: LEFT, right: width - RIGHT, middle: TOP + PLOT_HEIGHT / 2 },
      chart.yTitle,
    ),
  );
  groups.forEach((group, g) => {
    const gx = LEFT + GROUP_GAP / 2 + g * (groupWidth + GROUP_GAP);
    group.bars.forEach((bar, i) => {
      const { label, color } = series[i] as BarChart["series"][number];
      const x = gx + i * (BAR + BAR_GAP);
      const cx = x + BAR / 2;
      if (bar === undefined || bar.status === "n/a") return;
      if (bar.value === undefined) {
        const text = bar.status === "skipped" ? "skipped" : "FAILED";
        const textColor = bar.status === "skipped" ? "#888" : "#c00";
        out.push(
          `<text transform="translate(${cx + 4} ${y(0) - 6}) rotate(-90)" font-size="11" fill="${textColor}">${text}</text>`,
        );
        return;
      }
      const top = y(bar.value);
      const failed = bar.status === "failed";
      out.push(
        `<rect x="${x}" y="${top}" width="${BAR}" height="${y(0) - top}" fill="${color}"${failed ? ' stroke="#c00" stroke-width="3"' : ""}><title>${xml(`${label}, ${group.label.join(", ")}: ${micros(bar.value)} µs`)}</title></rect>`,
        `<text x="${cx}" y="${top - 4}" font-size="10" text-anchor="middle">${failed ? "FAILED " : ""}${micros(bar.value)}</text>`,
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
