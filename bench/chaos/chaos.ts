import { setMaxListeners } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChannelPools, ChaosClient, CLIENT_DEFAULTS, type ClientSettings } from "./chaos-client.js";
import { checkHistory } from "./checker/checker.js";
import { CHECK_DEFAULTS, type CheckRules, type Verdict } from "./checker/verdict.js";
import { abortableSleep, Deadline } from "./deadline.js";
import { type ChaosFigures, computeFigures } from "./figures.js";
import { becomesHealthy } from "./health-probe.js";
import type { HistoryEvent } from "./history.js";
import { NEMESIS_DEFAULTS, Nemesis, type NemesisSettings } from "./nemesis.js";
import { NodeFleet } from "./node-fleet.js";
import { Random } from "./random.js";
import { Recorder } from "./recorder.js";
import { type ChaosMode, type RedisTarget, startRedisTarget } from "./redis-target.js";

export interface ChaosOptions {
  mode: ChaosMode;
  seed: number;
  /** How long the clients act and the nemesis strikes. */
  durationMs: number;
  nodes: number;
  clientsPerNode: number;
  /**
   * The nodes' `--redis-heartbeat-ttl-ms`: short, so that pauses of 0.5-8 s are both shorter and longer than
   * it (and than the lease, TTL/2), and a killed node's channels are free again within a few seconds.
   */
  heartbeatTtlMs: number;
  /** The nodes' `--command-timeout-ms`: shorter than the TTL, so a send to a paused owner times out first. */
  commandTimeoutMs: number;
  /** The nodes' `--log-level`. */
  logLevel: string;
  pools: ChannelPools;
  nemesis: NemesisSettings;
  clients: ClientSettings;
  rules: CheckRules;
  /** Where history.ndjson and node-I.log go; default: a new directory in the OS temp dir. */
  runDir?: string;
  /** A line now and then while the run goes (none by default). */
  progress?: (line: string) => void;
  /** Aborts the run (Ctrl-C): every loop stops, everything is cleaned up, and the verdict fails. */
  signal?: AbortSignal;
}

export const CHAOS_DEFAULTS: ChaosOptions = {
  mode: "standalone",
  seed: 1,
  durationMs: 10 * 60_000,
  nodes: 3,
  clientsPerNode: 10,
  heartbeatTtlMs: 3000,
  commandTimeoutMs: 1000,
  logLevel: "info",
  pools: {
    pointToPoint: ["p2p.0", "p2p.1", "p2p.2", "p2p.3", "p2p.4", "p2p.5"],
    pubSub: ["ps.0", "ps.1", "ps.2", "ps.3"],
  },
  nemesis: NEMESIS_DEFAULTS,
  clients: CLIENT_DEFAULTS,
  rules: CHECK_DEFAULTS,
};

export interface ChaosResult {
  options: Omit<ChaosOptions, "progress" | "signal">;
  startedAt: string;
  runDir: string;
  historyFile: string;
  logFiles: string[];
  history: HistoryEvent[];
  verdict: Verdict;
  figures: ChaosFigures;
  /** Wall time of the whole run, set-up and tear-down included. */
  wallMs: number;
}

/** No fault starts in the last stretch of a run (a sixth of it, at most this long), so that the end is calm. */
const QUIET_TAIL_MS = 10_000;

/** How long before the deadline the nemesis stops starting faults. */
export function quietTailMs(durationMs: number): number {
  return Math.min(QUIET_TAIL_MS, durationMs / 6);
}
/** After the deadline, how long replies to commands in flight are awaited. */
const DRAIN_MS = 10_000;
/** Then, how long deliveries still on their way are awaited before the sockets close (> the excuse window). */
const SETTLE_MS = 2500;
/** How long a socket may take to close at the end before it is dropped. */
const CLOSE_TIMEOUT_MS = 3000;
/** How long the nodes may take to answer /healthz 200 at the start. */
const START_HEALTHY_MS = 30_000;
const PROGRESS_EVERY_MS = 10_000;

