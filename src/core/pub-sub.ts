import { type AdapterCalls, historyOf, presenceOf } from "./adapter-calls.js";
import type { ChannelFeatures } from "./channel-features.js";
import type { Counters } from "./counters.js";
import { HistoryFeeds, type Start } from "./history-feeds.js";
import {
  type Command,
  type Data,
  DELIVERY_EVENT,
  type Delivery,
  type Members,
  type Notice,
  type Reply,
  reply,
} from "./message.js";
import type { Awaitable, Position, Stamped } from "./seam.js";
import type { Session } from "./session.js";

/**
 * Pub/sub channels: local subscribers are always served here; the node subscribes a channel on the backplane while
 * it has local subscribers, and `subscription_succeeded` waits until that subscription is in effect. On a channel
 * with history, publishes go through the adapter's history and are delivered when they come back from it, each
 * subscriber in offset order (see HistoryFeeds).
 */
export class PubSub {
  private readonly subscribers = new Map<string, Set<Session>>();
  /** Channels whose backplane subscription is still being confirmed. */
  private readonly subscribing = new Map<string, Promise<void>>();
  private readonly feeds: HistoryFeeds;

  constructor(
    private readonly adapters: AdapterCalls,
    private readonly counters: Counters,
    /** Whether a session holds as many channels as it may (counted and logged when it does). */
    private readonly atLimit: (session: Session, channel: string) => boolean,
    private readonly features: ChannelFeatures,
  ) {
    this.feeds = new HistoryFeeds(adapters, counters);
  }

  /** Channels with at least one subscriber here. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Takes a closing session out of every channel it subscribed: the backplane unsubscriptions it causes. */
  leaveAll(session: Session): Awaitable<void>[] {
    return [...session.subscriptions].map((channel) => this.leave(session, channel));
  }

  /** `recovery`: the last publication the client has seen, to get every one after it (history channels). */
  subscribe(session: Session, channel: string, id: Command["id"], recovery?: Position): Awaitable<Reply> {
    if (session.subscriptions.has(channel)) return reply("subscription_already_exist", channel, id);
    if (this.atLimit(session, channel))
      return reply("subscription_failed", channel, id, "too many channels on this connection");
    const { history, presence, joinLeave } = this.features.of(channel);
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
    if (history !== undefined) this.feeds.hold(session, channel, history);
    const pending = this.subscribing.get(channel);
    const answered = (): Awaitable<Reply> => {
      if (history === undefined) {
        const plain = reply("subscription_succeeded", channel, id);
        if (recovery !== undefined) plain.recovered = false;
        return plain;
      }
      const start = this.feeds.start(session, channel, recovery);
      return start instanceof Promise
        ? start.then((at) => started(at, channel, id))
        : started(start, channel, id);
    };
    // In presence before the reply, so that a presence read after it includes this subscriber.
    const succeeded = (): Awaitable<Reply> => {
      if (!presence && !joinLeave) return answered();
      const joined = this.adapters.call((adapter) =>
        presenceOf(adapter).join(channel, { sessionId: session.id, key: session.key }, joinLeave),
      );
      return joined instanceof Promise ? joined.then(answered) : answered();
    };
    const failed = (error: unknown): never => {
      session.dropSubscription(channel);
      this.adapters.settleQuietly(this.leave(session, channel), channel);
      throw error;
    };
    try {
      if (pending === undefined) {
        const result = succeeded();
        return result instanceof Promise ? result.catch(failed) : result;
      }
      return pending.then(succeeded).catch(failed);
    } catch (error) {
      return failed(error);
    }
  }

  /** Publications of history channels may have been lost on their way here (see NodeEvents.discontinuity). */
  discontinuity(): void {
    this.feeds.discontinuity();
  }

  /** `session` was told its subscribe succeeded: on a history channel, its publications may flow now. */
  subscribed(session: Session, channel: string): void {
    this.feeds.release(session, channel);
  }

