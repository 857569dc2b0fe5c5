import type { Protocol, SystemId } from "../systems/systems.js";
import type { LatencySummary } from "./latency-histogram.js";

/** One measured phase of a delivery scenario (fanout, channels, p2p). */
export interface DeliveryMeasurement {
  type: "deliveries";
  /** Deliveries expected. */
  deliveries: number;
  received: number;
  lost: number;
  duplicated: number;
  elapsedMs: number;
  deliveriesPerSecond: number;
  /** The headline: CPU time of the server process (all threads) per delivery. */
  serverCpuMicrosPerDelivery: number;
  /** Server CPU over wall time: 1 = one core busy all along. */
  serverCores: number;
  serverPeakRssBytes: number;
  /** From the send time written into the payload to its arrival at the subscriber. */
  latencyMicros: LatencySummary;
  loadCpuMicrosPerDelivery: number;
  /** The busiest load-generator process's CPU over wall time: near 1, the client is the limit. */
  loadCores: number;
  /** All load-generator processes' CPU over wall time: with the server's, near the machine's cores, it is full. */
  loadCoresTotal: number;
  loadProcesses: number;
}

/** Opening idle connections. */
export interface ConnectionsMeasurement {
  type: "connections";
  connections: number;
  opened: number;
  failed: number;
  connectMs: number;
  connectionsPerSecond: number;
  serverRssGrowthBytes: number;
  /** The headline: server RSS growth / connections. */
  rssBytesPerConnection: number;
  serverCpuMicrosPerConnection: number;
  serverPeakRssBytes: number;
  /** Per connection: upgrade to the reply to its first request. */
  handshakeMicros: LatencySummary;
  loadCores: number;
  loadProcesses: number;
}

export type Measurement = DeliveryMeasurement | ConnectionsMeasurement;

export type ScenarioKind = "fanout" | "channels" | "p2p" | "connections";

/** One cell of the matrix, before the system: e.g. fanout, 1,000 subscribers, JSON, 100 in flight. */
export interface ScenarioCase {
  kind: ScenarioKind;
  /** Unique within a run, e.g. "fanout/json/s1000/w100". */
  id: string;
  title: string;
  protocol: Protocol;
  params: Record<string, number>;
}

export type CaseStatus = "ok" | "failed" | "n/a" | "skipped";

/** A case on one system: its runs, the median run, and its headline against the reference system. */
export interface CaseResult {
  case: ScenarioCase;
  system: SystemId;
  systemLabel: string;
  status: CaseStatus;
  notes: string[];
  runs: Measurement[];
  /** The run whose headline is the median of the runs. */
  median?: Measurement;
  headline?: Headline;
  /** headline.median / the reference system's headline.median for the same case. */
  vsReference?: number;
}

export interface Headline {
  unit: string;
  median: number;
  min: number;
  max: number;
}

export function headlineOf(measurement: Measurement): number {
  return measurement.type === "deliveries"
    ? measurement.serverCpuMicrosPerDelivery
    : measurement.rssBytesPerConnection;
}

export function headlineUnit(kind: ScenarioKind): string {
  return kind === "connections" ? "server RSS bytes per connection" : "server CPU us per delivery";
}
