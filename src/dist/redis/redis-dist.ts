import { randomBytes } from "node:crypto";
import type { Delivery } from "../../core/message.js";
import type { Logger } from "../../log.js";
import type { Dist, DistHealth, DistHost } from "../dist.js";
import { connectCluster } from "./cluster-link.js";
import { decodeEnvelope, type Envelope, encodeEnvelope } from "./envelope.js";
import { connectGlobal } from "./global-link.js";
import { Heartbeat } from "./heartbeat.js";
import { ownerValue, parseOwner, RedisNames } from "./keys.js";
import { closeWithin, type RedisLink } from "./link.js";
import { COMPARE_AND_DELETE, COMPARE_AND_SET } from "./scripts.js";
import { Subscriptions } from "./subscriptions.js";
import { timedLink } from "./timed-link.js";

export interface RedisDistOptions {
  /** One Redis (global mode), e.g. redis://127.0.0.1:6379 or rediss://user:pass@host:6380. */
  url?: string | undefined;
  /** Redis Cluster seed nodes, "host:port" (sharded mode). */
  cluster?: string[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  tls?: boolean | undefined;
  heartbeatTtlMs: number;
  /** Replicas that must acknowledge a registration (WAIT) before it succeeds; 0 does not wait. */
  waitReplicas: number;
  keyPrefix: string;
  commandTimeoutMs: number;
}

/** Connects to Redis and joins the other WEST nodes that share it. */
export async function startRedisDist(
  host: DistHost,
  options: RedisDistOptions,
  logger: Logger,
): Promise<Dist> {
  const nodeId = randomBytes(8).toString("hex");
  const log = logger.child({ nodeId });
  const connectTimeoutMs = Math.max(options.commandTimeoutMs, 1000);
  let link: RedisLink;
  if (options.cluster !== undefined && options.cluster.length > 0) {
    link = await connectCluster({ ...options, seeds: options.cluster, connectTimeoutMs }, log);
  } else if (options.url !== undefined) {
    link = await connectGlobal(options.url, connectTimeoutMs, log);
  } else {
    throw new Error("dist redis needs redis.url (one Redis) or redis.cluster (Redis Cluster seed nodes)");
  }
  const observe = host.counters.observeRedisRoundTrip;
  const dist = new RedisDist(
    observe === undefined ? link : timedLink(link, observe),
    nodeId,
    host,
    options,
    log,
  );
  try {
    await dist.start();
  } catch (error) {
    await link.close();
    throw error;
  }
  log.info({ mode: link.mode }, "joined the WEST nodes on Redis");
  return dist;
}

const REDIS_UP: DistHealth = { fields: { dist: "redis", redis: "up" } };
const REDIS_DOWN: DistHealth = { fields: { dist: "redis", redis: "down" }, problem: "redis unreachable" };

class RedisDist implements Dist {
  private readonly names: RedisNames;
  private readonly subscriptions: Subscriptions;
  private readonly heartbeat: Heartbeat;
  private readonly answers = new Map<number, (delivered: boolean) => void>();
  private nextRequestId = 1;
  private reclaiming: Promise<void> | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly nodeId: string,
    private readonly host: DistHost,
    private readonly options: RedisDistOptions,
    private readonly logger: Logger,
  ) {
    this.names = new RedisNames(options.keyPrefix);
    this.subscriptions = new Subscriptions(link, (message) => this.onPublication(message));
    this.heartbeat = new Heartbeat(link, this.names, nodeId, options.heartbeatTtlMs, host, logger, () =>
      this.reclaim(),
    );
  }

  async start(): Promise<void> {
    await this.link.subscribe(this.names.inbox(this.nodeId), (message) => this.onInbox(message));
    await this.heartbeat.start();
    this.link.onReconnect(() => {
      this.host.counters.redisReconnects++;
      this.reclaim();
    });
  }

  health(): DistHealth {
    return this.link.isUp() ? REDIS_UP : REDIS_DOWN;
  }

  async claim(channel: string, sessionId: number): Promise<boolean> {
    const key = this.names.owner(channel);
    const mine = ownerValue(this.nodeId, sessionId);
    if ((await this.link.command(key, ["SET", key, mine, "NX"])) !== "OK") {
      const holder = (await this.link.command(key, ["GET", key])) as string | null;
      if (holder !== null && (await this.holderAlive(holder))) return false;
      const taken =
        holder === null
          ? (await this.link.command(key, ["SET", key, mine, "NX"])) === "OK"
          : (await this.link.command(key, ["EVAL", COMPARE_AND_SET, "1", key, holder, mine])) === 1;
      if (!taken) return false;
      if (holder !== null) this.logger.info({ channel, holder }, "took over a registration of a dead node");
    }
    await this.confirmReplicas(key, mine);
    return true;
  }

  async release(channel: string, sessionId: number): Promise<void> {
    await this.compareAndDelete(this.names.owner(channel), ownerValue(this.nodeId, sessionId));
  }

