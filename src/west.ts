import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { localAdapter } from "./adapters/local/local-adapter.js";
import { startRedisAdapter } from "./adapters/redis/redis-adapter.js";
import { AdminFeed } from "./admin/admin-feed.js";
import type { Admin } from "./admin/admin-routes.js";
import { AdminSessions } from "./admin/admin-sessions.js";
import { runApiCommand } from "./api/api-commands.js";
import { createTokenVerifier } from "./auth/jwt-verifier.js";
import { type MessageHandler, WestClient } from "./client/native-client.js";
import { ChannelFeatures } from "./core/channel-features.js";
import { Core } from "./core/core.js";
import type { Counters } from "./core/counters.js";
import { isValidKey, keyRule } from "./core/names.js";
import { Permissions } from "./core/permissions.js";
import type { Adapter, AdapterContext, AdapterHooks, Awaitable } from "./core/seam.js";
import type { Identity } from "./core/session.js";
import { createLogger, type Logger } from "./log.js";
import { nodeMetrics } from "./metrics/node-metrics.js";
import { API_DEFAULTS, DEFAULTS, REDIS_DEFAULTS, type WestOptions } from "./options.js";
import { type Attached, attachToServer } from "./transport/attach.js";
import { answerNotFound, normalPath } from "./transport/http-routes.js";
import { type RunningServer, startHttpServer } from "./transport/http-server.js";
import { endpointsAt } from "./transport/upgrade.js";
import { createWestHttp, type Next } from "./transport/west-http.js";

/** A running WEST node. */
export interface WestNode {
  /**
   * A new in-process client with identity `key`; `onMessage` gets its deliveries and notices. The permission
   * rules apply to it with `identity.claims` as its token's claims, unless `identity.trusted`.
   */
  client(key: string, onMessage?: MessageHandler, identity?: Identity): WestClient;
  /**
   * Serves the node's HTTP routes (the WebSocket endpoints' admission checks; the API, /healthz, /metrics and the
   * web client as turned on) and calls `next()` for any other request; without `next`, answers it 404. A
   * Connect/Express middleware as it is: `app.use(node.handleRequest)`.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse, next?: Next): void;
  /**
   * Takes an upgrade under the WebSocket endpoints' `path` and returns true; returns false, touching nothing, for
   * any other, which the caller routes elsewhere. For servers whose upgrade event the application routes itself.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Re-reads the `tls` files; new connections use them, open ones stay. Rejects (keeping the old ones) when they cannot be used. */
  reloadCertificates(): Promise<void>;
  /** Closes every client, releases every channel and stops listening (an application's `server` keeps running). */
  stop(): Promise<void>;
  /** The node's base URL (http[s]://host:port): its own server's, or the application's server's once it listens; else undefined. */
  readonly url: string | undefined;
  /** The port listened on, as `url`. */
  readonly port: number | undefined;
}

