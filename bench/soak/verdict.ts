import type { SoakCounters } from "./counters.js";
import type { SoakSample } from "./samples.js";

/** How a memory figure moved: least-squares slopes in MiB per minute over parts of the run. */
export interface Growth {
  firstThirdMiBPerMinute: number;
  lastThirdMiBPerMinute: number;
  lastHalfMiBPerMinute: number;
  /** The last half's slope times its length: how much it grew while it should have stayed flat. */
  lastHalfGrowthMiB: number;
  /** The most the last half may grow: the larger of a floor and a share of its median. */
  allowedGrowthMiB: number;
  /** undefined when the run had too few samples to tell. */
  levelsOff: boolean | undefined;
}

export interface SoakVerdict {
  rss: Growth;
  heap: Growth;
  /** Worst interval p99 of the server's event-loop delay in each half (ms), and the worst delay seen. */
  loopDelay: { firstHalfP99: number; lastHalfP99: number; max: number };
  passed: boolean;
  /** Why it failed (empty when it passed). */
  failures: string[];
}

export interface VerdictRule {
  /** Allowed growth over the last half, in percent of its median. */
  maxGrowthPercent: number;
  /** Growth below this is never counted as growth (allocator and GC noise). */
  floorMiB: number;
}

export const DEFAULT_RULE: VerdictRule = { maxGrowthPercent: 5, floorMiB: 4 };
const MIN_SAMPLES = 6;
const MiB = 1024 * 1024;

/** Least-squares slope of y over x; 0 with fewer than two points. */
export function slope(points: [number, number][]): number {
  if (points.length < 2) return 0;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function growth(samples: SoakSample[], bytes: (s: SoakSample) => number, rule: VerdictRule): Growth {
  const end = samples[samples.length - 1]?.seconds ?? 0;
  const points = (from: number, to: number): [number, number][] =>
    samples.filter((s) => s.seconds > from && s.seconds <= to).map((s) => [s.seconds / 60, bytes(s) / MiB]);
  const lastHalf = points(end / 2, end);
  const lastHalfMiBPerMinute = slope(lastHalf);
  const lastHalfGrowthMiB = lastHalfMiBPerMinute * (end / 2 / 60);
  const allowedGrowthMiB = Math.max(
    rule.floorMiB,
    (median(lastHalf.map(([, y]) => y)) * rule.maxGrowthPercent) / 100,
  );
  return {
    firstThirdMiBPerMinute: slope(points(-1, end / 3)),
    lastThirdMiBPerMinute: slope(points((2 * end) / 3, end)),
    lastHalfMiBPerMinute,
    lastHalfGrowthMiB,
    allowedGrowthMiB,
    levelsOff: samples.length < MIN_SAMPLES ? undefined : lastHalfGrowthMiB <= allowedGrowthMiB,
  };
}

/** Passed: nothing lost or duplicated, no error, and RSS levels off (the last half grew less than allowed). */
export function judge(samples: SoakSample[], counters: SoakCounters, rule = DEFAULT_RULE): SoakVerdict {
  const rss = growth(samples, (s) => s.rssBytes, rule);
  const heap = growth(samples, (s) => s.heapUsedBytes, rule);
  const end = samples[samples.length - 1]?.seconds ?? 0;
  const worstP99 = (list: SoakSample[]) => Math.max(0, ...list.map((s) => s.loopDelay.p99));
  const loopDelay = {
    firstHalfP99: worstP99(samples.filter((s) => s.seconds <= end / 2)),
    lastHalfP99: worstP99(samples.filter((s) => s.seconds > end / 2)),
    max: Math.max(0, ...samples.map((s) => s.loopDelay.max)),
  };
  const failures: string[] = [];
  if (samples.length === 0) failures.push("no samples from the server");
  if (counters.lost > 0) failures.push(`${counters.lost} messages lost`);
  if (counters.duplicated > 0) failures.push(`${counters.duplicated} messages delivered twice`);
  if (counters.errors > 0) failures.push(`${counters.errors} errors`);
  if (rss.levelsOff === false)
    failures.push(
      `RSS grew ${rss.lastHalfGrowthMiB.toFixed(1)} MiB over the last half (allowed ${rss.allowedGrowthMiB.toFixed(1)})`,
    );
  return { rss, heap, loopDelay, passed: failures.length === 0, failures };
}
