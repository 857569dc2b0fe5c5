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
  /**
   * Leaves that Redis did not take (unreachable, or failing), by channel: field -> whether to notify. Tried again
   * after a reconnect (before the joins are written again) and at every round of the reaper.
   */
  private readonly unfinishedLeaves = new Map<string, Map<string, boolean>>();
  /** The node id this node's entries were last written under; its fields go when a new incarnation rewrites. */
  private writtenUnder: string | undefined;
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
      const nodeId = this.nodeId();
      const index = this.names.presenceIndex(nodeId);
      await this.link.command(index, ["SADD", index, channel]);
      await PRESENCE_JOIN.run(
        this.link,
        [this.names.presence(channel)],
        [`${nodeId}/${sessionId}`, key, notify ? "1" : "0", ...this.publication(channel)],
      );
      this.writtenUnder = nodeId;
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
      // Gone whatever Redis answers: a rewrite after a reconnect must not write this entry back.
      const mine = this.entries.get(channel);
      mine?.delete(sessionId);
      if (mine !== undefined && mine.size === 0) this.entries.delete(channel);
      const field = `${this.nodeId()}/${sessionId}`;
      try {
        await this.removeEntry(channel, field, notify);
      } catch (error) {
        const unfinished = this.unfinishedLeaves.get(channel) ?? new Map<string, boolean>();
        this.unfinishedLeaves.set(channel, unfinished.set(field, notify));
        throw error;
      }
      await this.dropFromIndex(channel);
    });
  }

  /**
   * Removes, without notices, the fields this node wrote under an earlier node id (a rewrite after a reconnect may
   * have written them just before the node took a new id): no other node reaps an id the registry lost.
   */
  private async forgetIncarnation(nodeId: string): Promise<void> {
    for (const channel of [...this.entries.keys()])
      await this.queued(channel, async () => {
        await PRESENCE_REAP.run(
          this.link,
          [this.names.presence(channel)],
          [`${nodeId}/`, "0", ...this.publication(channel)],
        );
      });
    const index = this.names.presenceIndex(nodeId);
    await this.link.command(index, ["DEL", index]);
  }

  /** Leaves that Redis did not take, tried again; those that fail again wait for the next try. */
  async retryLeaves(): Promise<void> {
    for (const [channel, unfinished] of [...this.unfinishedLeaves])
      await this.queued(channel, async () => {
        for (const [field, notify] of [...unfinished]) {
          await this.removeEntry(channel, field, notify);
          unfinished.delete(field);
        }
        this.unfinishedLeaves.delete(channel);
        await this.dropFromIndex(channel);
      });
  }

  async members(channel: string): Promise<Members> {
    const key = this.names.presence(channel);
    return countMembers((await this.link.command(key, ["HVALS", key])) as string[]);
  }

  /**
   * Writes this node's entries again (a new node id, or a Redis that may have lost them); joins for new ones only.
   * The leaves Redis missed go first.
   */
  async rewrite(): Promise<void> {
    await this.retryLeaves();
    const previous = this.writtenUnder;
    if (previous !== undefined && previous !== this.nodeId()) await this.forgetIncarnation(previous);
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
      await this.retryLeaves();
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

  private async removeEntry(channel: string, field: string, notify: boolean): Promise<void> {
    await PRESENCE_LEAVE.run(
      this.link,
      [this.names.presence(channel)],
      [field, notify ? "1" : "0", ...this.publication(channel)],
    );
  }

  /** Takes `channel` out of this node's index once none of its entries there is left, nor a leave to finish. */
  private async dropFromIndex(channel: string): Promise<void> {
    if (this.entries.has(channel) || this.unfinishedLeaves.has(channel)) return;
    const index = this.names.presenceIndex(this.nodeId());
    await this.link.command(index, ["SREM", index, channel]);
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
