import { localAdapter } from "./adapters/local/local-adapter.js";
import { startRedisAdapter } from "./adapters/redis/redis-adapter.js";
import { createTokenVerifier } from "./auth/jwt-verifier.js";
import { type MessageHandler, WestClient } from "./client/native-client.js";
import { ChannelFeatures } from "./core/channel-features.js";
import { Core } from "./core/core.js";
import { isValidKey, keyRule } from "./core/names.js";
import { Permissions } from "./core/permissions.js";
import type { Adapter, AdapterContext, Awaitable } from "./core/seam.js";
import type { Identity } from "./core/session.js";
import { createLogger } from "./log.js";
import { nodeMetrics } from "./metrics/node-metrics.js";
import { API_DEFAULTS, DEFAULTS, REDIS_DEFAULTS, type WestOptions } from "./options.js";
import { startHttpServer } from "./transport/http-server.js";

/** A running WEST node. */
export interface WestNode {
  /**
   * A new in-process client with identity `key`; `onMessage` gets its deliveries and notices. The permission
   * rules apply to it with `identity.claims` as its token's claims, unless `identity.trusted`.
   */
  client(key: string, onMessage?: MessageHandler, identity?: Identity): WestClient;
  /** Closes every client, releases every channel and stops listening. */
  stop(): Promise<void>;
  /** The node's base URL (http://host:port), or undefined when embedded only. */
  readonly url: string | undefined;
  /** The port listened on, or undefined when embedded only. */
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
  const port = options.port ?? DEFAULTS.port;
  const metrics =
    (options.metrics ?? DEFAULTS.metrics) && port !== false
      ? nodeMetrics(core, { redis: options.adapter === undefined && options.dist === "redis" })
      : undefined;
  // Listen first, so that the node's heartbeat carries its URL; sockets wait until the adapter is attached.
  let joined: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    joined = resolve;
  });
  const server =
    port === false
      ? undefined
      : await startHttpServer(
          core,
          {
            host: options.host ?? DEFAULTS.host,
            port,
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
            metrics: metrics?.registry,
            api:
              options.api?.key === undefined || options.api.key === ""
                ? undefined
                : {
                    key: options.api.key,
                    maxBodyBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
                    bodyTimeoutMs: options.api.bodyTimeoutMs ?? API_DEFAULTS.bodyTimeoutMs,
                  },
          },
          logger,
        );
  let adapter: Adapter;
  try {
    adapter = await createAdapter(
      { events: core.events, hooks: metrics?.adapterHooks ?? {}, logger, url: server?.url },
      options,
      features,
    );
  } catch (error) {
    await server?.close();
    throw error;
  }
  try {
    core.attach(adapter);
  } catch (error) {
    await adapter.close();
    await server?.close();
    throw error;
  }
  joined();
  let stopped = false;

  return {
    url: server?.url,
    port: server?.port,
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
      await server?.close();
      await core.detachAll();
      await adapter.close();
    },
  };
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
