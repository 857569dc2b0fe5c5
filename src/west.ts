import { type MessageHandler, WestClient } from "./client/native-client.js";
import { Core } from "./core/core.js";
import { isValidKey } from "./core/names.js";
import { localDist } from "./dist/local.js";
import { createLogger } from "./log.js";
import { DEFAULTS, type WestOptions } from "./options.js";
import { type RunningServer, startHttpServer } from "./transport/http-server.js";

/** A running WEST node. */
export interface WestNode {
  /** A new in-process client with identity `key`; `onMessage` gets its deliveries and notices. */
  client(key: string, onMessage?: MessageHandler): WestClient;
  /** Closes every client, releases every channel and stops listening. */
  stop(): Promise<void>;
  /** The node's base URL (http://host:port), or undefined when embedded only. */
  readonly url: string | undefined;
  /** The port listened on, or undefined when embedded only. */
  readonly port: number | undefined;
}

export async function startWest(options: WestOptions = {}): Promise<WestNode> {
  const logger = options.logger ?? createLogger(options.logLevel ?? DEFAULTS.logLevel);
  const core = new Core({ logger, commandTimeoutMs: options.commandTimeoutMs ?? DEFAULTS.commandTimeoutMs });
  const dist = options.distFactory ? await options.distFactory(core) : localDist();
  core.attach(dist);
  const port = options.port ?? DEFAULTS.port;
  let server: RunningServer | undefined;
  if (port !== false) {
    try {
      server = await startHttpServer(
        core,
        {
          host: options.host ?? DEFAULTS.host,
          port,
          maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
          keepaliveIntervalMs: options.keepaliveIntervalMs ?? DEFAULTS.keepaliveIntervalMs,
          handshake: options.handshake,
        },
        logger,
      );
    } catch (error) {
      await dist.close();
      throw error;
    }
  }
  let stopped = false;

  return {
    url: server?.url,
    port: server?.port,
    client(key, onMessage) {
      if (stopped) throw new Error("this WEST node is stopped");
      if (!isValidKey(key)) {
        throw new TypeError(
          `invalid client key ${JSON.stringify(key)}: 1-256 bytes, no whitespace, control characters or '"', and not "west"`,
        );
      }
      return new WestClient((endpoint) => core.open(key, endpoint), onMessage, logger);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server?.close();
      await core.detachAll();
      await dist.close();
    },
  };
}
