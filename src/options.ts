import type { Server as HttpServer, IncomingMessage } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { ChannelRule } from "./core/channel-features.js";
import type { PermissionsConfig } from "./core/permissions.js";
import type { AdapterFactory } from "./core/seam.js";
import type { Logger, LogLevel } from "./log.js";

/** Options of `startWest`. Every field has a default; the README's configuration table lists them. */
export interface WestOptions {
  /**
   * HTTP/WebSocket port of the node's own server; 0 picks a free one; false opens no port (embedded only, or
   * served through `node.handleRequest` / `node.handleUpgrade`). Default 8080; not with `server`.
   */
  port?: number | false;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /**
   * Connections the kernel may hold for the node's own server before it accepts them (listen backlog; Linux caps
   * it at net.core.somaxconn). Beyond it, new connections wait for a retry of their SYN, 1 s and more: a
   * reconnect storm needs room. Default 4096.
   */
  listenBacklog?: number;
  /**
   * An application's HTTP or HTTPS server (under Express, Fastify, Koa...) to serve on instead of a port of the
   * node's own: the node takes the requests and upgrades of its routes and passes every other one to the
   * listeners the server has (docs/operations.md, "Embedding in an existing server"). Stopping the node gives
   * them back and leaves the server running.
   */
  server?: HttpServer | HttpsServer;
  /** Where the WebSocket endpoints are: PATH/{text|json|pb}/:key. Default "/websocket". */
  path?: string;
  /** Where the other HTTP routes are (web client, /healthz, /metrics, /api/): under this path. Default "" (the root). */
  httpPrefix?: string;
  /** Serve the web client under `httpPrefix`. Default true on the node's own port, false otherwise. */
  webClient?: boolean;
  /** Serve /healthz under `httpPrefix`. Default true on the node's own port, false otherwise. */
  healthz?: boolean;
  /**
   * The node's own server serves https and wss with this certificate and key (PEM files), re-read by
   * `node.reloadCertificates()` (`west start`: on SIGHUP). Default: none (http and ws).
   */
  tls?: TlsOptions;
  /** Where channels live: "local" (this process only, the default) or "redis" (nodes sharing a Redis). */
  dist?: "local" | "redis";
  /** With `dist: "redis"`: `url` (one Redis, global mode) or `cluster` (Redis Cluster seeds, sharded mode). */
  redis?: RedisOptions;
  /** Advanced: an adapter of your own (owner registry and backplane) instead of `dist`. */
  adapter?: AdapterFactory;
  /** A distributed command that gets no answer within this time is answered `internal_error`. Default 2000. */
  commandTimeoutMs?: number;
  /** Largest WebSocket frame accepted; a bigger one closes that socket with 1009. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Every this many ms the server pings each socket and drops those that did not answer the last ping. Default 30000. */
  keepaliveIntervalMs?: number;
  /**
   * Serve Prometheus metrics at /metrics under `httpPrefix` (false: /metrics is not found). Default true on the
   * node's own port, false otherwise.
   */
  metrics?: boolean;
  /**
   * Channels one client (a socket or a native client) may hold: registrations plus subscriptions, counting those
   * still being confirmed. A register or subscribe beyond it is answered `registration_failed` /
   * `subscription_failed` and the connection stays open. Default 1000.
   */
  maxChannelsPerConnection?: number;
  /**
   * Commands of one client that may run at once (pipelined: docs/protocol.md, "Pipelining"); the ones beyond
   * wait their turn, in order, and are not refused. Default 1000.
   */
  maxCommandsInFlight?: number;
  /**
   * Requests of one client waiting for their owner's reply (docs/protocol.md, "Request/reply (ext)"); one more is
   * answered `request_failed`. Default 100.
   */
  maxPendingRequests?: number;
  /**
   * WebSocket connections this node serves at once; one more is accepted and closed at once with 1013
   * ("try again later"). Native clients do not count. Default 50000.
   */
  maxConnections?: number;
  /**
   * Commands a socket may send per second, in bursts up to one second's worth; beyond, a command is answered
   * `rate_limited`, and a socket that keeps sending more than twice the rate is closed with 4002 ("rate").
   * 0: no limit. Native clients are not limited. Default 10000.
   */
  maxCommandsPerSecond?: number;
  /** Longest channel name, in UTF-8 bytes; a longer one gets the command's `*_failed` reply. Default 256. */
  maxChannelBytes?: number;
  /** Longest client key, in UTF-8 bytes; a longer one is refused (upgrade: 400; native client: TypeError). Default 256. */
  maxKeyBytes?: number;
  /**
   * Origins (`scheme://host[:port]`) whose browser pages may open WebSockets besides the node's own (the
   * request's Host with the connection's scheme: https over TLS or when the first X-Forwarded-Proto value is
   * `https`, http when it is `http` or there is none); `"*"` allows any. Requests without an Origin header (non-browser
   * clients) are always allowed; others are refused with 403. Default: none (same origin only).
   */
  allowedOrigins?: readonly string[];
  /**
   * A delivery that would take a WebSocket connection's queued outgoing bytes past this closes it with 4001
   * "slow" (the delivery is dropped). Default 1 MiB.
   */
  slowConsumerBytes?: number;
  /**
   * A WebSocket connection whose queued outgoing bytes do not move for this many ms is closed with 4001 "slow";
   * a connection so closed that does not read its backlog within this time is dropped. Default 10000.
   */
  slowConsumerStallMs?: number;
  /**
   * Decides on each WebSocket upgrade: `true` accepts, `{ status, body }` refuses with that HTTP status,
   * anything else refuses with 401. May be async. With `auth` on, it runs after the token was verified and
   * gets the verified identity as its second argument.
   */
  handshake?: HandshakeHook;
  /**
   * An upgrade not decided within this many ms (the node still joining its distribution layer, a slow token
   * check or handshake hook) is refused with 503 and a body saying what it waited for. Default 10000.
   */
  handshakeTimeoutMs?: number;
  /** Signed connection tokens (JWT). Off unless one of jwtSecret, jwtPublicKey, jwtPublicKeyFile is set. */
  auth?: AuthOptions;
  /** The HTTP API for backends (docs/http-api.md): on when `api.key` is set. */
  api?: ApiOptions;
  /** The admin dashboard at /admin (under `httpPrefix`): on when `admin.password` or `api.key` is set. */
  admin?: AdminOptions;
  /** Who may register, send, subscribe and publish on which channels. None: every command is allowed. */
  permissions?: PermissionsConfig;
  /** History, presence and join/leave, per channel pattern; the first rule that matches decides. None: plain channels. */
  channels?: ChannelRule[];
  /** Log level of the default pino logger. Default "info". */
  logLevel?: LogLevel;
  /** A pino logger to use instead of the default one. */
  logger?: Logger;
}

