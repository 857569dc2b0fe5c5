import { median } from "../request-reply/section.js";
import { REFERENCE_SYSTEM } from "../systems/systems.js";
import type { StormMedian, StormResult, StormRun, StormTargets } from "./records.js";

/** WEST's server CPU per connection without auth, at most this times the ws forwarder's. */
export const STORM_CPU_TARGET = 1.2;

/** Each result's medians and its ratio to the ws forwarder with the same auth; the targets. */
export function summarizeStorm(results: StormResult[]): StormTargets {
  for (const result of results) if (result.runs.length > 0) result.median = medians(result.runs);
  for (const result of results) {
    const reference = results.find((r) => r.system === REFERENCE_SYSTEM && r.auth === result.auth);
    if (result.median !== undefined && reference?.median !== undefined && reference.status === "ok")
      result.vsReference =
        result.median.serverCpuMicrosPerConnection / reference.median.serverCpuMicrosPerConnection;
  }
  const west = results.filter((result) => result.system === "west");
  const westRuns = west.flatMap((result) => result.runs);
  const westOff = west.find((result) => result.auth === "off");
  return {
    cpuRatioGoal: STORM_CPU_TARGET,
    ...(westOff?.vsReference === undefined ? {} : { cpuRatio: westOff.vsReference }),
    ...(westRuns.length === 0
      ? {}
      : { westUnconnected: westRuns.reduce((sum, run) => sum + run.refused + run.failed, 0) }),
  };
}

function medians(runs: StormRun[]): StormMedian {
  const of = (pick: (run: StormRun) => number) => median(runs.map(pick));
  return {
    allSubscribedMs: of((run) => run.allSubscribedMs),
    launchSpreadMs: of((run) => run.launchSpreadMs),
    p50Micros: of((run) => run.perClientMicros.p50),
    p99Micros: of((run) => run.perClientMicros.p99),
    serverCpuMicrosPerConnection: of((run) => run.serverCpuMicrosPerConnection),
    serverCores: of((run) => run.serverCores),
    serverPeakRssBytes: of((run) => run.serverPeakRssBytes),
    loadCpuMicrosPerConnection: of((run) => run.loadCpuMicrosPerConnection),
    loadCores: of((run) => run.loadCores),
  };
}
