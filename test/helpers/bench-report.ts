import type { BenchReport } from "../../bench/report/bench-report.js";

/** A BenchReport of a test run: `fields` plus a made-up machine and no systems, notes or failures. */
export function testReport(
  fields: Pick<BenchReport, "config" | "results"> & Partial<BenchReport>,
): BenchReport {
  return {
    startedAt: new Date().toISOString(),
    durationSeconds: 1,
    suite: "custom",
    machine: { node: process.version, cores: 2, cpu: "test", platform: "test", memoryGiB: 1 },
    commit: "test",
    systems: [],
    notes: [],
    failures: [],
    ...fields,
  };
}
