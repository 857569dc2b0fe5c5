import { REFERENCE_SYSTEM } from "../systems/systems.js";
import { type CaseResult, headlineOf, headlineUnit, type Measurement } from "./records.js";

/** Medians (the run with the median headline), spreads, and ratios to the reference system. */
export function summarize(results: CaseResult[]): CaseResult[] {
  for (const result of results) {
    if (result.runs.length === 0) continue;
    const sorted = [...result.runs].sort((a, b) => headlineOf(a) - headlineOf(b));
    const median = sorted[Math.floor((sorted.length - 1) / 2)] as Measurement;
    result.median = median;
    result.headline = {
      unit: headlineUnit(result.case.kind),
      median: headlineOf(median),
      min: headlineOf(sorted[0] as Measurement),
      max: headlineOf(sorted[sorted.length - 1] as Measurement),
    };
  }
  for (const result of results) {
    const reference = results.find((r) => r.case.id === result.case.id && r.system === REFERENCE_SYSTEM);
    if (result.headline !== undefined && reference?.headline !== undefined && reference.status === "ok")
      result.vsReference = result.headline.median / reference.headline.median;
  }
  return results;
}
