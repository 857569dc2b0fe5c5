import type { IncomingMessage } from "node:http";
import type { DistFactory } from "./dist/dist.js";
import type { Logger, LogLevel } from "./log.js";

/** Options of `startWest`. Every field has a default; the README's configuration table lists them. */
export interface WestOptions {
  /** HTTP/WebSocket port; 0 picks a free one; false runs embedded only, with no HTTP at all. Default 8080. */
  port?: number | false;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Where channels live: "local" (this process only, the default) or "redis" (nodes sharing a Redis). */
  dist?: "local" | "redis";
  /** With `dist: "redis"`: `url` (one Redis, global mode) or `cluster` (Redis Cluster seeds, sharded mode). */
  redis?: RedisOptions;
  /** Advanced: a Dist backend of your own instead of `dist`. */
  distFactory?: DistFactory;
  /** A distributed command that gets no answer within this time is answered `internal_error`. Default 2000. */
  commandTimeoutMs?: number;
  /** Largest WebSocket frame accepted; a bigger one closes that socket with 1009. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Every this many ms the server pings each socket and drops those that did not answer the last ping. Default 30000. */
  keepaliveIntervalMs?: number;
  /** Serve Prometheus metrics at /metrics on the HTTP port (false: /metrics is not found). Default true. */
  metrics?: boolean;
  /**
   * Decides on each WebSocket upgrade: `true` accepts, `{ status, body }` refuses with that HTTP status,
   * anything else refuses with 401. May be async.
   */
  handshake?: HandshakeHook;
  /** Log level of the default pino logger. Default "info". */
  logLevel?: LogLevel;
  /** A pino logger to use instead of the default one. */
  logger?: Logger;
}

export const DEFAULTS = {
  port: 8080,
  host: "127.0.0.1",
  dist: "local",
  commandTimeoutMs: 2000,
  maxFrameBytes: 1024 * 1024,
  keepaliveIntervalMs: 30_000,
  metrics: true,
  logLevel: "info",
} as const satisfies WestOptions;

export type HandshakeHook = (request: IncomingMessage) => unknown;

export interface RedisOptions {
  /** One Redis (global mode): redis://[user:pass@]host:port, or rediss:// for TLS. */
  url?: string;
  /** Redis Cluster seed nodes, "host:port" (sharded mode). */
  cluster?: string[];
  /** ACL user and password for cluster mode (in global mode they go in the URL). */
  username?: string;
  password?: string;
  /** TLS to the cluster nodes (in global mode: use a rediss:// URL). */
  tls?: boolean;
  /** A node's heartbeat record lives this long without renewal; its channels are then free. Default 5000. */
  heartbeatTtlMs?: number;
  /** Replicas that must acknowledge a registration (Redis WAIT) or it is withdrawn. Default 0. */
  waitReplicas?: number;
  /** Prefix of every Redis key and channel WEST uses. Default "west:". */
  keyPrefix?: string;
}

export const REDIS_DEFAULTS = {
  heartbeatTtlMs: 5000,
  waitReplicas: 0,
  keyPrefix: "west:",
} as const satisfies RedisOptions;
