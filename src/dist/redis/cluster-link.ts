import { createCluster } from "@redis/client";
import type { Logger } from "../../log.js";
import { withStartupDeadline } from "./global-link.js";
import { closeWithin, type RedisLink, reconnectDelay } from "./link.js";

export interface ClusterConnection {
  seeds: string[];
  username?: string | undefined;
  password?: string | undefined;
  tls?: boolean | undefined;
  connectTimeoutMs: number;
}

/** A Redis Cluster (sharded mode): commands go to their key's shard, pub/sub is SSUBSCRIBE/SPUBLISH. */
export async function connectCluster(connection: ClusterConnection, logger: Logger): Promise<RedisLink> {
  const scheme = connection.tls ? "rediss" : "redis";
  const log = logger.child({ redisCluster: connection.seeds });
  const cluster = createCluster({
    rootNodes: connection.seeds.map((seed) => ({ url: `${scheme}://${seed}` })),
    defaults: {
      ...(connection.username === undefined ? {} : { username: connection.username }),
      ...(connection.password === undefined ? {} : { password: connection.password }),
      disableOfflineQueue: true,
      socket: {
        connectTimeout: connection.connectTimeoutMs,
        reconnectStrategy: reconnectDelay,
        ...(connection.tls ? { tls: true as const } : {}),
      },
    },
  });
  const reconnectHandlers: (() => void)[] = [];
  // After the first connect, a node that becomes ready is a reconnection or a promoted replica: either way,
  // the records on its shard may have been lost, so the Dist claims its registrations again.
  let started = false;
  cluster.on("error", (error: Error) => log.warn({ err: error }, "redis cluster error"));
  cluster.on("node-error", (error: Error, node: { host?: string; port?: number }) =>
    log.warn({ err: error, node: `${node?.host}:${node?.port}` }, "redis cluster node error"),
  );
  cluster.on("node-reconnecting", (node: { host?: string; port?: number }) =>
    log.info({ node: `${node?.host}:${node?.port}` }, "redis cluster node reconnecting"),
  );
  cluster.on("sharded-channel-moved-error", (error: Error, channel: string) =>
    log.warn({ err: error, channel }, "redis cluster could not move a sharded subscription"),
  );
  cluster.on("node-ready", (node: { host?: string; port?: number }) => {
    log.info({ node: `${node?.host}:${node?.port}` }, "redis cluster node ready");
    if (started) for (const handler of reconnectHandlers) handler();
  });
  try {
    await withStartupDeadline(
      cluster.connect(),
      [cluster],
      connection.connectTimeoutMs * 5,
      connection.seeds.join(","),
    );
    started = true;
  } catch (error) {
    cluster.destroy();
    throw error;
  }

  return {
    mode: "sharded",
    command: (key, args) => cluster.sendCommand(key, false, args),
    publish: (channel, message) => cluster.sPublish(channel, message) as Promise<number>,
    subscribe: (channel, listener) => cluster.sSubscribe(channel, listener, true),
    unsubscribe: (channel) => cluster.sUnsubscribe(channel),
    async scan(pattern) {
      const keys: string[] = [];
      for (const master of cluster.masters) {
        const client = await cluster.nodeClient(master);
        for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) keys.push(...batch);
      }
      return keys;
    },
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
