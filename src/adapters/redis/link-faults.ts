import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  MaxCommandRedirectionsError,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from "@redis/client";
import { Fault } from "../../core/faults.js";
import type { RedisLink } from "./link.js";

/** node-redis's errors for a Redis it cannot reach: offline, connection lost or timed out, no Cluster node. */
const UNREACHABLE = [
  ClientOfflineError,
  ClientClosedError,
  DisconnectsClientError,
  SocketClosedUnexpectedlyError,
  ConnectionTimeoutError,
  SocketTimeoutError,
  TimeoutError,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  MaxCommandRedirectionsError,
];
/**
 * Error replies of a Redis that cannot serve now: loading its data, its Cluster down, a replica, a slot moving, a
 * script still running, too few replicas or no disk to take writes (min-replicas-to-write, a failing save), full.
 */
const NOT_SERVING = /^(LOADING|CLUSTERDOWN|MASTERDOWN|READONLY|TRYAGAIN|BUSY|NOREPLICAS|MISCONF|OOM)\b/;
/**
 * The code of a system error of Node's socket or name lookup (ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT,
 * EAI_AGAIN, ...), not one of Node's own ERR_* codes (ERR_INVALID_ARG_TYPE is a bug, not an unreachable Redis).
 */
const SOCKET_ERROR = /^E(?!RR_)[A-Z0-9_]+$/;

/** Whether `error`, from a Redis call, says that Redis cannot be reached or cannot serve now. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNREACHABLE.some((type) => error instanceof type)) return true;
  if (error instanceof ErrorReply) return NOT_SERVING.test(error.message);
  const { code } = error as Error & { code?: unknown };
  return typeof code === "string" && SOCKET_ERROR.test(code);
}

/**
 * `link`, whose calls fail with a "redis unavailable" Fault (node-redis's error as its cause, for the logs) when
 * Redis cannot be reached or cannot serve now; other failures (a script's error reply, NOSCRIPT) are left as they are.
 */
export function withUnavailableFaults(link: RedisLink): RedisLink {
  const rethrow = (error: unknown): never => {
    if (!isUnavailable(error)) throw error;
    throw new Fault("redis unavailable", "redis unavailable", { cause: error });
  };
  return {
    mode: link.mode,
    command: (key, args, bytes) => link.command(key, args, bytes).catch(rethrow),
    publish: (channel, message) => link.publish(channel, message).catch(rethrow),
    subscribe: (channel, listener) => link.subscribe(channel, listener).catch(rethrow),
    unsubscribe: (channel) => link.unsubscribe(channel).catch(rethrow),
    onConnectionLost: (handler) => link.onConnectionLost(handler),
    onReconnect: (handler) => link.onReconnect(handler),
    isUp: () => link.isUp(),
    close: () => link.close(),
  };
}
