import type { CrossMedian, CrossResult, CrossRun } from "./records.js";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/** Each figure's median over `runs` (lower median for an even count); lost summed. */
export function medianOf(runs: CrossRun[]): CrossMedian {
  const of = (figure: (run: CrossRun) => number) => median(runs.map(figure));
  const publishes = runs.flatMap((run) =>
    run.publishesPerSecond === undefined ? [] : [run.publishesPerSecond],
  );
  return {
    cpuMicrosPerDelivery: of((run) => run.cpuMicrosPerDelivery),
    deliveriesPerSecond: of((run) => run.deliveriesPerSecond),
    ...(publishes.length === 0 ? {} : { publishesPerSecond: median(publishes) }),
    p50Micros: of((run) => run.latencyMicros.p50),
    p99Micros: of((run) => run.latencyMicros.p99),
    lost: runs.reduce((sum, run) => sum + run.lost, 0),
  };
}

export function summarizeCross(results: CrossResult[]): CrossResult[] {
  for (const result of results) if (result.runs.length > 0) result.median = medianOf(result.runs);
  return results;
}
