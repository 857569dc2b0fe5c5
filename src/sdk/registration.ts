import type { Wire } from "./codecs/wire.js";
import { Emitter } from "./emitter.js";
import type { WestError } from "./errors.js";
import type { WestMessage } from "./message.js";
import { type Settle, settlable } from "./settlable.js";

export interface RegisterOptions {
  /**
   * Answers requests to the channel: what it returns (or resolves to) is the reply. One that throws answers
   * nothing (the requester times out) and is reported on the client's `error` event.
   */
  onRequest?: (data: unknown, message: WestMessage) => unknown;
}

export type RegistrationState = "registering" | "registered" | "lost" | "unregistered" | "failed";

type RegistrationEvents = {
  registered(): void;
  registration_lost(reason: string | undefined): void;
  error(error: WestError): void;
  unregistered(): void;
};

export interface RegistrationOwner {
  unregister(registration: Registration): Promise<void>;
  handlerFailed(error: unknown): void;
}

/**
 * A channel the client owns and keeps owning: claimed again after every reconnect until `unregister()`, or
 * until the claim cannot be made again (`registration_lost`). `ready` resolves on the first
 * `registration_succeeded`.
 */
export class Registration extends Emitter<RegistrationEvents> {
  state: RegistrationState = "registering";
  readonly ready: Promise<void>;
  /**
   * Whether a claim of this client may be on record (it was in effect, or a claim was cut off before its reply):
   * a denial may then be that old record, of a connection that is gone, and is retried for a while.
   */
  claimedBefore = false;
  private readonly settleReady: Settle<void>;

  constructor(
    readonly channel: string,
    private readonly handler: (message: WestMessage) => void,
    readonly options: RegisterOptions,
    private readonly owner: RegistrationOwner,
  ) {
    super(owner.handlerFailed);
    [this.ready, this.settleReady] = settlable<void>();
  }

  unregister(): Promise<void> {
    return this.owner.unregister(this);
  }

  /** @internal */
  command(): Wire {
    return { event: "register", channel: this.channel };
  }

  /** @internal */
  confirmed(): void {
    this.state = "registered";
    this.claimedBefore = true;
    this.settleReady.resolve();
    this.emit("registered");
  }

  /** @internal Refused at the first claim. */
  failed(error: WestError): void {
    this.state = "failed";
    this.settleReady.reject(error);
    this.emit("error", error);
  }

  /** @internal No longer owned, and not to be claimed again by the SDK. */
  lost(reason: string | undefined): void {
    this.state = "lost";
    this.emit("registration_lost", reason);
  }

  /** @internal */
  ended(): void {
    if (this.state === "unregistered") return;
    this.state = "unregistered";
    this.emit("unregistered");
  }

  /** @internal A send to the channel (a request goes to `onRequest` first, by the client). */
  deliver(message: WestMessage): void {
    try {
      this.handler(message);
    } catch (error) {
      this.owner.handlerFailed(error);
    }
  }
}
