import { Counter, Gauge, Histogram, Registry } from "prom-client";
import {
  AUTH_FAILURE_REASONS,
  COMMAND_LABELS,
  type Counters,
  LIMITS,
  RESULT_CATEGORIES,
} from "../core/counters.js";
import type { AdapterHooks, NodeStats } from "../core/seam.js";
import { PROTOCOL_NAMES } from "../protocols/codec.js";
import { processRegistry } from "./process-metrics.js";

/** What the metrics read when scraped. */
export interface MetricsSource {
  readonly counters: Counters;
  stats(): NodeStats;
}

/** Upper bounds (seconds) of the Redis round-trip buckets: loopback and LAN times up to a stalled Redis. */
const REDIS_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

export interface NodeMetrics {
  readonly registry: Registry;
  /** What the node's adapter reports through (Redis round trips and reconnections, with `redis`). */
  readonly adapterHooks: AdapterHooks;
}

/**
 * One node's Prometheus registry: its `west_*` metrics, read from `source` at scrape time (nothing on the hot
 * path calls prom-client), and the process metrics. With `redis`, the Redis round-trip histogram and reconnection
 * counter too, fed by the adapter through `adapterHooks`.
 */
export function nodeMetrics(source: MetricsSource, options: { redis: boolean }): NodeMetrics {
  const registry = new Registry();
  const registers = [registry];
  const { counters } = source;

  new Gauge({
    name: "west_connections",
    help: "Open client connections, by protocol (native: in-process clients of the embedded API).",
    labelNames: ["protocol"],
    registers,
    collect() {
      for (const protocol of [...PROTOCOL_NAMES, "native"])
        this.set({ protocol }, counters.openConnections(protocol));
    },
  });
  new Gauge({
    name: "west_registered_channels",
    help: "Channels registered (owned) by clients of this node.",
    registers,
    collect() {
      this.set(source.stats().registrations);
    },
  });
  new Gauge({
    name: "west_subscribed_channels",
    help: "Channels with at least one subscriber on this node.",
    registers,
    collect() {
      this.set(source.stats().subscriptions);
    },
  });
  new Counter({
    name: "west_commands_total",
    help: "Commands answered, by command (other: unknown events and unreadable frames) and result.",
    labelNames: ["command", "result"],
    registers,
    collect() {
      this.reset();
      for (const command of COMMAND_LABELS) {
        for (const result of RESULT_CATEGORIES)
          this.inc({ command, result }, counters.commands[command][result]);
      }
    },
  });
  new Counter({
    name: "west_api_requests_total",
    help: "HTTP API requests answered, by command (other: an unknown one) and HTTP status.",
    labelNames: ["command", "status"],
    registers,
    collect() {
      this.reset();
      for (const [label, count] of counters.apiRequests) {
        const [command, status] = label.split(" ");
        this.inc({ command, status }, count);
      }
    },
  });
  new Counter({
    name: "west_deliveries_total",
    help: "Messages handed to receivers on this node: to the owner (send) or to each subscriber (publish).",
    labelNames: ["kind"],
    registers,
    collect() {
      this.reset();
      this.inc({ kind: "send" }, counters.deliveriesSend);
      this.inc({ kind: "publish" }, counters.deliveriesPublish);
    },
  });
  plainCounter(
    registry,
    "west_received_bytes_total",
    "WebSocket payload bytes received.",
    () => counters.bytesIn,
  );
  plainCounter(
    registry,
    "west_sent_bytes_total",
    "WebSocket frame bytes written (replies and deliveries).",
    () => counters.bytesOut,
  );
  plainCounter(
    registry,
    "west_slow_consumer_cuts_total",
    "Connections closed because they did not keep up with their deliveries.",
    () => counters.slowConsumerCuts,
  );
  new Counter({
    name: "west_limit_hits_total",
    help: "Times a limit refused something, by limit.",
    labelNames: ["limit"],
    registers,
    collect() {
      this.reset();
      for (const limit of LIMITS) this.inc({ limit }, counters.limitHits[limit]);
    },
  });
  new Counter({
    name: "west_auth_failures_total",
    help: "Refused authentications, by reason.",
    labelNames: ["reason"],
    registers,
    collect() {
      this.reset();
      for (const reason of AUTH_FAILURE_REASONS) this.inc({ reason }, counters.authFailures[reason]);
    },
  });
  const adapterHooks: AdapterHooks = {};
  if (options.redis) {
    const roundTrips = new Histogram({
      name: "west_redis_command_duration_seconds",
      help: "Time from issuing a Redis command (also PUBLISH, SUBSCRIBE, UNSUBSCRIBE) to its answer.",
      buckets: REDIS_BUCKETS,
      registers,
    });
    const reconnects = new Counter({
      name: "west_redis_reconnects_total",
      help: "Times the connection to Redis (a Redis Cluster node, in sharded mode) came back after it was lost.",
      registers,
    });
    adapterHooks.roundTrip = (seconds) => roundTrips.observe(seconds);
    adapterHooks.reconnected = () => reconnects.inc();
  }
  return { registry: Registry.merge([registry, processRegistry()]), adapterHooks };
}

function plainCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
