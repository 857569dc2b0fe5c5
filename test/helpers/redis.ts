import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { after, type TestContext } from "node:test";
import {
  type RedisCluster,
  type RedisClusterOptions,
  type RedisServer,
  type RedisServerOptions,
  startRedisCluster,
  startRedisServer,
} from "../../src/devrel/redis-servers.js";

/** The programs the Redis suites start: the server, and redis-cli to create clusters. */
const REDIS_PROGRAMS = ["redis-server", "redis-cli"];

function onPath(program: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** True when redis-server and redis-cli are installed (on PATH). */
export function redisAvailable(): boolean {
  return REDIS_PROGRAMS.every(onPath);
}

/**
 * The reason to skip the Redis suites, or false to run them: `describe(name, { skip: skipWithoutRedis() })`.
 * Under CI (CI=true) a missing Redis is not skipped: the tests run and fail, because a green CI run must have
 * exercised the Redis backend.
 */
export function skipWithoutRedis(): string | false {
  if (redisAvailable() || process.env.CI === "true") return false;
  const missing = REDIS_PROGRAMS.filter((program) => !onPath(program)).join(" and ");
  const reason = `no ${missing} on PATH: the Redis backend was NOT tested (apt-get install redis-server)`;
  console.warn(`\n!!! SKIPPING REDIS TESTS: ${reason} !!!\n`);
  return reason;
}

/**
 * Inside a test: skips it, loudly, and returns false when Redis is missing; under CI it throws instead.
 * `if (!requireRedis(t)) return;`
 */
export function requireRedis(t: TestContext): boolean {
  if (redisAvailable()) return true;
  const reason = skipWithoutRedis() || "redis-server or redis-cli missing on PATH";
  if (process.env.CI === "true") throw new Error(`${reason} (under CI, a missing Redis is a failure)`);
  t.skip(reason);
  return false;
}

/** What the helpers below started and the test did not stop itself. */
const started = new Set<{ stop(): Promise<void> }>();

// Registered at import, so on the file's root: `after` called inside a `before` hook would run at the hook's end.
after(() => Promise.all([...started].map((resource) => resource.stop())));

/** A redis-server of its own, stopped (and its temp dir removed) when the test file ends, if not before. */
export async function redisServer(options?: RedisServerOptions): Promise<RedisServer> {
  const server = await startRedisServer(options);
  started.add(server);
  return server;
}

/** A Redis Cluster (3 masters, 1 replica each by default), stopped when the test file ends, if not before. */
export async function redisCluster(options?: RedisClusterOptions): Promise<RedisCluster> {
  const cluster = await startRedisCluster(options);
  started.add(cluster);
  return cluster;
}
