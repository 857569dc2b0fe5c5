import { createClient, RESP_TYPES } from "@redis/client";
import type { Logger } from "../../log.js";
import { closeWithin, type RedisLink, reconnectDelay } from "./link.js";

/** One Redis server (global mode): a command connection and a subscriber connection. */
export async function connectGlobal(
  url: string,
  connectTimeoutMs: number,
  logger: Logger,
): Promise<RedisLink> {
  const log = logger.child({ redis: redactedUrl(url) });
  const options = {
    url,
    disableOfflineQueue: true,
    commandOptions: NO_CLIENT_TIMEOUT,
    socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: reconnectDelay },
  };
  const commands = createClient(options);
  const subscriber = commands.duplicate();
  const reconnectHandlers: (() => void)[] = [];
  const lostHandlers: (() => void)[] = [];
  for (const [name, client] of [
    ["commands", commands],
    ["subscriber", subscriber],
  ] as const) {
    let connected = false;
    client.on("error", (error: Error) =>
      log.warn({ err: error, connection: name }, "redis connection error"),
    );
    client.on("reconnecting", () => {
      log.info({ connection: name }, "redis reconnecting");
      if (connected) for (const handler of lostHandlers) handler();
    });
    client.on("end", () => log.info({ connection: name }, "redis connection closed"));
    client.on("ready", () => {
      log.info({ connection: name }, connected ? "redis reconnected" : "redis connected");
      if (connected && name === "commands") for (const handler of reconnectHandlers) handler();
      connected = true;
    });
  }
  try {
    const connecting = Promise.all([commands.connect(), subscriber.connect()]);
    await withStartupDeadline(connecting, [commands, subscriber], connectTimeoutMs * 5, url);
  } catch (error) {
    commands.destroy();
    subscriber.destroy();
    throw error;
  }

  return {
    mode: "global",
    command: (_key, args, bytes) => commands.sendCommand(args, bytes ? BYTE_REPLIES : undefined),
    publish: (channel, message) => commands.sendCommand(["PUBLISH", channel, message]) as Promise<number>,
    subscribe: (channel, listener) => subscriber.subscribe(channel, listener, true),
    unsubscribe: (channel) => subscriber.unsubscribe(channel),
    onConnectionLost: (handler) => lostHandlers.push(handler),
    onReconnect: (handler) => reconnectHandlers.push(handler),
    isUp: () => commands.isReady && subscriber.isReady,
    close: () =>
      closeWithin(
        connectTimeoutMs,
        () => Promise.all([subscriber.close(), commands.close()]),
        () => {
          subscriber.destroy();
          commands.destroy();
        },
      ),
  };
}

/**
 * node-redis's own per-command timeout (default 5 s) only drops a command still waiting to be written, and costs
 * an AbortSignal.timeout per command (about 4% of a busy node's time in a profile, and garbage besides). The
 * node's command deadline answers the client instead (AdapterCalls), and what its late commands do is made safe
 * there.
 */
export const NO_CLIENT_TIMEOUT = { timeout: 0 } as const;

/** Bulk replies as Buffers: history entries are binary node messages. */
export const BYTE_REPLIES = { ...NO_CLIENT_TIMEOUT, typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

/** Credentials or permissions that retrying will not fix. */
const FATAL_AT_START = /^(WRONGPASS|NOAUTH|NOPERM)/;

/**
 * Waits for the first connection: Redis may still be starting, so refused connections are retried until the
 * deadline, but wrong credentials fail at once.
 */
export async function withStartupDeadline<T>(
  connecting: Promise<T>,
  clients: { on(event: "error", listener: (error: Error) => void): unknown }[],
  ms: number,
  target: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`cannot reach Redis at ${redactedUrl(target)} within ${ms} ms`)),
      ms,
    );
    for (const client of clients) {
      client.on("error", (error) => {
        if (FATAL_AT_START.test(error.message)) reject(error);
      });
    }
  });
  try {
    return await Promise.race([connecting, failed]);
  } finally {
    clearTimeout(timer);
  }
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}
