import type { AdapterCalls } from "./adapter-calls.js";
import type { Counters } from "./counters.js";
import { type Command, type Data, DELIVERY_EVENT, type Delivery, type Reply, reply } from "./message.js";
import type { Awaitable } from "./seam.js";
import type { Session } from "./session.js";

/**
 * Pub/sub channels: local subscribers are always served here; the node subscribes a channel on the backplane while
 * it has local subscribers, and `subscription_succeeded` waits until that subscription is in effect.
 */
export class PubSub {
  private readonly subscribers = new Map<string, Set<Session>>();
  /** Channels whose backplane subscription is still being confirmed. */
  private readonly subscribing = new Map<string, Promise<void>>();

  constructor(
    private readonly adapters: AdapterCalls,
    private readonly counters: Counters,
    /** Whether a session holds as many channels as it may (counted and logged when it does). */
    private readonly atLimit: (session: Session, channel: string) => boolean,
  ) {}

  /** Channels with at least one subscriber here. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Takes a closing session out of every channel it subscribed: the backplane unsubscriptions it causes. */
  leaveAll(session: Session): Awaitable<void>[] {
    return [...session.subscriptions].map((channel) => this.leave(session, channel));
  }

  subscribe(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    if (session.subscriptions.has(channel)) return reply("subscription_already_exist", channel, id);
    if (this.atLimit(session, channel))
      return reply("subscription_failed", channel, id, "too many channels on this connection");
    let subscribers = this.subscribers.get(channel);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.subscribers.set(channel, subscribers);
      const joined = this.adapters.call(({ backplane }) => backplane.subscribe(channel));
      if (joined instanceof Promise) {
        const confirmed = joined.finally(() => {
          if (this.subscribing.get(channel) === confirmed) this.subscribing.delete(channel);
        });
        this.subscribing.set(channel, confirmed);
      }
    }
    subscribers.add(session);
    session.holdSubscription(channel);
    const pending = this.subscribing.get(channel);
    const succeeded = reply("subscription_succeeded", channel, id);
    if (pending === undefined) return succeeded;
    return pending.then(
      () => succeeded,
      (error: unknown) => {
        session.dropSubscription(channel);
        this.adapters.settleQuietly(this.leave(session, channel), channel);
        throw error;
      },
    );
  }

  unsubscribe(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    if (!session.subscriptions.has(channel)) return reply("subscription_not_found", channel, id);
    session.dropSubscription(channel);
    const left = this.leave(session, channel);
    const succeeded = reply("unsubscription_succeeded", channel, id);
    return left instanceof Promise ? left.then(() => succeeded) : succeeded;
  }

  /** Takes `session` out of `channel`'s subscribers; the last one out ends the node's backplane subscription. */
  private leave(session: Session, channel: string): Awaitable<void> {
    const subscribers = this.subscribers.get(channel);
    if (subscribers === undefined || !subscribers.delete(session) || subscribers.size > 0) return;
    this.subscribers.delete(channel);
    return this.adapters.call(({ backplane }) => backplane.unsubscribe(channel));
  }

  publish(session: Session, channel: string, data: Data, id: Command["id"]): Awaitable<Reply> {
    const delivery: Delivery = { event: DELIVERY_EVENT, from: session.key, channel, data };
    this.deliverPublish(delivery);
    const carried = this.adapters.call(({ backplane }) => backplane.publish(delivery));
    const succeeded = reply("publication_succeeded", channel, id);
    return carried instanceof Promise ? carried.then(() => succeeded) : succeeded;
  }

  deliverPublish(delivery: Delivery): void {
    const subscribers = this.subscribers.get(delivery.channel);
    if (subscribers === undefined) return;
    this.counters.deliveriesPublish += subscribers.size;
    for (const subscriber of subscribers) subscriber.deliver(delivery);
  }
}
