import type { RedisLink } from "./link.js";

/** Takes a message and the Redis channel it came on. */
export type ChannelListener = (message: Buffer, channel: string) => void;

/**
 * The node's Redis subscriptions, one state machine per channel: operations on a channel run one after
 * another, and each makes Redis match what is wanted at the time it runs (subscribe, unsubscribe, or nothing).
 */
export class Subscriptions {
  private readonly wanting = new Set<string>();
  private readonly active = new Set<string>();
  private readonly queue = new Map<string, Promise<void>>();

  constructor(
    private readonly link: RedisLink,
    private readonly listener: ChannelListener,
  ) {}

  /** Resolves once Redis confirmed that `channel` is subscribed. */
  subscribe(channel: string): Promise<void> {
    this.wanting.add(channel);
    return this.reconcile(channel);
  }

  unsubscribe(channel: string): Promise<void> {
    this.wanting.delete(channel);
    return this.reconcile(channel);
  }

  /** The channels wanted now (subscribed, or on their way to be). */
  get wanted(): ReadonlySet<string> {
    return this.wanting;
  }

  private reconcile(channel: string): Promise<void> {
    const prior = this.queue.get(channel) ?? Promise.resolve();
    const next = prior
      .catch(() => undefined)
      .then(async () => {
        const want = this.wanting.has(channel);
        if (want && !this.active.has(channel)) {
          await this.link.subscribe(channel, (message) => this.listener(message, channel));
          this.active.add(channel);
        } else if (!want && this.active.has(channel)) {
          this.active.delete(channel);
          await this.link.unsubscribe(channel);
        }
      });
    this.queue.set(channel, next);
    const forget = () => {
      if (this.queue.get(channel) === next) this.queue.delete(channel);
    };
    next.then(forget, forget);
    return next;
  }
}