/**
 * A fault-injection run: Redis (one server or a cluster), WEST nodes in processes of their own, clients that
 * never pause, and a nemesis, all recorded in one history; then the checker's verdict on it. Throws if the
 * run cannot start (Redis or a node does not come up); everything it started is stopped in any case.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const began = performance.now();
  const { progress, signal = new AbortController().signal, ...recorded } = options;
  // Every sleeping loop (one per client) listens to the abort.
  setMaxListeners(options.nodes * options.clientsPerNode + 100, signal);
  const runDir =
    options.runDir ?? (await mkdtemp(join(tmpdir(), `west-chaos-${options.mode}-seed${options.seed}-`)));
  const historyFile = join(runDir, "history.ndjson");
  const recorder = new Recorder(historyFile);
  const startedAt = new Date().toISOString();
  let redis: RedisTarget | undefined;
  let fleet: NodeFleet | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    redis = await startRedisTarget(options.mode);
    const config = join(runDir, "west.json");
    await writeFile(config, JSON.stringify({ channels: historyRules(options.pools) }));
    fleet = await NodeFleet.start({
      count: options.nodes,
      nodeArgs: [...nodeArgs(options, redis), `--config=${config}`],
      logDir: runDir,
      recorder,
    });
    const nodes = fleet;
    const healthy = await Promise.all(
      Array.from({ length: nodes.count }, (_, node) =>
        becomesHealthy(nodes.httpUrl(node), START_HEALTHY_MS, signal),
      ),
    );
    if (!healthy.every(Boolean))
      throw new Error(`a node did not answer /healthz 200 within ${START_HEALTHY_MS} ms`);
    const clients = Array.from({ length: options.nodes * options.clientsPerNode }, (_, i) => {
      const key = `k${String(i).padStart(2, "0")}`;
      const random = Random.forComponent(options.seed, key);
      return new ChaosClient(key, i % options.nodes, random, nodes, options.pools, recorder, options.clients);
    });
    const nemesis = new Nemesis(
      Random.forComponent(options.seed, "nemesis"),
      nodes,
      redis,
      recorder,
      options.nemesis,
    );
    const now = () => recorder.now();
    recorder.record({ type: "run", phase: "start", epochMs: Date.now() });
    const deadline = new Deadline(now() + options.durationMs, now, signal);
    ticker = setInterval(() => progress?.(progressLine(recorder)), PROGRESS_EVERY_MS);
    await Promise.all([
      nemesis.run(deadline.shiftedBy(-quietTailMs(options.durationMs))),
      ...clients.map((client) => client.run(deadline)),
    ]);
    recorder.record({ type: "run", phase: "clients_stopped", epochMs: Date.now() });
    const drain = new Deadline(now() + DRAIN_MS, now, signal);
    while (!drain.passed && clients.some((client) => client.inFlight > 0)) await drain.sleep(50);
    await abortableSleep(SETTLE_MS, signal);
    await Promise.all(clients.map((client) => client.close(CLOSE_TIMEOUT_MS)));
  } finally {
    clearInterval(ticker);
    if (signal.aborted) recorder.record({ type: "harness_error", message: "the run was aborted" });
    await fleet?.stop();
    await redis?.stop();
    recorder.record({ type: "run", phase: "end", epochMs: Date.now() });
    await recorder.close();
  }
  const history = recorder.events;
  const verdict = checkHistory(history, options.rules);
  return {
    options: recorded,
    startedAt,
    runDir,
    historyFile,
    logFiles: Array.from({ length: options.nodes }, (_, node) => fleet?.logFile(node) ?? ""),
    history,
    verdict,
    figures: computeFigures(history, verdict),
    wallMs: performance.now() - began,
  };
}

/**
 * The first half of the pub/sub pool has history (its subscribers recover from their last offset; the checker's
 * `history-gap` rule), the other half none, so that both kinds of channel are exercised.
 */
function historyRules(
  pools: ChannelPools,
): { match: string; history: { size: number; ttlSeconds: number } }[] {
  return pools.pubSub
    .slice(0, Math.ceil(pools.pubSub.length / 2))
    .map((channel) => ({ match: channel, history: { size: 1000, ttlSeconds: 600 } }));
}

function nodeArgs(options: ChaosOptions, redis: RedisTarget): string[] {
  return [
    "--dist=redis",
    ...redis.nodeArgs,
    `--redis-heartbeat-ttl-ms=${options.heartbeatTtlMs}`,
    `--command-timeout-ms=${options.commandTimeoutMs}`,
    `--log-level=${options.logLevel}`,
  ];
}

function progressLine(recorder: Recorder): string {
  const counts = new Map<string, number>();
  for (const event of recorder.events) counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
  const count = (type: string) => counts.get(type) ?? 0;
  return `${(recorder.now() / 1000).toFixed(0).padStart(5)} s  commands ${count("command")}  replies ${count("reply")}  deliveries ${count("delivery")}  faults ${count("fault_end")}  connections open ${count("open") - count("close")}  node exits ${count("node_exit")}`;
}