export async function startWest(options: WestOptions = {}): Promise<WestNode> {
  const logger = options.logger ?? createLogger(options.logLevel ?? DEFAULTS.logLevel);
  const permissions =
    options.permissions === undefined ? undefined : Permissions.compile(options.permissions);
  const features = options.channels === undefined ? undefined : ChannelFeatures.compile(options.channels);
  const maxKeyBytes = options.maxKeyBytes ?? DEFAULTS.maxKeyBytes;
  const verifier = await createTokenVerifier(options.auth, maxKeyBytes);
  const core = new Core({
    logger,
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULTS.commandTimeoutMs,
    maxChannelsPerConnection: options.maxChannelsPerConnection ?? DEFAULTS.maxChannelsPerConnection,
    maxCommandsInFlight: options.maxCommandsInFlight ?? DEFAULTS.maxCommandsInFlight,
    maxPendingRequests: options.maxPendingRequests ?? DEFAULTS.maxPendingRequests,
    maxChannelBytes: options.maxChannelBytes ?? DEFAULTS.maxChannelBytes,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
    permissions,
    features,
  });
  const { server: appServer, tls } = options;
  if (appServer !== undefined && options.port !== undefined)
    throw new TypeError("give either port (the node's own server) or server (an application's), not both");
  if (tls !== undefined && (appServer !== undefined || options.port === false))
    throw new TypeError("tls is for the node's own server: an application's server brings its own");
  if (tls !== undefined && (typeof tls.cert !== "string" || typeof tls.key !== "string"))
    throw new TypeError("tls needs both cert and key (paths of PEM files)");
  const port = appServer === undefined ? (options.port ?? DEFAULTS.port) : false;
  const ownServer = port !== false;
  const metrics =
    (options.metrics ?? (ownServer && DEFAULTS.metrics))
      ? nodeMetrics(core, { redis: options.adapter === undefined && options.dist === "redis" })
      : undefined;
  const endpoints = endpointsAt(normalPath(options.path ?? DEFAULTS.path, "path", false));
  const prefix = normalPath(options.httpPrefix ?? DEFAULTS.httpPrefix, "httpPrefix", true);
  // Listen first, so that the node's heartbeat carries its URL; sockets wait until the adapter is attached.
  let joined: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    joined = resolve;
  });
  const admin = adminOf(options, core, logger);
  const http = createWestHttp(
    core,
    {
      endpoints,
      prefix,
      webClient: options.webClient ?? ownServer,
      healthz: options.healthz ?? ownServer,
      metrics: metrics?.registry,
      api:
        options.api?.key === undefined || options.api.key === ""
          ? undefined
          : {
              key: options.api.key,
              maxBodyBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
              bodyTimeoutMs: options.api.bodyTimeoutMs ?? API_DEFAULTS.bodyTimeoutMs,
            },
      admin,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? DEFAULTS.keepaliveIntervalMs,
      slowConsumers: {
        maxQueuedBytes: options.slowConsumerBytes ?? DEFAULTS.slowConsumerBytes,
        stallMs: options.slowConsumerStallMs ?? DEFAULTS.slowConsumerStallMs,
      },
      handshake: options.handshake,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
      maxConnections: options.maxConnections ?? DEFAULTS.maxConnections,
      maxCommandsPerSecond: options.maxCommandsPerSecond ?? DEFAULTS.maxCommandsPerSecond,
      maxKeyBytes,
      allowedOrigins: options.allowedOrigins ?? DEFAULTS.allowedOrigins,
      verifier,
      ready,
    },
    logger,
  );
  let server: RunningServer | undefined;
  try {
    server =
      port === false
        ? undefined
        : await startHttpServer(
            http,
            {
              host: options.host ?? DEFAULTS.host,
              port,
              backlog: options.listenBacklog ?? DEFAULTS.listenBacklog,
              tls,
              prefix,
              endpointsBase: endpoints.base,
            },
            logger,
          );
  } catch (error) {
    await http.close();
    throw error;
  }
  const attached: Attached | undefined =
    appServer === undefined ? undefined : attachToServer(appServer, http);
  const where = {
    url: () => server?.url ?? attached?.url(),
    port: () => server?.port ?? attached?.port(),
  };
  const closeHttp = async () => {
    attached?.detach();
    await (server?.close() ?? http.close());
  };
  let adapter: Adapter;
  try {
    adapter = await createAdapter(
      {
        events: core.events,
        hooks: adapterHooks(metrics?.adapterHooks, admin === undefined ? undefined : core.counters),
        logger,
        get url() {
          return where.url();
        },
      },
      options,
      features,
    );
  } catch (error) {
    await closeHttp();
    throw error;
  }
  try {
    core.attach(adapter);
  } catch (error) {
    await adapter.close();
    await closeHttp();
    throw error;
  }
  joined();
  let stopped = false;

  return {
    get url() {
      return where.url();
    },
    get port() {
      return where.port();
    },
    handleRequest(request, response, next) {
      http.handleRequest(request, response, next ?? (() => answerNotFound(response)));
    },
    handleUpgrade: (request, socket, head) => http.handleUpgrade(request, socket, head),
    reloadCertificates: async () => server?.reloadCertificates(),
    client(key, onMessage, identity) {
      if (stopped) throw new Error("this WEST node is stopped");
      if (!isValidKey(key, maxKeyBytes)) {
        throw new TypeError(`invalid client key ${JSON.stringify(key)}: ${keyRule(maxKeyBytes)}`);
      }
      return new WestClient((endpoint) => core.open(key, endpoint, identity), onMessage, logger);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await closeHttp();
      await core.detachAll();
      await adapter.close();
    },
  };
}

/**
 * A node is late on the dashboard once its figures are this share of the heartbeat TTL old: beats come every
 * quarter TTL and the dashboard reads every second, so a live node's stay younger; its record expires at 1.
 */
const LATE_SHARE = 0.6;

/** The dashboard, when a password for it is set: `admin.password`, else `api.key`. */
function adminOf(options: WestOptions, core: Core, logger: Logger): Admin | undefined {
  const password = options.admin?.password || options.api?.key;
  if (password === undefined || password === "") return undefined;
  return {
    sessions: new AdminSessions(password),
    act: (command, text) => runApiCommand(core, command, text),
    feed: new AdminFeed(
      { self: () => core.nodeId(), nodes: () => core.systemNodes() },
      logger,
      LATE_SHARE * (options.redis?.heartbeatTtlMs ?? REDIS_DEFAULTS.heartbeatTtlMs),
    ),
  };
}

/** The metrics' hooks, and with the dashboard on, the round trips it shows counted in `counters`. */
function adapterHooks(metricsHooks: AdapterHooks | undefined, counters: Counters | undefined): AdapterHooks {
  const hooks: AdapterHooks = { ...metricsHooks };
  if (counters === undefined) return hooks;
  const measured = hooks.roundTrip;
  hooks.roundTrip = (seconds) => {
    measured?.(seconds);
    counters.roundTrips++;
    counters.roundTripSeconds += seconds;
  };
  return hooks;
}

function createAdapter(
  context: AdapterContext,
  options: WestOptions,
  channels: ChannelFeatures | undefined,
): Awaitable<Adapter> {
  if (options.adapter !== undefined) return options.adapter(context);
  if ((options.dist ?? DEFAULTS.dist) === "local") return localAdapter(context);
  return startRedisAdapter(context, {
    ...REDIS_DEFAULTS,
    ...options.redis,
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULTS.commandTimeoutMs,
    channels,
  });
}
