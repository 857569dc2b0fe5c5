import type { ChannelFeatures } from "../../core/channel-features.js";
import { countMembers, type Members } from "../../core/message.js";
import type { Presence, PresenceEntry } from "../../core/seam.js";
import type { Logger } from "../../log.js";
import type { RedisNames } from "./keys.js";
import type { RedisLink } from "./link.js";
import { PRESENCE_JOIN, PRESENCE_LEAVE, PRESENCE_REAP } from "./presence-scripts.js";

/** How long one node holds the clean-up of a dead node before another may take it over. */
const REAP_CLAIM_MS = 60_000;

/**
 * Presence in Redis (see presence-scripts.ts). Each node keeps an index of the channels it has entries in (in the
 * node registry's slot), written before the entries, so that when it dies one living node, which claims the
 * clean-up, finds and removes them, publishing their leaves. A node's own joins and leaves on one channel run one
 * after another, so that its index never loses a channel that still has one of its entries.
 */
export class RedisPresence implements Presence {
  /** This node's entries, by channel: to keep the index, and to write them again under a new node id. */
  private readonly entries = new Map<string, Map<number, string>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private reaper: NodeJS.Timeout | undefined;
  private reaping = false;

  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly nodeId: () => string,
    /** Node ids that are this process's own (its incarnations): never reaped by it. */
    private readonly ownIds: () => ReadonlySet<string>,
    private readonly features: ChannelFeatures,
    private readonly logger: Logger,
  ) {}

  join(channel: string, { sessionId, key }: PresenceEntry, notify: boolean): Promise<void> {
    return this.queued(channel, async () => {
      const index = this.names.presenceIndex(this.nodeId());
      await this.link.command(index, ["SADD", index, channel]);
      await PRESENCE_JOIN.run(
        this.link,
        [this.names.presence(channel)],
        [`${this.nodeId()}/${sessionId}`, key, notify ? "1" : "0", ...this.publication(channel)],
      );
      let mine = this.entries.get(channel);
      if (mine === undefined) {
        mine = new Map();
        this.entries.set(channel, mine);
      }
      mine.set(sessionId, key);
    });
  }

  leave(channel: string, { sessionId }: PresenceEntry, notify: boolean): Promise<void> {
    return this.queued(channel, async () => {
      await PRESENCE_LEAVE.run(
        this.link,
        [this.names.presence(channel)],
        [`${this.nodeId()}/${sessionId}`, notify ? "1" : "0", ...this.publication(channel)],
      );
      const mine = this.entries.get(channel);
      mine?.delete(sessionId);
      if (mine !== undefined && mine.size === 0) {
        this.entries.delete(channel);
        const index = this.names.presenceIndex(this.nodeId());
        await this.link.command(index, ["SREM", index, channel]);
      }
    });
  }

  async members(channel: string): Promise<Members> {
    const key = this.names.presence(channel);
    return countMembers((await this.link.command(key, ["HVALS", key])) as string[]);
  }

  /** Writes this node's entries again (a new node id, or a Redis that may have lost them); joins for new ones only. */
  async rewrite(): Promise<void> {
    for (const [channel, mine] of [...this.entries])
      for (const [sessionId, key] of [...mine])
        await this.join(channel, { sessionId, key }, this.features.of(channel).joinLeave);
  }

  /** Looks for dead nodes every `intervalMs`. */
  startReaper(intervalMs: number): void {
    this.reaper = setInterval(() => void this.reapDead(), intervalMs);
    this.reaper.unref();
  }

  stopReaper(): void {
    clearInterval(this.reaper);
  }

  /**
   * Removes the entries of nodes whose heartbeat is gone (the registry scores each node by its record's expiry on
   * Redis's clock), once each: the node that claims a dead node's clean-up does it.
   */
  async reapDead(): Promise<void> {
    if (this.reaping) return;
    this.reaping = true;
    try {
      const registry = this.names.registry();
      const [seconds, micros] = (await this.link.command(registry, ["TIME"])) as [string, string];
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const expired = (await this.link.command(registry, [
        "ZRANGEBYSCORE",
        registry,
        "-inf",
        String(now),
      ])) as string[];
      for (const nodeId of expired) {
        if (this.ownIds().has(nodeId)) continue;
        const record = this.names.node(nodeId);
        if ((await this.link.command(record, ["EXISTS", record])) === 1) continue;
        const claim = this.names.reapClaim(nodeId);
        const claimed = await this.link.command(claim, [
          "SET",
          claim,
          this.nodeId(),
          "NX",
          "PX",
          String(REAP_CLAIM_MS),
        ]);
        if (claimed === null) continue;
        await this.reap(nodeId);
      }
    } catch (error) {
      this.logger.warn({ err: error }, "presence clean-up of dead nodes failed; tried again later");
    } finally {
      this.reaping = false;
    }
  }

  private async reap(nodeId: string): Promise<void> {
    const index = this.names.presenceIndex(nodeId);
    const channels = (await this.link.command(index, ["SMEMBERS", index])) as string[];
    let removed = 0;
    for (const channel of channels)
      removed += (await PRESENCE_REAP.run(
        this.link,
        [this.names.presence(channel)],
        [`${nodeId}/`, this.features.of(channel).joinLeave ? "1" : "0", ...this.publication(channel)],
      )) as number;
    await this.link.command(index, ["DEL", index]);
    if (removed > 0) this.logger.info({ deadNode: nodeId, removed }, "removed a dead node's presence");
  }

  /** The pub/sub channel a notice of `channel` goes on, the command for it, and the channel's name. */
  private publication(channel: string): [string, string, string] {
    return [this.names.publications(channel), this.link.mode === "sharded" ? "SPUBLISH" : "PUBLISH", channel];
  }

  private queued(channel: string, work: () => Promise<void>): Promise<void> {
    const before = this.queues.get(channel) ?? Promise.resolve();
    const done = before.then(work, work);
    const settled = done.catch(() => undefined);
    this.queues.set(channel, settled);
    void settled.then(() => {
      if (this.queues.get(channel) === settled) this.queues.delete(channel);
    });
    return done;
  }
}
