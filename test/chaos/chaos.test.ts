import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { describe, it } from "node:test";
import { CHAOS_DEFAULTS, type ChaosResult, runChaos } from "../../bench/chaos/chaos.js";
import type { ChaosMode } from "../../bench/chaos/redis-target.js";
import { skipWithoutRedis } from "../helpers/redis.js";

const skip = skipWithoutRedis();
const MINUTE_MS = 60_000;

/**
 * Seeds whose first faults are of every kind: standalone 3 (pause 2.8 s, kill -9, pause 0.6 s, pause 1.6 s,
 * Redis restart, ...), cluster 11 (kill -9, pause 2.7 s, master kill, ...).
 */
const SEEDS: Record<ChaosMode, number> = { standalone: 3, cluster: 11 };

async function chaosMinute(mode: ChaosMode): Promise<ChaosResult> {
  const result = await runChaos({ ...CHAOS_DEFAULTS, mode, seed: SEEDS[mode], durationMs: MINUTE_MS });
  const { verdict, figures } = result;
  const listed = verdict.violations.slice(0, 20).map((v) => `${v.rule}: ${v.message}`);
  assert.deepEqual(
    listed,
    [],
    `${verdict.violations.length} violations (${JSON.stringify(figures.violations)}); history and node logs in ${result.runDir}`,
  );
  const faults = Object.values(figures.faults).reduce((sum, fault) => sum + fault.count, 0);
  assert.ok(faults >= 3, `only ${faults} faults`);
  assert.ok(
    figures.deliveries.sends > 500 && figures.deliveries.publishes > 500,
    JSON.stringify(figures.deliveries),
  );
  await rm(result.runDir, { recursive: true, force: true });
  return result;
}

describe("chaos: a minute of faults with clients on three nodes breaks no rule", { skip }, () => {
  it("standalone Redis: pauses, kill -9 of nodes, Redis restarts", { timeout: 3 * MINUTE_MS }, async () => {
    await chaosMinute("standalone");
  });

  it("Redis Cluster: pauses, kill -9 of nodes, master kills and rejoins", {
    timeout: 3 * MINUTE_MS,
  }, async () => {
    await chaosMinute("cluster");
  });
});
