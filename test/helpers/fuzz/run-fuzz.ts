import { DEFAULTS } from "../../../src/options.js";
import { PROTOCOL_NAMES, type ProtocolName } from "../../../src/protocols/codec.js";
import { encodeCommand } from "../ws-client.js";
import { FuzzSocket } from "./fuzz-socket.js";
import { emptyStats, type FuzzStats, runFuzzer } from "./fuzzer.js";
import { startGoodTraffic } from "./good-clients.js";
import { Prng } from "./prng.js";

export interface FuzzConfig {
  /** ws://HOST:PORT of the server under fuzz. */
  url: string;
  /** Fuzz frames in all, shared by the fuzzing connections. */
  frames: number;
  seed: number;
  /** Fuzzing connections per endpoint (default 2). */
  fuzzersPerProtocol?: number;
  /** Frames in flight per fuzzing connection (default 32). */
  window?: number;
  /** The server's frame size limit (default: the server default). */
  maxFrameBytes?: number;
  /** How long anything may go unanswered before the run fails (default 15 s). */
  stallMs?: number;
}

export interface FuzzResult {
  seed: number;
  frames: number;
  stats: FuzzStats;
  good: { sent: number; received: number; foreign: number };
  durationMs: number;
  /** Every failure found; empty when the server held. */
  failures: string[];
}

/** Per-connection seeds, so that each fuzzer's frames depend on the run's seed alone. */
const fuzzerSeed = (seed: number, index: number) => (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;

/**
 * Fuzzes the three endpoints of one server with `frames` random and mutated frames while well-behaved
 * clients exchange messages, then checks that the server still answers a new client on each endpoint.
 */
export async function runFuzz(config: FuzzConfig): Promise<FuzzResult> {
  const perProtocol = config.fuzzersPerProtocol ?? 2;
  const stallMs = config.stallMs ?? 15_000;
  const stats = emptyStats();
  const fail = (what: string) => {
    if (stats.failures.length < 50) stats.failures.push(what);
  };
  const started = performance.now();
  const good = await startGoodTraffic(config.url, stallMs, fail);
  const count = PROTOCOL_NAMES.length * perProtocol;
  const fuzzers = PROTOCOL_NAMES.flatMap((protocol, p) =>
    Array.from({ length: perProtocol }, (_, i) => {
      const index = p * perProtocol + i;
      const frames = Math.floor(config.frames / count) + (index < config.frames % count ? 1 : 0);
      return runFuzzer(
        {
          url: config.url,
          protocol,
          key: `fz-${protocol}-${i}`,
          frames,
          rng: new Prng(fuzzerSeed(config.seed, index)),
          window: config.window ?? 32,
          maxFrameBytes: config.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
          stallMs,
        },
        stats,
      ).catch((error: unknown) =>
        fail(`fuzzer ${protocol} ${i}: ${error instanceof Error ? error.message : error}`),
      );
    }),
  );
  await Promise.all(fuzzers);
  await good.finish(stallMs);
  const sent = PROTOCOL_NAMES.reduce((sum, p) => sum + stats.sent[p].text + stats.sent[p].binary, 0);
  const replies = [...stats.replies.values()].reduce((sum, n) => sum + n, 0);
  // Each frame: one reply, or the close it had to cause, or cut short by a close the server may choose.
  if (stats.failures.length === 0 && replies + stats.expectedCloses + stats.cutByClose !== sent)
    fail(
      `${sent} frames, but ${replies} replies, ${stats.expectedCloses} due closes, ${stats.cutByClose} cut short`,
    );
  for (const protocol of PROTOCOL_NAMES) {
    const answer = await pingAnswer(config.url, protocol, stallMs).catch((error: unknown) => `${error}`);
    if (answer !== "pong") fail(`after the fuzz, a new ${protocol} client's ping got ${answer}`);
  }
  return {
    seed: config.seed,
    frames: config.frames,
    stats,
    good: { sent: good.sent(), received: good.received(), foreign: good.foreign() },
    durationMs: performance.now() - started,
    failures: stats.failures,
  };
}

/** What a fresh client's ping gets: "pong" from a server that still answers. */
async function pingAnswer(url: string, protocol: ProtocolName, timeoutMs: number): Promise<string> {
  let answer = "nothing";
  const socket = await FuzzSocket.open(url, protocol, `after-${protocol}`, (incoming) => {
    answer = incoming.kind === "reply" ? incoming.event : incoming.kind;
  });
  const frame = encodeCommand(protocol, { event: "ping", id: "1" });
  socket.send(typeof frame === "string" ? frame : Buffer.from(frame), protocol === "pb");
  await socket.until(() => answer !== "nothing", timeoutMs, "pong").catch(() => undefined);
  await socket.close(timeoutMs);
  return answer;
}
