import type { Protocol, SystemId } from "../systems/systems.js";

/** What a suite runs. Every list may be empty. Runs of a case are interleaved with the other systems' runs. */
export interface SuiteConfig {
  systems: SystemId[];
  /** Runs of each fanout case. */
  repeats: number;
  /** Runs of each channels and p2p case. */
  pairRepeats: number;
  fanout: {
    subscribers: number[];
    protocols: Protocol[];
    windows: number[];
    /** How long each measured phase publishes... */
    phaseMs: number;
    /** ...unless it has made this many deliveries before. */
    maxDeliveries: number;
    /** Deliveries of the warm-up before the measured phases, about. */
    warmupDeliveries: number;
    /** From this many subscribers on, they are spread over 2 load worker processes. */
    workersFrom: number;
  };
  /** Publisher/subscriber pairs on as many channels; `rounds` publishes per publisher. */
  channels: { pairs: number; rounds: number }[];
  /** Sender/owner pairs; `rounds` sends per sender. */
  p2p: { pairs: number; rounds: number }[];
  connections: {
    counts: number[];
    /** From this many connections on, they are spread over 2 load worker processes. */
    workersFrom: number;
    /** Before and after connecting, the server gets this long to finish what it was doing. */
    settleMs: number;
  };
}

const ALL_SYSTEMS: SystemId[] = ["west", "ws-forwarder", "socketio", "nats"];

/** `npm run bench`: about 10 minutes on 2 cores. */
export const FULL_SUITE: SuiteConfig = {
  systems: ALL_SYSTEMS,
  repeats: 3,
  pairRepeats: 3,
  fanout: {
    subscribers: [100, 1_000, 5_000],
    protocols: ["json", "pb"],
    windows: [1, 100],
    phaseMs: 1_000,
    maxDeliveries: 300_000,
    warmupDeliveries: 20_000,
    workersFrom: 5_000,
  },
  channels: [{ pairs: 1_000, rounds: 40 }],
  p2p: [{ pairs: 1_000, rounds: 40 }],
  connections: { counts: [10_000, 18_000], workersFrom: 18_000, settleMs: 500 },
};

/** `npm run bench -- --quick`: about 2 minutes. */
export const QUICK_SUITE: SuiteConfig = {
  ...FULL_SUITE,
  pairRepeats: 1,
  fanout: { ...FULL_SUITE.fanout, subscribers: [100, 1_000], phaseMs: 500, maxDeliveries: 150_000 },
  channels: [{ pairs: 1_000, rounds: 20 }],
  p2p: [{ pairs: 1_000, rounds: 20 }],
  connections: { ...FULL_SUITE.connections, counts: [2_000] },
};

/** The smallest suite that still goes through every step: for the harness's own test. */
export function tinySuite(systems: SystemId[]): SuiteConfig {
  return {
    systems,
    repeats: 1,
    pairRepeats: 1,
    fanout: {
      subscribers: [10],
      protocols: ["json"],
      windows: [1, 5],
      phaseMs: 0,
      maxDeliveries: 50,
      warmupDeliveries: 50,
      workersFrom: 10,
    },
    channels: [{ pairs: 5, rounds: 3 }],
    p2p: [{ pairs: 5, rounds: 3 }],
    connections: { counts: [20], workersFrom: 20, settleMs: 50 },
  };
}
