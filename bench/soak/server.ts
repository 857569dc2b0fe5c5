import { monitorEventLoopDelay } from "node:perf_hooks";
import { startWest } from "../../src/index.js";

/** What the soak's server process reports every sampling interval. */
export interface ServerSample {
  /** Milliseconds since the process started sampling. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** Buffers and ArrayBuffers outside the heap (socket data among them). */
  arrayBuffersBytes: number;
  /** CPU time the process used over the interval, per wall-clock time (1 = one core busy). */
  cpu: number;
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
let last = { at: started, cpu: process.cpuUsage() };
// The histogram records the time between its timer's runs, which is the resolution plus the delay.
const millis = (nanos: number) => Math.max(0, nanos / 1e6 - RESOLUTION_MS);
const timer = setInterval(() => {
  const memory = process.memoryUsage();
  const now = { at: performance.now(), cpu: process.cpuUsage() };
  const cpuMicros = now.cpu.user + now.cpu.system - last.cpu.user - last.cpu.system;
  const sample: ServerSample = {
    at: now.at - started,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    arrayBuffersBytes: memory.arrayBuffers,
    cpu: cpuMicros / 1000 / Math.max(1, now.at - last.at),
    loopDelay: {
      p50: millis(delay.percentile(50)),
      p99: millis(delay.percentile(99)),
      max: millis(delay.max),
    },
  };
  delay.reset();
  last = now;
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
