import type { CrossSystemId } from "./records.js";

/** What the cross-node section runs. Runs of each case are interleaved across systems. */
export interface CrossNodeConfig {
  systems: CrossSystemId[];
  /** Runs of every case on every system. */
  repeats: number;
  /** One publisher on node 1, `subscribers` spread evenly over the 3 nodes; a measured phase per window. */
  fanout: {
    subscribers: number;
    windows: number[];
    /** Publishes of a measured phase, at least (and at least the window)... */
    publishes: number;
    /** ...for this long... */
    phaseMs: number;
    /** ...unless they have made this many deliveries before. */
    maxDeliveries: number;
  };
  /** Publisher/subscriber pairs on a channel each, publisher on node i, subscriber on node i+1; 1 in flight. */
  pairs: { pairs: number; rounds: number };
  /** Sender/owner pairs, sender on node i, owner on node i+1; 1 in flight. */
  p2p: { pairs: number; rounds: number };
  /** One publisher on node 1, `subscribers` on node 2; a measured phase per window. */
  oneClient: {
    subscribers: number;
    windows: number[];
    publishes: number;
    phaseMs: number;
    maxPublishes: number;
  };
}

export const CROSS_SYSTEM_IDS: CrossSystemId[] = [
  "west-redis",
  "west-cluster",
  "socketio-redis",
  "socketio-sharded",
  "nats",
];

/** `npm run bench -- --only=cross-node`: about 5 minutes on 2 cores. */
export const CROSS_NODE: CrossNodeConfig = {
  systems: CROSS_SYSTEM_IDS,
  repeats: 3,
  fanout: {
    subscribers: 999,
    windows: [1, 100],
    publishes: 100,
    phaseMs: 1_000,
    maxDeliveries: 100_000,
  },
  pairs: { pairs: 500, rounds: 20 },
  p2p: { pairs: 500, rounds: 20 },
  oneClient: { subscribers: 10, windows: [1_000, 1], publishes: 1_000, phaseMs: 1_000, maxPublishes: 15_000 },
};

/** The same at a size that goes through every step in seconds: for the section's own test. */
export function tinyCrossNode(systems: CrossSystemId[]): CrossNodeConfig {
  return {
    systems,
    repeats: 1,
    fanout: {
      subscribers: 30,
      windows: [1, 10],
      publishes: 20,
      phaseMs: 0,
      maxDeliveries: 1_000,
    },
    pairs: { pairs: 6, rounds: 3 },
    p2p: { pairs: 6, rounds: 3 },
    oneClient: { subscribers: 3, windows: [50, 1], publishes: 100, phaseMs: 0, maxPublishes: 100 },
  };
}
