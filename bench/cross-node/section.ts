import { untilServerIdle } from "../harness/server-idle.js";
import { crossScenarios } from "./cases.js";
import type { CrossNodeConfig } from "./config.js";
import type { Deployment } from "./deployment.js";
import type { CrossResult, CrossRun } from "./records.js";
import { summarizeCross } from "./summarize.js";
import { CROSS_SYSTEMS } from "./systems.js";

const count = (n: number) => n.toLocaleString("en-US");
const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs every cross-node case on every system of `config`: each repeat starts each system afresh and takes it
 * through every scenario, systems interleaved (A, B, C, A, B, C, ...) so that a slow spell of a noisy machine
 * hits them alike. A loss or an error fails the case (noted, not thrown); every process is stopped afterwards.
 */
export async function runCrossNode(
  config: CrossNodeConfig,
  log: (line: string) => void,
): Promise<CrossResult[]> {
  const scenarios = crossScenarios(config);
  const systems = CROSS_SYSTEMS.filter((system) => config.systems.includes(system.id));
  const results = new Map<string, CrossResult>();
  const resultOf = (caseId: string, systemId: string) => results.get(`${caseId} ${systemId}`) as CrossResult;
  for (const system of systems) {
    const unavailable = system.unavailable();
    for (const scenario of scenarios)
      for (const crossCase of scenario.cases)
        results.set(`${crossCase.id} ${system.id}`, {
          case: crossCase,
          system: system.id,
          systemLabel: system.label,
          status: unavailable === undefined ? "ok" : "skipped",
          notes: unavailable === undefined ? [] : [unavailable],
          runs: [],
        });
  }
  const runnable = systems.filter((system) => system.unavailable() === undefined);
  const fail = (caseId: string, systemId: string, note: string) => {
    const result = resultOf(caseId, systemId);
    result.status = "failed";
    result.notes.push(note);
  };

  for (let repeat = 1; repeat <= config.repeats; repeat++) {
    for (const system of runnable) {
      const label = `cross-node ${system.label}, run ${repeat}/${config.repeats}`;
      let deployment: Deployment;
      try {
        deployment = await system.start();
      } catch (error) {
        log(`!!! FAILED: ${label}: could not start: ${reasonOf(error)}`);
        for (const scenario of scenarios)
          for (const crossCase of scenario.cases)
            fail(crossCase.id, system.id, `run ${repeat}: start: ${reasonOf(error)}`);
        continue;
      }
      try {
        for (const scenario of scenarios) {
          await untilServerIdle(deployment.server, { maxBusyMicros: 5_000, maxWaitMs: 1_500 });
          const started = Date.now();
          let runs: CrossRun[];
          try {
            runs = await scenario.run(deployment, system.dialect);
          } catch (error) {
            for (const crossCase of scenario.cases)
              fail(crossCase.id, system.id, `run ${repeat}: ${reasonOf(error)}`);
            log(`!!! FAILED: ${label}: ${scenario.cases.map((c) => c.title).join("; ")}: ${reasonOf(error)}`);
            continue;
          }
          const seconds = ((Date.now() - started) / 1000).toFixed(1);
          scenario.cases.forEach((crossCase, i) => {
            const run = runs[i] as CrossRun;
            resultOf(crossCase.id, system.id).runs.push(run);
            log(`${label}: ${crossCase.title}: ${describe(run)} (${seconds} s)`);
            if (run.lost > 0 || run.duplicated > 0) {
              const loss = `lost ${count(run.lost)} and duplicated ${count(run.duplicated)} of ${count(run.deliveries)} deliveries`;
              fail(crossCase.id, system.id, `run ${repeat}: ${loss}`);
              log(`!!! FAILED: ${crossCase.title} on ${system.label}: ${loss}`);
            }
          });
        }
      } finally {
        await deployment.stop();
      }
    }
  }
  return summarizeCross([...results.values()]);
}

function describe(run: CrossRun): string {
  const publishes =
    run.publishesPerSecond === undefined
      ? ""
      : `, ${count(Math.round(run.publishesPerSecond))} acked publishes/s`;
  return `${run.cpuMicrosPerDelivery.toFixed(2)} us/delivery, ${count(Math.round(run.deliveriesPerSecond))} deliveries/s${publishes}, p50 ${(run.latencyMicros.p50 / 1000).toFixed(2)} ms, p99 ${(run.latencyMicros.p99 / 1000).toFixed(1)} ms, lost ${run.lost}`;
}