export interface AdminOptions {
  /** The dashboard's password; without it, `api.key` is. Never logged. */
  password?: string;
}

/** The PEM files of the node's own https server. */
export interface TlsOptions {
  /** The certificate chain: the server's certificate first, then any intermediates. */
  cert: string;
  /** Its private key (unencrypted). */
  key: string;
}

export const DEFAULTS = {
  port: 8080,
  listenBacklog: 4096,
  path: "/websocket",
  httpPrefix: "",
  host: "127.0.0.1",
  dist: "local",
  commandTimeoutMs: 2000,
  maxFrameBytes: 1024 * 1024,
  keepaliveIntervalMs: 30_000,
  maxChannelsPerConnection: 1000,
  maxCommandsInFlight: 1000,
  maxPendingRequests: 100,
  maxConnections: 50_000,
  maxCommandsPerSecond: 10_000,
  maxChannelBytes: 256,
  maxKeyBytes: 256,
  allowedOrigins: [],
  slowConsumerBytes: 1024 * 1024,
  slowConsumerStallMs: 10_000,
  handshakeTimeoutMs: 10_000,
  metrics: true,
  logLevel: "info",
} as const satisfies WestOptions;

export type HandshakeHook = (request: IncomingMessage, identity?: VerifiedIdentity) => unknown;

/** A client whose token was verified: its key (the token's `sub`) and the token's claims. */
export interface VerifiedIdentity {
  key: string;
  claims: Readonly<Record<string, unknown>>;
}

/** The JWS algorithms a token may be signed with. */
export const JWT_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/**
 * Connection tokens: a JWT in the upgrade's `Authorization: Bearer` header or `?token=` query parameter,
 * whose `sub` is the client's key. Exactly one of the three key options turns it on.
 */
export interface AuthOptions {
  /** Shared secret (HMAC, HS256/384/512), at least 32 bytes of UTF-8. */
  jwtSecret?: string;
  /** Public key, PEM (SPKI, `-----BEGIN PUBLIC KEY-----`); `\n` escapes count as newlines. */
  jwtPublicKey?: string;
  /** Path of a PEM file holding the public key. */
  jwtPublicKeyFile?: string;
  /** Accepted algorithms; default: every one that fits the key (HS* for a secret, RS* and PS* for RSA, ...). */
  algorithms?: JwtAlgorithm[];
  /** Required `iss` claim. */
  issuer?: string;
  /** Required `aud` claim (a token may list several audiences). */
  audience?: string;
  /** A token without `exp` (one that would never expire) is refused as invalid unless this is false. Default true. */
  requireExp?: boolean;
}

export const AUTH_DEFAULTS = { requireExp: true } as const satisfies AuthOptions;

export interface ApiOptions {
  /** The key a backend sends as `Authorization: apikey KEY`; the API is off without it. Never logged. */
  key?: string;
  /** A request body not received within this time is answered 408. Default 10000. */
  bodyTimeoutMs?: number;
}

export const API_DEFAULTS = { bodyTimeoutMs: 10_000 } as const satisfies ApiOptions;

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
  /**
   * Owner records expire this long after their node last renewed them (it renews them three times within it),
   * so that a dead node's records leave Redis. Raised to twice heartbeatTtlMs if shorter. Default 60000.
   */
  ownerRecordTtlMs?: number;
  /** Replicas that must acknowledge a registration (Redis WAIT) or it is withdrawn. Default 0. */
  waitReplicas?: number;
  /** Prefix of every Redis key and channel WEST uses. Default "west:". */
  keyPrefix?: string;
}

export const REDIS_DEFAULTS = {
  heartbeatTtlMs: 5000,
  ownerRecordTtlMs: 60_000,
  waitReplicas: 0,
  keyPrefix: "west:",
} as const satisfies RedisOptions;

/** Node's timers fire at once when given a longer delay than this. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