  unsubscribe(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    if (!session.subscriptions.has(channel)) return reply("subscription_not_found", channel, id);
    session.dropSubscription(channel);
    const left = this.leave(session, channel);
    const succeeded = reply("unsubscription_succeeded", channel, id);
    return left instanceof Promise ? left.then(() => succeeded) : succeeded;
  }

  /** Takes `session` out of `channel`: its presence entry, and the node's backplane subscription if it was the last. */
  private leave(session: Session, channel: string): Awaitable<void> {
    this.feeds.drop(session, channel);
    const { presence, joinLeave } = this.features.of(channel);
    const present =
      presence || joinLeave
        ? this.adapters.call((adapter) =>
            presenceOf(adapter).leave(channel, { sessionId: session.id, key: session.key }, joinLeave),
          )
        : undefined;
    const unsubscribed = this.unsubscribeIfLast(session, channel);
    if (!(present instanceof Promise)) return unsubscribed;
    return unsubscribed instanceof Promise
      ? Promise.all([present, unsubscribed]).then(() => undefined)
      : present;
  }

  /** A join or leave for the subscribers of its channel here, except the session it is about. */
  deliverNotice(notice: Notice, about: { nodeId: string; sessionId: number }): void {
    const subscribers = this.subscribers.get(notice.channel);
    if (subscribers === undefined) return;
    const here = about.nodeId === this.adapters.attached?.registry.nodeId;
    for (const subscriber of subscribers)
      if (!here || subscriber.id !== about.sessionId) subscriber.deliver(notice);
  }

  /** Who is subscribed to `channel` over the whole system, when it has presence. */
  members(channel: string, id: Command["id"]): Awaitable<Reply> {
    if (!this.features.of(channel).presence)
      return reply("presence_failed", channel, id, "channel has no presence");
    const members = this.adapters.call((adapter) => presenceOf(adapter).members(channel));
    const succeeded = (data: Members) => {
      const answer = reply("presence_succeeded", channel, id);
      answer.data = data;
      return answer;
    };
    return members instanceof Promise ? members.then(succeeded) : succeeded(members);
  }

  /** Takes `session` out of `channel`'s subscribers; the last one out ends the node's backplane subscription. */
  private unsubscribeIfLast(session: Session, channel: string): Awaitable<void> {
    const subscribers = this.subscribers.get(channel);
    if (subscribers === undefined || !subscribers.delete(session) || subscribers.size > 0) return;
    this.subscribers.delete(channel);
    return this.adapters.call(({ backplane }) => backplane.unsubscribe(channel));
  }

  publish(session: Session, channel: string, data: Data, id: Command["id"]): Awaitable<Reply> {
    const delivery: Delivery = { event: DELIVERY_EVENT, from: session.key, channel, data };
    const { history } = this.features.of(channel);
    if (history !== undefined) {
      const kept = this.adapters.call((adapter) => historyOf(adapter).publish(delivery, history));
      const succeeded = ({ offset, epoch }: Position) => {
        const answer = reply("publication_succeeded", channel, id);
        answer.offset = offset;
        answer.epoch = epoch;
        return answer;
      };
      return kept instanceof Promise ? kept.then(succeeded) : succeeded(kept);
    }
    this.deliverPublish(delivery);
    const carried = this.adapters.call(({ backplane }) => backplane.publish(delivery));
    const succeeded = reply("publication_succeeded", channel, id);
    return carried instanceof Promise ? carried.then(() => succeeded) : succeeded;
  }

  deliverPublish(delivery: Delivery): void {
    if (delivery.offset !== undefined) {
      this.feeds.deliver(delivery as Stamped);
      return;
    }
    const subscribers = this.subscribers.get(delivery.channel);
    if (subscribers === undefined) return;
    this.counters.deliveriesPublish += subscribers.size;
    for (const subscriber of subscribers) subscriber.deliver(delivery);
  }
}

function started({ offset, epoch, recovered }: Start, channel: string, id: Command["id"]): Reply {
  const answer = reply("subscription_succeeded", channel, id);
  answer.offset = offset;
  answer.epoch = epoch;
  if (recovered !== undefined) answer.recovered = recovered;
  return answer;
}
