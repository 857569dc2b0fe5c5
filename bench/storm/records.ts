import type { LatencySummary } from "../harness/latency-histogram.js";
import type { SystemId } from "../systems/systems.js";
import type { StormConfig } from "./config.js";

/** Without tokens, or with an HS256 JWT per client checked on its upgrade (Socket.IO: its namespace connect). */
export type StormAuth = "off" | "jwt";

/** One reconnect storm on one freshly started server. */
export interface StormRun {
  clients: number;
  subscribed: number;
  /** Clients whose WebSocket never opened; never retried. */
  refused: number;
  /** Clients whose WebSocket opened but whose subscription was not acknowledged in time; never retried. */
  failed: number;
  firstError?: string;
  /** From the first client's connect attempt to the last subscribe reply. */
  allSubscribedMs: number;
  /** From the first client's attempt to the start of the last one's: how much at once the storm came. */
  launchSpreadMs: number;
  /** Per subscribed client: from the start of its attempt to its subscribe reply. */
  perClientMicros: LatencySummary;
  /** The headline: server CPU (all threads) from before the storm until it was idle again, ÷ clients. */
  serverCpuMicrosPerConnection: number;
  /** Server CPU over the storm's wall time: 1 = one core busy all along. */
  serverCores: number;
  serverPeakRssBytes: number;
  /** All load processes' CPU over the storm ÷ clients. */
  loadCpuMicrosPerConnection: number;
  /** The busiest load process's CPU over the storm's wall time: near 1, the load generator set the pace. */
  loadCores: number;
  loadProcesses: number;
}

/** Each figure the median of its runs (they may come from different runs). */
export interface StormMedian {
  allSubscribedMs: number;
  launchSpreadMs: number;
  p50Micros: number;
  p99Micros: number;
  serverCpuMicrosPerConnection: number;
  serverCores: number;
  serverPeakRssBytes: number;
  loadCpuMicrosPerConnection: number;
  loadCores: number;
}

export interface StormResult {
  system: SystemId;
  label: string;
  auth: StormAuth;
  status: "ok" | "failed" | "n/a" | "skipped";
  notes: string[];
  runs: StormRun[];
  median?: StormMedian;
  /** Median server CPU per connection ÷ the ws forwarder's, with the same auth, in the same section. */
  vsReference?: number;
}

/** What the storm must show (reported, never a failure by itself). */
export interface StormTargets {
  /** WEST ÷ ws forwarder, median server CPU per connection without auth: at most `cpuRatioGoal`. */
  cpuRatio?: number;
  cpuRatioGoal: number;
  /** WEST's clients refused or failed, all runs of both auth variants: must be 0. */
  westUnconnected?: number;
}

export interface StormReport {
  config: StormConfig;
  results: StormResult[];
  targets: StormTargets;
}
