import { monitorEventLoopDelay } from "node:perf_hooks";
import { startWest } from "../../src/index.js";

/** What the soak's server process reports every sampling interval. */
export interface ServerSample {
  /** Milliseconds since the process started sampling. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Event-loop delay over the interval, in milliseconds. */
  loopDelay: { p50: number; p99: number; max: number };
}

/**
 * The soak's server: a WEST-TS node in a process of its own (so the RSS it reports is the server's alone),
 * `node server.js SAMPLE_MS`. It reports `{ port }` once listening, then a ServerSample every SAMPLE_MS over
 * IPC, and stops on "stop" or when its parent goes away.
 */
const sampleMs = Number(process.argv[2] ?? 5000);
const node = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent" });
const RESOLUTION_MS = 10;
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();
const started = performance.now();
// The histogram records the time between its timer's runs, which is the resolution plus the delay.
const millis = (nanos: number) => Math.max(0, nanos / 1e6 - RESOLUTION_MS);
const timer = setInterval(() => {
  const memory = process.memoryUsage();
  const sample: ServerSample = {
    at: performance.now() - started,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    loopDelay: {
      p50: millis(delay.percentile(50)),
      p99: millis(delay.percentile(99)),
      max: millis(delay.max),
    },
  };
  delay.reset();
  process.send?.({ sample });
}, sampleMs);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  delay.disable();
  await node.stop();
  process.exit(0);
};
process.on("message", (request) => {
  if (request === "stop") void stop();
});
process.on("disconnect", () => void stop());
process.send?.({ port: node.port });
