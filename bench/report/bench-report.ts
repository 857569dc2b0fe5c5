import type { CrossNodeReport } from "../cross-node/records.js";
import type { CaseResult } from "../harness/records.js";
import type { SuiteConfig } from "../harness/suite-config.js";
import type { ScenarioResult } from "../in-process.js";
import type { ModeResult } from "../redis-modes.js";
import type { RequestReplyReport } from "../request-reply/section.js";
import type { SlowConsumerResult } from "../scenarios/slow-consumer.js";
import type { StormReport } from "../storm/records.js";

/** Everything one `npm run bench` measured: written as JSON, and rendered as markdown and SVG. */
export interface BenchReport {
  startedAt: string;
  durationSeconds: number;
  suite: "full" | "quick" | "custom";
  machine: { node: string; cores: number; cpu: string; platform: string; memoryGiB: number };
  commit: string;
  /** Each system and the version that ran. */
  systems: { id: string; label: string; version: string }[];
  config: SuiteConfig;
  results: CaseResult[];
  /** WEST alone, embedded, no network. */
  inProcess?: ScenarioResult[];
  /** WEST alone, on one node and on three nodes over Redis; or why it was skipped. */
  redisModes?: ModeResult[] | { skipped: string };
  /** WEST alone: the others' deliveries without and with one stalled subscriber. */
  slowConsumer?: SlowConsumerResult[];
  /** Five systems of 3 server processes each (WEST-TS on Redis and Redis Cluster, Socket.IO, NATS). */
  crossNode?: CrossNodeReport;
  /** Request/reply round trips (WEST-TS and NATS, one node and two), and the HTTP API's publish. */
  requestReply?: RequestReplyReport;
  /** Every client connecting and subscribing at once, on each system, without and with tokens. */
  storm?: StormReport;
  notes: string[];
  /** One line per failed case, also printed; a run with any makes `npm run bench` exit non-zero. */
  failures: string[];
}
