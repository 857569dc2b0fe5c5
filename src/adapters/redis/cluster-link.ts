import { createCluster } from "@redis/client";
import type { Logger } from "../../log.js";
import { BYTE_REPLIES, NO_CLIENT_TIMEOUT, withStartupDeadline } from "./global-link.js";
import { closeWithin, type RedisLink, reconnectDelay } from "./link.js";

export interface ClusterConnection {
  seeds: string[];
  username?: string | undefined;
  password?: string | undefined;
  tls?: boolean | undefined;
  connectTimeoutMs: number;
}

/**
 * A cluster client for `connection`: every node reached with the same credentials and TLS. `reconnect` false
 * (one-shot tools): a lost node is not retried.
 */
export function clusterClient(connection: ClusterConnection, reconnect: boolean) {
  const scheme = connection.tls ? "rediss" : "redis";
  return createCluster({
    rootNodes: connection.seeds.map((seed) => ({ url: `${scheme}://${seed}` })),
    commandOptions: NO_CLIENT_TIMEOUT,
    defaults: {
      ...(connection.username === undefined ? {} : { username: connection.username }),
      ...(connection.password === undefined ? {} : { password: connection.password }),
      disableOfflineQueue: reconnect,
      socket: {
        connectTimeout: connection.connectTimeoutMs,
        reconnectStrategy: reconnect ? reconnectDelay : false,
        ...(connection.tls ? { tls: true as const } : {}),
      },
    },
  });
}

type NodeAddress = { host?: string; port?: number };
const address = (node: NodeAddress | undefined) => `${node?.host}:${node?.port}`;

/** A Redis Cluster (sharded mode): commands go to their key's shard, pub/sub is SSUBSCRIBE/SPUBLISH. */
export async function connectCluster(connection: ClusterConnection, logger: Logger): Promise<RedisLink> {
  const log = logger.child({ redisCluster: connection.seeds });
  const cluster = clusterClient(connection, true);
  const reconnectHandlers: (() => void)[] = [];
  const lostHandlers: (() => void)[] = [];
  // A Cluster node that becomes ready again after it was ready once is a reconnection (or a promoted replica):
  // either way, the records on its shard may have been lost, so the adapter validates its registrations again.
  const seenReady = new Set<string>();
  cluster.on("error", (error: Error) => log.warn({ err: error }, "redis cluster error"));
  cluster.on("node-error", (error: Error, node: NodeAddress) =>
    log.warn({ err: error, node: address(node) }, "redis cluster node error"),
  );
  cluster.on("node-reconnecting", (node: NodeAddress) => {
    log.info({ node: address(node) }, "redis cluster node reconnecting");
    if (seenReady.has(address(node))) for (const handler of lostHandlers) handler();
  });
  cluster.on("sharded-channel-moved-error", (error: Error, channel: string) =>
    log.warn({ err: error, channel }, "redis cluster could not move a sharded subscription"),
  );
  cluster.on("node-ready", (node: NodeAddress) => {
    log.info({ node: address(node) }, "redis cluster node ready");
    if (seenReady.has(address(node))) for (const handler of reconnectHandlers) handler();
    seenReady.add(address(node));
  });
  try {
    await withStartupDeadline(
      cluster.connect(),
      [cluster],
      connection.connectTimeoutMs * 5,
      connection.seeds.join(","),
    );
  } catch (error) {
    cluster.destroy();
    throw error;
  }

  return {
    mode: "sharded",
    command: (key, args, bytes) => cluster.sendCommand(key, false, args, bytes ? BYTE_REPLIES : undefined),
    publish: (channel, message) => cluster.sPublish(channel, message) as Promise<number>,
    subscribe: (channel, listener) => cluster.sSubscribe(channel, listener, true),
    unsubscribe: (channel) => cluster.sUnsubscribe(channel),
    onConnectionLost: (handler) => lostHandlers.push(handler),
    onReconnect: (handler) => reconnectHandlers.push(handler),
    isUp: () => cluster.isReady && cluster.masters.every((master) => master.client?.isReady === true),
    close: () =>
      closeWithin(
        connection.connectTimeoutMs,
        () => cluster.close(),
        () => cluster.destroy(),
      ),
  };
}
