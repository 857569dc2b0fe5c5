import type { DialectName } from "../systems/dialect.js";
import { SYSTEMS, type System } from "../systems/systems.js";
import type { StormConfig } from "./config.js";
import { KEY_PREFIX, runOneStorm } from "./one-storm.js";
import type { StormAuth, StormReport, StormResult, StormRun } from "./records.js";
import { summarizeStorm } from "./summarize.js";
import { stormSystem } from "./systems.js";
import { signTokens } from "./tokens.js";

const AUTHS: StormAuth[] = ["off", "jwt"];

interface StormUnit {
  result: StormResult;
  system: System;
  dialect: DialectName;
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * The reconnect storm on every system, without and with tokens: each case `repeats` times, the runs
 * interleaved across systems (A, B, C, A, B, C, ...) so that a slow spell of the machine hits all alike.
 * A WEST-TS run in which any client was refused or failed fails its case (and the bench); a peer's refusals are
 * a finding, reported in its row and notes.
 */
export async function runStorm(config: StormConfig, log: (line: string) => void): Promise<StormReport> {
  const results: StormResult[] = [];
  const units: StormUnit[] = [];
  for (const auth of AUTHS) {
    for (const system of SYSTEMS.filter((s) => config.systems.includes(s.id))) {
      const result: StormResult = {
        system: system.id,
        label: system.label,
        auth,
        status: "ok",
        notes: [],
        runs: [],
      };
      results.push(result);
      const started = stormSystem(system, auth);
      const unavailable = system.unavailable();
      if (typeof started === "string") {
        result.status = "n/a";
        result.notes.push(started);
      } else if (unavailable !== undefined) {
        result.status = "skipped";
        result.notes.push(unavailable);
      } else {
        units.push({ result, system: started, dialect: system.dialects.json as DialectName });
      }
    }
  }
  const keys = Array.from({ length: config.clients }, (_, i) => `${KEY_PREFIX}${i}`);
  const tokens = units.some((unit) => unit.result.auth === "jwt") ? await signTokens(keys) : undefined;
  let done = 0;
  for (let repeat = 1; repeat <= config.repeats; repeat++) {
    for (const { result, system, dialect } of units) {
      const label = `[${++done}/${units.length * config.repeats}] storm of ${count(config.clients)}, ${result.label}, auth ${result.auth}, run ${repeat}/${config.repeats}`;
      try {
        const run = await runOneStorm(system, dialect, config, result.auth === "jwt" ? tokens : undefined);
        result.runs.push(run);
        log(`${label}: ${describe(run)}`);
        if (run.refused + run.failed > 0) {
          if (result.system === "west") result.status = "failed";
          result.notes.push(
            `run ${repeat}: ${count(run.refused)} refused and ${count(run.failed)} failed of ${count(run.clients)} clients, first: ${run.firstError}`,
          );
        }
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        result.status = "failed";
        result.notes.push(`run ${repeat}: ${reason}`);
        log(`!!! FAILED: ${label}: ${reason}`);
      }
    }
  }
  return { config, results, targets: summarizeStorm(results) };
}

function describe(run: StormRun): string {
  const unconnected =
    run.refused + run.failed === 0
      ? ""
      : `, !!! ${run.refused} refused, ${run.failed} failed: ${run.firstError}`;
  return `all subscribed in ${(run.allSubscribedMs / 1000).toFixed(2)} s (started within ${run.launchSpreadMs.toFixed(0)} ms), per client p50 ${(run.perClientMicros.p50 / 1000).toFixed(0)} ms p99 ${(run.perClientMicros.p99 / 1000).toFixed(0)} ms, server ${run.serverCpuMicrosPerConnection.toFixed(0)} us CPU/connection, peak RSS ${(run.serverPeakRssBytes / 1024 / 1024).toFixed(0)} MiB, load ${run.loadCpuMicrosPerConnection.toFixed(0)} us CPU/connection, busiest load process ${run.loadCores.toFixed(2)} cores${unconnected}`;
}
