import type { Delivery } from "../../core/message.js";
import { type DirectMessage, decodeNodeMessage, encodeNodeMessage } from "../../core/node-messages.js";
import type { Backplane, NodeEvents } from "../../core/seam.js";
import { stamp } from "../../core/stamp.js";
import { splitBatch } from "./batches.js";
import type { RedisNames } from "./keys.js";
import type { RedisLink } from "./link.js";
import type { Membership } from "./membership.js";
import { isNotice, parseNotice } from "./notices.js";
import { PublishBatcher } from "./publish-batcher.js";
import { ReplayFilter } from "./replay-filter.js";
import { isStamped, parseStamped } from "./stamped.js";
import { Subscriptions } from "./subscriptions.js";

/**
 * Traffic between nodes over Redis pub/sub (sharded pub/sub on a Redis Cluster): a channel per WEST channel for its
 * publishes, which a node subscribes while it has local subscribers, and an inbox per node incarnation for
 * requests and answers.
 */
export class RedisBackplane implements Backplane {
  private readonly subscriptions: Subscriptions;
  private readonly inboxes: Subscriptions;
  private readonly replays = new ReplayFilter();
  private readonly outgoing: PublishBatcher;
  /** The sequence number of the last message this node sent (see NodeMessage). */
  private sent = 0;

  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly membership: Membership,
    private readonly events: NodeEvents,
  ) {
    this.subscriptions = new Subscriptions(link, (message, channel) => this.onPublication(message, channel));
    this.inboxes = new Subscriptions(link, (message, channel) => this.onInbox(message, channel));
    this.outgoing = new PublishBatcher((channel, message) => this.link.publish(channel, message));
  }

  subscribe(channel: string): Promise<void> {
    return this.subscriptions.subscribe(this.names.publications(channel));
  }

  async unsubscribe(channel: string): Promise<void> {
    const publications = this.names.publications(channel);
    await this.subscriptions.unsubscribe(publications);
    if (!this.subscriptions.wanted.has(publications)) this.replays.forget(publications);
  }

  /** Settles with the PUBLISH that carries it, a promise shared by the publishes of its channel in this turn. */
  publish(delivery: Delivery): Promise<unknown> {
    const message = encodeNodeMessage({
      origin: this.membership.nodeId,
      seq: ++this.sent,
      type: "publish",
      delivery,
    });
    return this.outgoing.publish(this.names.publications(delivery.channel), message);
  }

  async direct(nodeId: string, message: DirectMessage): Promise<boolean> {
    const bytes = encodeNodeMessage({ origin: this.membership.nodeId, seq: ++this.sent, ...message });
    return (await this.outgoing.publish(this.names.inbox(nodeId), bytes)) > 0;
  }

  /** Takes requests addressed to `nodeId`, and no longer those to any other incarnation of this node. */
  async listen(nodeId: string): Promise<void> {
    const inbox = this.names.inbox(nodeId);
    await this.inboxes.subscribe(inbox);
    for (const other of [...this.inboxes.wanted]) if (other !== inbox) await this.inboxes.unsubscribe(other);
  }

  /** Drops every subscription (the node is stopping). */
  async close(): Promise<void> {
    const all = [...this.subscriptions.wanted].map((channel) => this.subscriptions.unsubscribe(channel));
    const inboxes = [...this.inboxes.wanted].map((inbox) => this.inboxes.unsubscribe(inbox));
    await Promise.allSettled([...all, ...inboxes]);
  }

  private onPublication(bytes: Buffer, channel: string): void {
    if (isNotice(bytes)) {
      const parsed = parseNotice(bytes);
      if (parsed !== undefined) this.events.notice(parsed.notice, parsed.about);
      return;
    }
    if (isStamped(bytes)) {
      // A channel with history: every node delivers it from here, its publisher's included, in offset order.
      const stamped = parseStamped(bytes);
      if (stamped === undefined) return;
      const { epoch, offset } = stamped.position;
      (splitBatch(stamped.message) ?? []).forEach((one, i) => {
        const message = decodeNodeMessage(one);
        if (message?.type === "publish") this.events.publication(stamp(message.delivery, offset + i, epoch));
      });
      return;
    }
    for (const one of splitBatch(bytes) ?? []) {
      const message = decodeNodeMessage(one);
      // This node's own publishes (under any of its incarnations) were delivered locally when they were made.
      if (message?.type !== "publish" || this.membership.incarnations.has(message.origin)) continue;
      if (this.replays.accept(channel, message.origin, message.seq))
        this.events.publication(message.delivery);
    }
  }

  private onInbox(bytes: Buffer, channel: string): void {
    for (const one of splitBatch(bytes) ?? []) {
      const message = decodeNodeMessage(one);
      if (message?.type !== "request" && message?.type !== "answer") continue;
      if (this.replays.accept(channel, message.origin, message.seq))
        this.events.direct(message.origin, message);
    }
  }
}
