import type { CaseResult, Measurement, ScenarioCase } from "./records.js";
import type { SuiteConfig } from "./suite-config.js";
import { planSuite } from "./suite-plan.js";
import { summarize } from "./summarize.js";

const count = (n: number) => n.toLocaleString("en-US");

/**
 * Runs every case of `config` on every system. Each group of units is repeated `repeats` times, interleaved
 * (A, B, C, A, B, C, ...), so that a slow spell of a noisy machine hits every system alike. Every case gets a
 * result, also those a system cannot run (n/a) or that are skipped (NATS not installed) or that failed.
 */
export async function runSuite(config: SuiteConfig, log: (line: string) => void): Promise<CaseResult[]> {
  const { schedule, results } = planSuite(config);
  const resultOf = (scenario: ScenarioCase, system: { id: string }) =>
    results.get(`${scenario.id} ${system.id}`) as CaseResult;
  const total = schedule.reduce((sum, [units, repeats]) => sum + units.length * repeats, 0);
  let done = 0;
  for (const [units, repeats] of schedule) {
    for (let repeat = 1; repeat <= repeats; repeat++) {
      for (const unit of units) {
        done++;
        const label = `[${done}/${total}] ${unit.system.label}, run ${repeat}/${repeats}`;
        const started = Date.now();
        try {
          const measured = await unit.run();
          log(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
          unit.cases.forEach((scenario, i) => {
            const measurement = measured[i] as Measurement;
            const result = resultOf(scenario, unit.system);
            result.runs.push(measurement);
            log(`${label}: ${scenario.title}: ${describe(measurement)}`);
            const loss = lossOf(measurement);
            if (loss !== undefined) {
              result.status = "failed";
              result.notes.push(`run ${repeat}: ${loss}`);
              log(`!!! FAILED: ${scenario.title} on ${unit.system.label}: ${loss}`);
            }
          });
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          for (const scenario of unit.cases) {
            const result = resultOf(scenario, unit.system);
            result.status = "failed";
            result.notes.push(`run ${repeat}: ${reason}`);
          }
          log(`!!! FAILED: ${label}: ${unit.cases.map((c) => c.title).join("; ")}: ${reason}`);
        }
      }
    }
  }
  return summarize([...results.values()]);
}

function lossOf(measurement: Measurement): string | undefined {
  if (measurement.type === "connections") return undefined;
  if (measurement.lost === 0 && measurement.duplicated === 0) return undefined;
  return `lost ${count(measurement.lost)} and duplicated ${count(measurement.duplicated)} of ${count(measurement.deliveries)} deliveries`;
}

function describe(m: Measurement): string {
  if (m.type === "connections")
    return `${(m.connectMs / 1000).toFixed(1)} s to connect, ${(m.rssBytesPerConnection / 1024).toFixed(1)} KiB/connection, ${m.serverCpuMicrosPerConnection.toFixed(0)} us CPU/connection`;
  return `${m.serverCpuMicrosPerDelivery.toFixed(2)} us/delivery, ${count(Math.round(m.deliveriesPerSecond))}/s, p99 ${(m.latencyMicros.p99 / 1000).toFixed(1)} ms, lost ${m.lost}, load ${m.loadCores.toFixed(2)} cores`;
}
