import type { Wire } from "./codecs/wire.js";
import { Emitter } from "./emitter.js";
import type { WestError } from "./errors.js";
import type { WestMessage } from "./message.js";
import { type Settle, settlable } from "./settlable.js";

export interface SubscribeOptions {
  /**
   * After a reconnect, ask for what was published meanwhile, from the last offset received (channels with
   * history; docs/protocol.md, "History and recovery (ext)").
   */
  recover?: boolean;
  /** Someone subscribed the channel (channels with join/leave). */
  onJoin?: (key: string) => void;
  /** Someone left it. */
  onLeave?: (key: string) => void;
}

export interface SubscribedInfo {
  /** True when everything published since the last offset received follows (a recovery that worked). */
  recovered: boolean;
  /** The channel's history position when the subscription took effect, and its epoch (history channels). */
  offset?: number;
  epoch?: string;
}

/** Offsets that did not arrive, or a history that started over (a new epoch): the app may reload its state. */
export interface GapInfo {
  /** The last offset received before the gap, in `previousEpoch`. */
  lastOffset: number;
  /** The offset that came next. */
  offset: number;
  epoch: string;
  previousEpoch: string;
}

export type SubscriptionState = "subscribing" | "subscribed" | "unsubscribed" | "failed";

type SubscriptionEvents = {
  subscribed(info: SubscribedInfo): void;
  gap(info: GapInfo): void;
  error(error: WestError): void;
  unsubscribed(): void;
};

/** What a subscription asks of its client. */
export interface SubscriptionOwner {
  unsubscribe(subscription: Subscription): Promise<void>;
  handlerFailed(error: unknown): void;
}

/**
 * A subscription the client keeps in effect: made again after every reconnect (with recovery when asked) until
 * `unsubscribe()`. `ready` resolves on the first `subscription_succeeded`.
 */
export class Subscription extends Emitter<SubscriptionEvents> {
  state: SubscriptionState = "subscribing";
  /** The last offset and epoch received on this channel (history channels). */
  offset: number | undefined;
  epoch: string | undefined;
  readonly ready: Promise<SubscribedInfo>;
  private readonly settleReady: Settle<SubscribedInfo>;

  constructor(
    readonly channel: string,
    private readonly handler: (message: WestMessage) => void,
    private readonly options: SubscribeOptions,
    private readonly owner: SubscriptionOwner,
  ) {
    super(owner.handlerFailed);
    [this.ready, this.settleReady] = settlable<SubscribedInfo>();
  }

  unsubscribe(): Promise<void> {
    return this.owner.unsubscribe(this);
  }

  /** @internal The subscribe command for now: with the position to recover from, when there is one. */
  command(): Wire {
    const { channel, offset, epoch } = this;
    if (this.options.recover === true && offset !== undefined && epoch !== undefined)
      return { event: "subscribe", channel, offset, epoch };
    return { event: "subscribe", channel };
  }

  /** @internal `subscription_succeeded` (or `_already_exist`) to `command`. */
  confirmed(reply: Wire, recovering: boolean): void {
    const recovered = recovering && reply.recovered === true;
    // Recovered: the missed publications follow and move the position themselves.
    if (!recovered && reply.epoch !== undefined) {
      this.offset = reply.offset ?? 0;
      this.epoch = reply.epoch;
    }
    this.state = "subscribed";
    const info: SubscribedInfo = { recovered };
    if (reply.offset !== undefined) info.offset = reply.offset;
    if (reply.epoch !== undefined) info.epoch = reply.epoch;
    this.settleReady.resolve(info);
    this.emit("subscribed", info);
  }

  /** @internal The node refused it for good. */
  failed(error: WestError): void {
    this.state = "failed";
    this.settleReady.reject(error);
    this.emit("error", error);
  }

  /** @internal Ended by `unsubscribe()` or by the client's close. */
  ended(): void {
    if (this.state === "unsubscribed") return;
    this.state = "unsubscribed";
    this.emit("unsubscribed");
  }

  /** @internal A publication on the channel; one already received (by offset) is not handed on again. */
  deliver(message: WestMessage): void {
    const { offset, epoch } = message;
    if (offset !== undefined && epoch !== undefined) {
      if (this.offset !== undefined && this.epoch !== undefined) {
        if (epoch === this.epoch && offset <= this.offset) return;
        if (epoch !== this.epoch || offset > this.offset + 1)
          this.emit("gap", { lastOffset: this.offset, offset, epoch, previousEpoch: this.epoch });
      }
      this.offset = offset;
      this.epoch = epoch;
    }
    this.call(this.handler, message);
  }

  /** @internal `join` or `leave` of another client. */
  presence(event: "join" | "leave", key: string): void {
    const listener = event === "join" ? this.options.onJoin : this.options.onLeave;
    if (listener !== undefined) this.call(listener, key);
  }

  private call<T>(listener: (value: T) => void, value: T): void {
    try {
      listener(value);
    } catch (error) {
      this.owner.handlerFailed(error);
    }
  }
}
