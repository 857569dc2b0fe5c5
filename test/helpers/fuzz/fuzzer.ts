import { REPLY_EVENTS } from "../../../src/core/message.js";
import type { ProtocolName } from "../../../src/protocols/codec.js";
import { type FuzzFrame, fuzzFrame } from "./fuzz-frames.js";
import { FuzzSocket } from "./fuzz-socket.js";
import type { Prng } from "./prng.js";
import type { Incoming } from "./read-frame.js";

/** What the fuzzing connections sent and got, shared by all of them. */
export interface FuzzStats {
  sent: Record<ProtocolName, { text: number; binary: number }>;
  /** Replies by event, all endpoints. */
  replies: Map<string, number>;
  /** Closes by code, expected (bye, 1007, 1009) or not. */
  closes: Map<number, number>;
  /** Frames that caused the close they had to cause. */
  expectedCloses: number;
  /** Frames still unanswered when the server closed a connection no frame asked it to close. */
  cutByClose: number;
  /** Deliveries to fuzzers (their valid commands meet each other). */
  deliveries: number;
  connections: number;
  failures: string[];
}

export function emptyStats(): FuzzStats {
  return {
    sent: { text: { text: 0, binary: 0 }, json: { text: 0, binary: 0 }, pb: { text: 0, binary: 0 } },
    replies: new Map(),
    closes: new Map(),
    expectedCloses: 0,
    cutByClose: 0,
    deliveries: 0,
    connections: 0,
    failures: [],
  };
}

export interface FuzzerOptions {
  url: string;
  protocol: ProtocolName;
  key: string;
  frames: number;
  rng: Prng;
  /** Frames in flight (sent, not yet answered) at most. */
  window: number;
  maxFrameBytes: number;
  /** How long a connection may go without an answer before the run fails. */
  stallMs: number;
}

/** Closes the server may decide on its own (policy, load, rate, slow consumer): counted, not failures. */
const UNPROMPTED_CLOSES = new Set([1001, 1008, 1013, 4001, 4002]);
const KNOWN_EVENTS = new Set<string>(REPLY_EVENTS);
const bump = <K>(counts: Map<K, number>, key: K) => counts.set(key, (counts.get(key) ?? 0) + 1);
const hex = (frame: FuzzFrame) =>
  `${frame.binary ? "binary" : "text"} ${frame.payload.subarray(0, 120).toString("hex")}${frame.payload.length > 120 ? `... (${frame.payload.length} bytes)` : ""}`;

/**
 * One fuzzing client: sends `frames` frames with at most `window` unanswered, checks that each gets exactly
 * one reply of the closed list or the close it must cause, and reconnects after every close.
 */
export async function runFuzzer(options: FuzzerOptions, stats: FuzzStats): Promise<void> {
  const { protocol, key, rng, window, stallMs } = options;
  const fail = (what: string) => {
    if (stats.failures.length < 50) stats.failures.push(`${protocol} ${key}: ${what}`);
  };
  let outstanding = 0;
  let expecting: number | undefined;
  const recent: FuzzFrame[] = [];
  const onIncoming = (incoming: Incoming) => {
    if (incoming.kind === "delivery") {
      stats.deliveries++;
      return;
    }
    if (incoming.kind === "unreadable") return fail(`unreadable frame from the server: ${incoming.why}`);
    if (!KNOWN_EVENTS.has(incoming.event)) fail(`reply event not in docs/protocol.md: ${incoming.event}`);
    bump(stats.replies, incoming.event);
    if (--outstanding < 0)
      fail(`a reply (${incoming.event}) no frame asked for; last frames: ${recent.map(hex).join(" | ")}`);
  };
  const connect = async () => {
    outstanding = 0;
    expecting = undefined;
    stats.connections++;
    return FuzzSocket.open(options.url, protocol, key, onIncoming);
  };
  /** Accounts for a close no frame asked for. */
  const unprompted = (code: number) => {
    bump(stats.closes, code);
    stats.cutByClose += outstanding;
    if (!UNPROMPTED_CLOSES.has(code))
      fail(`closed with ${code}, which no frame asked for; last frames: ${recent.map(hex).join(" | ")}`);
  };

  let socket = await connect();
  for (let i = 0; i < options.frames && stats.failures.length === 0; i++) {
    const frame = fuzzFrame(rng, protocol, options.maxFrameBytes);
    recent.push(frame);
    if (recent.length > 6) recent.shift();
    const limit = frame.expectedClose === undefined ? window : 1;
    await socket.until(
      () => outstanding < limit,
      stallMs,
      `replies on ${protocol} (${outstanding} in flight)`,
    );
    if (socket.closeCode !== undefined) {
      unprompted(socket.closeCode);
      socket = await connect();
    }
    socket.send(frame.payload, frame.binary);
    stats.sent[protocol][frame.binary ? "binary" : "text"]++;
    if (frame.expectedClose === undefined) {
      outstanding++;
      continue;
    }
    expecting = frame.expectedClose;
    await socket.until(() => false, stallMs, `the close ${expecting} after ${hex(frame)}`);
    const code = socket.closeCode as number;
    bump(stats.closes, code);
    if (code === expecting) stats.expectedCloses++;
    else fail(`closed with ${code} where ${expecting} was due, after ${hex(frame)}`);
    socket = await connect();
  }
  await socket.until(() => outstanding === 0, stallMs, `the last replies on ${protocol}`);
  if (socket.closeCode !== undefined) unprompted(socket.closeCode);
  await socket.close(stallMs);
}