  async send(delivery: Delivery): Promise<"delivered" | "not_found"> {
    const key = this.names.owner(delivery.channel);
    const holder = (await this.link.command(key, ["GET", key])) as string | null;
    const owner = holder === null ? undefined : parseOwner(holder);
    if (holder === null || owner === undefined) return "not_found";
    // This node has no local owner (the core looked first), so a record naming this node is stale.
    if (owner.nodeId !== this.nodeId) {
      const requestId = this.nextRequestId++;
      const answer = this.awaitAnswer(requestId);
      const envelope: Envelope = {
        type: "send",
        origin: this.nodeId,
        requestId,
        ownerSessionId: owner.sessionId,
        delivery,
      };
      const receivers = await this.link.publish(this.names.inbox(owner.nodeId), encodeEnvelope(envelope));
      // Nobody listens on a dead node's inbox: no answer will come.
      if (receivers === 0) this.answers.get(requestId)?.(false);
      if (await answer) return "delivered";
    }
    await this.compareAndDelete(key, holder);
    return "not_found";
  }

  subscribe(channel: string): Promise<void> {
    return this.subscriptions.subscribe(this.names.publications(channel));
  }

  unsubscribe(channel: string): Promise<void> {
    return this.subscriptions.unsubscribe(this.names.publications(channel));
  }

  async publish(delivery: Delivery): Promise<void> {
    const envelope = encodeEnvelope({ type: "publish", origin: this.nodeId, delivery });
    await this.link.publish(this.names.publications(delivery.channel), envelope);
  }

  async close(): Promise<void> {
    const releases = [...this.host.localRegistrations()].map(([channel, sessionId]) =>
      this.release(channel, sessionId),
    );
    const unsubscribes = [...this.subscriptions.channels].map((channel) =>
      this.subscriptions.unsubscribe(channel),
    );
    // Best effort within one command timeout: a Redis that is gone must not keep the node from stopping.
    await closeWithin(
      this.options.commandTimeoutMs,
      () => Promise.allSettled([...releases, ...unsubscribes, this.heartbeat.stop()]),
      () => this.logger.warn("could not release everything in Redis before stopping"),
    );
    await this.link.close();
    this.logger.info("left the WEST nodes on Redis");
  }

  /** A holder is alive while its node's heartbeat record exists. */
  private async holderAlive(holder: string): Promise<boolean> {
    const owner = parseOwner(holder);
    if (owner === undefined) return false;
    if (owner.nodeId === this.nodeId) return false;
    const key = this.names.node(owner.nodeId);
    return (await this.link.command(key, ["EXISTS", key])) === 1;
  }

  private async confirmReplicas(key: string, mine: string): Promise<void> {
    const wanted = this.options.waitReplicas;
    if (wanted <= 0) return;
    const waitMs = Math.max(1, Math.floor(this.options.commandTimeoutMs / 2));
    const acknowledged = (await this.link.command(key, ["WAIT", String(wanted), String(waitMs)])) as number;
    if (acknowledged >= wanted) return;
    await this.compareAndDelete(key, mine);
    throw new Error(
      `registration reached ${acknowledged} of ${wanted} replicas within ${waitMs} ms; withdrawn`,
    );
  }

  private async compareAndDelete(key: string, value: string): Promise<void> {
    await this.link.command(key, ["EVAL", COMPARE_AND_DELETE, "1", key, value]);
  }

  private awaitAnswer(requestId: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.answers.delete(requestId);
        resolve(false);
      }, this.options.commandTimeoutMs);
      timer.unref();
      this.answers.set(requestId, (delivered) => {
        clearTimeout(timer);
        this.answers.delete(requestId);
        resolve(delivered);
      });
    });
  }

  private onPublication(message: Buffer): void {
    const envelope = decodeEnvelope(message);
    // This node's own publishes were delivered locally when they were made.
    if (envelope?.type === "publish" && envelope.origin !== this.nodeId)
      this.host.deliverPublish(envelope.delivery);
  }

  private onInbox(message: Buffer): void {
    const envelope = decodeEnvelope(message);
    if (envelope?.type === "answer") {
      this.answers.get(envelope.requestId)?.(envelope.delivered);
    } else if (envelope?.type === "send") {
      const delivered = this.host.deliverSend(envelope.delivery, envelope.ownerSessionId) === "delivered";
      const answer = encodeEnvelope({
        type: "answer",
        origin: this.nodeId,
        requestId: envelope.requestId,
        delivered,
      });
      this.link
        .publish(this.names.inbox(envelope.origin), answer)
        .catch((error: unknown) => this.logger.warn({ err: error }, "could not answer a send"));
    }
  }

  /** Claims every local registration again after Redis may have lost them; a conflict revokes the local one. */
  private reclaim(): void {
    if (this.reclaiming !== undefined) return;
    this.reclaiming = this.reclaimAll()
      .catch((error: unknown) => this.logger.warn({ err: error }, "claiming registrations again failed"))
      .finally(() => {
        this.reclaiming = undefined;
      });
  }

  private async reclaimAll(): Promise<void> {
    const registrations = [...this.host.localRegistrations()];
    let lost = 0;
    for (const [channel, sessionId] of registrations) {
      const key = this.names.owner(channel);
      const mine = ownerValue(this.nodeId, sessionId);
      if ((await this.link.command(key, ["SET", key, mine, "NX"])) === "OK") continue;
      const holder = (await this.link.command(key, ["GET", key])) as string | null;
      if (holder === mine) continue;
      lost++;
      this.host.registrationLost(channel, sessionId);
    }
    this.logger.info({ registrations: registrations.length, lost }, "claimed registrations again");
  }
}
