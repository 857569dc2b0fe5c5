import type { MessageListener, RedisLink } from "./link.js";

/**
 * The node's Redis subscriptions, one state machine per channel: operations on a channel run one after
 * another, and each makes Redis match what is wanted at the time it runs (subscribe, unsubscribe, or nothing).
 */
export class Subscriptions {
  private readonly wanted = new Set<string>();
  private readonly active = new Set<string>();
  private readonly queue = new Map<string, Promise<void>>();

  constructor(
    private readonly link: RedisLink,
    private readonly listener: MessageListener,
  ) {}

  /** Resolves once Redis confirmed that `channel` is subscribed. */
  subscribe(channel: string): Promise<void> {
    this.wanted.add(channel);
    return this.reconcile(channel);
  }

  unsubscribe(channel: string): Promise<void> {
    this.wanted.delete(channel);
    return this.reconcile(channel);
  }

  get channels(): Iterable<string> {
    return this.active;
  }

  private reconcile(channel: string): Promise<void> {
    const prior = this.queue.get(channel) ?? Promise.resolve();
    const next = prior
      .catch(() => undefined)
      .then(async () => {
        const want = this.wanted.has(channel);
        if (want && !this.active.has(channel)) {
          await this.link.subscribe(channel, this.listener);
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
