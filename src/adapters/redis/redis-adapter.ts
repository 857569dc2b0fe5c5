import { ChannelFeatures } from "../../core/channel-features.js";
import type { Adapter, AdapterContext, AdapterHealth } from "../../core/seam.js";
import { checkSameRules, warnIfEvicting } from "./channel-rules.js";
import { connectCluster } from "./cluster-link.js";
import { connectGlobal } from "./global-link.js";
import { RedisNames } from "./keys.js";
import { closeWithin, type RedisLink } from "./link.js";
import { withUnavailableFaults } from "./link-faults.js";
import { Membership } from "./membership.js";
import { liveNodes } from "./node-directory.js";
import { RedisOwnerRegistry } from "./owner-records.js";
import { RedisBackplane } from "./redis-backplane.js";
import { RedisHistory } from "./redis-history.js";
import { RedisPresence } from "./redis-presence.js";
import { timedLink } from "./timed-link.js";

export interface RedisAdapterOptions {
  /** One Redis (global mode), e.g. redis://127.0.0.1:6379 or rediss://user:pass@host:6380. */
  url?: string | undefined;
  /** Redis Cluster seed nodes, "host:port" (sharded mode). */
  cluster?: string[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  tls?: boolean | undefined;
  heartbeatTtlMs: number;
  /** Owner records expire this long after their node last renewed them. */
  ownerRecordTtlMs: number;
  /** Replicas that must acknowledge a registration (WAIT) before it succeeds; 0 does not wait. */
  waitReplicas: number;
  keyPrefix: string;
  commandTimeoutMs: number;
  /** The node's channel rules: every node on the same Redis must have the same. */
  channels?: ChannelFeatures | undefined;
}

const REDIS_UP: AdapterHealth = { fields: { dist: "redis", redis: "up" } };
const REDIS_DOWN: AdapterHealth = { fields: { dist: "redis", redis: "down" }, problem: "redis unreachable" };
const FENCED: AdapterHealth = {
  fields: { dist: "redis", redis: "up" },
  problem: "fenced: validating its registrations (lease lost, or Redis reconnected)",
};

/** Connects to Redis and joins the other WEST nodes that share it. */
export async function startRedisAdapter(
  context: AdapterContext,
  options: RedisAdapterOptions,
): Promise<Adapter> {
  const { events, hooks } = context;
  const connectTimeoutMs = Math.max(options.commandTimeoutMs, 1000);
  let link: RedisLink;
  if (options.cluster !== undefined && options.cluster.length > 0) {
    link = await connectCluster({ ...options, seeds: options.cluster, connectTimeoutMs }, context.logger);
  } else if (options.url !== undefined) {
    link = await connectGlobal(options.url, connectTimeoutMs, context.logger);
  } else {
    throw new Error("dist redis needs redis.url (one Redis) or redis.cluster (Redis Cluster seed nodes)");
  }
  link = withUnavailableFaults(link);
  if (hooks.roundTrip !== undefined) link = timedLink(link, hooks.roundTrip);
  const names = new RedisNames(options.keyPrefix);
  const channels = options.channels ?? ChannelFeatures.NONE;
  const membership: Membership = new Membership(
    link,
    names,
    {
      ttlMs: options.heartbeatTtlMs,
      beatTimeoutMs: Math.max(options.commandTimeoutMs, options.heartbeatTtlMs / 4),
      channelRules: channels.hash,
    },
    {
      record: () => ({ url: context.url, ...events.stats() }),
      listen: async (nodeId) => {
        await backplane.listen(nodeId);
        // A new incarnation: its entries under the old id go with that id; they are written again under this one.
        presence.rewrite().catch((error: unknown) => logger.warn({ err: error }, "presence rewrite failed"));
      },
      revalidate: (previous) => registry.revalidate(previous),
    },
    context.logger,
  );
  const logger = context.logger.child({ nodeId: membership.nodeId });
  const registry: RedisOwnerRegistry = new RedisOwnerRegistry(
    link,
    names,
    membership,
    events,
    {
      // A live node's records must outlast its heartbeat, whatever was configured.
      recordTtlMs: Math.max(options.ownerRecordTtlMs, 2 * options.heartbeatTtlMs),
      waitReplicas: options.waitReplicas,
      waitTimeoutMs: Math.max(1, Math.floor(options.commandTimeoutMs / 2)),
    },
    logger,
  );
  const backplane: RedisBackplane = new RedisBackplane(link, names, membership, events);
  const presence = new RedisPresence(
    link,
    names,
    () => membership.nodeId,
    () => membership.incarnations,
    channels,
    logger,
  );
  link.onConnectionLost(() => {
    membership.connectionLost();
    events.discontinuity();
  });
  link.onReconnect(() => {
    hooks.reconnected?.();
    membership.beat();
    // Whatever Redis held may be gone: this node's presence entries are written again (new ones send a join).
    if (channels.anyPresence)
      presence.rewrite().catch((error: unknown) => logger.warn({ err: error }, "presence rewrite failed"));
  });
  try {
    await checkSameRules(link, names, channels);
    if (channels.anyHistory) await warnIfEvicting(link, names, context.logger);
    await backplane.listen(membership.nodeId);
    await membership.start();
  } catch (error) {
    await link.close();
    throw error;
  }
  registry.startRenewals();
  if (channels.anyPresence) presence.startReaper(Math.max(250, Math.min(1000, options.heartbeatTtlMs / 4)));
  logger.info({ mode: link.mode }, "joined the WEST nodes on Redis");

  return {
    registry,
    backplane,
    history: new RedisHistory(link, names, () => membership.nodeId),
    presence,
    nodes: () => liveNodes(link, names),
    health() {
      if (!link.isUp()) return REDIS_DOWN;
      return membership.mayDeliver() ? REDIS_UP : FENCED;
    },
    async close() {
      registry.stopRenewals();
      presence.stopReaper();
      const releases = [...events.registrations()].map(([channel, sessionId]) =>
        registry.release(channel, { nodeId: membership.nodeId, sessionId }),
      );
      // Best effort within one command timeout: a Redis that is gone must not keep the node from stopping.
      await closeWithin(
        options.commandTimeoutMs,
        () => Promise.allSettled([...releases, backplane.close(), membership.stop()]),
        () => logger.warn("could not release everything in Redis before stopping"),
      );
      await link.close();
      logger.info("left the WEST nodes on Redis");
    },
  };
}
