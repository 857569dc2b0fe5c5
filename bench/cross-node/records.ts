import type { LatencySummary } from "../harness/latency-histogram.js";

export type CrossSystemId = "west-redis" | "west-cluster" | "socketio-redis" | "socketio-sharded" | "nats";

export type CrossKind = "fanout" | "pairs" | "p2p" | "one-client";

/** One scenario of the section, e.g. fan-out to 999 subscribers with 100 in flight. */
export interface CrossCase {
  kind: CrossKind;
  /** Unique within the section, e.g. "fanout/w100". */
  id: string;
  title: string;
  params: Record<string, number>;
}

/** One measured phase of a case on a system. */
export interface CrossRun {
  deliveries: number;
  received: number;
  /** Expected minus received, per receiving connection. */
  lost: number;
  duplicated: number;
  /** CPU of every server process and every Redis or NATS process, per delivery. */
  cpuMicrosPerDelivery: number;
  /** Those processes' CPU over wall time: 1 = one core busy all along. */
  serverCores: number;
  deliveriesPerSecond: number;
  /** Publishes acknowledged per second (the one-client cases). */
  publishesPerSecond?: number;
  latencyMicros: LatencySummary;
  /** The busiest load-generator process's CPU over wall time. */
  loadCores: number;
}

/** Each figure's median over the runs; `lost` is the sum. */
export interface CrossMedian {
  cpuMicrosPerDelivery: number;
  deliveriesPerSecond: number;
  publishesPerSecond?: number;
  p50Micros: number;
  p99Micros: number;
  lost: number;
}

export interface CrossResult {
  case: CrossCase;
  system: CrossSystemId;
  systemLabel: string;
  status: "ok" | "failed" | "skipped";
  notes: string[];
  runs: CrossRun[];
  median?: CrossMedian;
}

/** A ratio of medians the section aims for: printed with whether it is met, never a failure. */
export interface CrossTarget {
  scenario: string;
  ratio: string;
  /** e.g. "≤ 2". */
  goal: string;
  /** Undefined when either side has no median. */
  value?: number;
  met?: boolean;
}

/** What the cross-node section measured: in the bench's JSON, markdown and charts. */
export interface CrossNodeReport {
  repeats: number;
  systems: { id: CrossSystemId; label: string; version: string; skipped?: string }[];
  results: CrossResult[];
  targets: CrossTarget[];
}
