import { fork } from "node:child_process";
import { once } from "node:events";
import { loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { LatencyHistogram } from "../harness/latency-histogram.js";
import { withTimeout } from "../harness/timeout.js";
import type { SoakCounters } from "./counters.js";
import { type LoadOptions, SoakLoad } from "./load.js";
import { type MinuteRow, perMinute, type SoakSample } from "./samples.js";
import type { ServerSample } from "./server.js";
import { DEFAULT_RULE, judge, type SoakVerdict, type VerdictRule } from "./verdict.js";

export interface SoakOptions extends Omit<LoadOptions, "url"> {
  durationMs: number;
  /** How often the server reports its memory and event-loop delay. */
  sampleMs: number;
  rule?: VerdictRule;
  /** Progress lines (one per sample); none by default. */
  log?: (line: string) => void;
}

export interface SoakResult {
  startedAt: string;
  options: Omit<SoakOptions, "log">;
  samples: SoakSample[];
  minutes: MinuteRow[];
  counters: SoakCounters;
  /** The first errors and losses, described. */
  errorSamples: string[];
  lostSamples: string[];
  verdict: SoakVerdict;
}

/** Defaults of `npm run soak`: issue #6's 1,000 connections for 10 minutes, a quarter reconnecting. */
export const SOAK_DEFAULTS: SoakOptions = {
  durationMs: 10 * 60_000,
  connections: 1000,
  reconnectFraction: 0.25,
  meanUptimeMs: 20_000,
  churnRedrawMs: 60_000,
  actionIntervalMs: 1000,
  // Generous: on a starved machine deliveries took up to 10 s (p99) to arrive; a lost one never does.
  graceMs: 30_000,
  sampleMs: 5000,
};

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
/** The event-loop delay histogram records its timer's period (this) plus the delay. */
const LOAD_DELAY_RESOLUTION_MS = 10;

/**
 * Runs a WEST-TS server in a child process under the soak load for `durationMs`, sampling the server's memory
 * and event-loop delay, then stops everything and judges the run.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { log, ...recorded } = options;
  const child = fork(new URL("./server.js", import.meta.url), [String(options.sampleMs)], {
    execArgv: [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  try {
    const [{ port }] = (await withTimeout(once(child, "message"), START_TIMEOUT_MS, "the soak server")) as [
      { port: number },
    ];
    const load = new SoakLoad({ ...options, url: `ws://127.0.0.1:${port}` });
    const loadDelay = monitorEventLoopDelay({ resolution: LOAD_DELAY_RESOLUTION_MS });
    loadDelay.enable();
    const startedAt = new Date().toISOString();
    const samples: SoakSample[] = [];
    let collecting = true;
    let started = performance.now();
    let previous = { at: started, sent: 0, received: 0 };
    child.on("message", (message: { sample?: ServerSample }) => {
      const sample = message.sample;
      // Only the load's own time counts: none from the drain after the deadline.
      if (sample === undefined || !collecting) return;
      const now = performance.now();
      const { counters } = load;
      const seconds = (now - previous.at) / 1000;
      const latency = load.latency;
      load.latency = new LatencyHistogram();
      const row: SoakSample = {
        seconds: (now - started) / 1000,
        rssBytes: sample.rssBytes,
        heapUsedBytes: sample.heapUsedBytes,
        heapTotalBytes: sample.heapTotalBytes,
        arrayBuffersBytes: sample.arrayBuffersBytes,
        serverCpu: sample.cpu,
        loopDelay: sample.loopDelay,
        loadLoopDelayP99: Math.max(0, loadDelay.percentile(99) / 1e6 - LOAD_DELAY_RESOLUTION_MS),
        connections: load.openConnections,
        sentPerSecond: (counters.sent - previous.sent) / seconds,
        receivedPerSecond: (counters.received - previous.received) / seconds,
        latencyP99: latency.quantile(0.99) / 1000,
        lost: counters.lost,
        errors: counters.errors,
        disconnects: counters.disconnects,
        loadAverage: loadavg()[0] ?? 0,
      };
      loadDelay.reset();
      previous = { at: now, sent: counters.sent, received: counters.received };
      samples.push(row);
      log?.(
        `${row.seconds.toFixed(0).padStart(5)} s  rss ${(row.rssBytes / 2 ** 20).toFixed(1)} MiB  heap ${(row.heapUsedBytes / 2 ** 20).toFixed(1)} MiB  cpu ${(row.serverCpu * 100).toFixed(0)}%  loop p99 ${row.loopDelay.p99.toFixed(1)} ms (load's ${row.loadLoopDelayP99.toFixed(1)})  conns ${row.connections}  sent/s ${row.sentPerSecond.toFixed(0)}  recv/s ${row.receivedPerSecond.toFixed(0)}  lost ${row.lost}  errors ${row.errors}`,
      );
    });
    started = performance.now();
    previous = { at: started, sent: 0, received: 0 };
    await load.start();
    const remaining = options.durationMs - (performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, remaining)));
    collecting = false;
    await load.stop();
    loadDelay.disable();
    const counters = { ...load.counters };
    return {
      startedAt,
      options: recorded,
      samples,
      minutes: perMinute(samples),
      counters,
      errorSamples: load.errorSamples,
      lostSamples: load.lostSamples,
      verdict: judge(samples, counters, options.rule ?? DEFAULT_RULE),
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.send("stop");
      await withTimeout(exited, STOP_TIMEOUT_MS, "the soak server to stop").catch(() =>
        child.kill("SIGKILL"),
      );
    }
  }
}
