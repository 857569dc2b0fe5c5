import type { Core } from "./core.js";
import type { Command, Message, Reply } from "./message.js";

/** Where a session's messages go: a socket, or a native client's callback. */
export interface Endpoint {
  /** False when the message could not be handed on: the socket is closing or was cut. */
  deliver(message: Message): boolean;
}

/** What the permission rules know of a client besides its key. */
export interface Identity {
  /** The verified token's claims (its payload). */
  claims?: Readonly<Record<string, unknown>>;
  /** Permission rules do not apply (native clients the embedding program vouches for). */
  trusted?: boolean;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * One client in the sense of docs/protocol.md, "Clients and ownership" (one connection, or one native client
 * object).
 * Runs its commands one after another and answers them in order, also when many are in flight.
 */
export class Session {
  closed = false;
  // Made on first use: most connections hold few channels, and an idle one need not pay for two empty sets.
  private owned: Set<string> | undefined;
  private subscribed: Set<string> | undefined;
  /** Settles once every command accepted so far has been answered; undefined when none is in flight. */
  private tail: Promise<void> | undefined;

  constructor(
    readonly id: number,
    readonly key: string,
    private readonly endpoint: Endpoint,
    private readonly core: Core,
    /** What kind of client this is, for the metrics: its WebSocket protocol, or `native`. */
    readonly kind: string,
    readonly claims: Readonly<Record<string, unknown>> | undefined = undefined,
    readonly trusted = false,
  ) {}

  /** Channels this session registered (pending claims included). */
  get registrations(): ReadonlySet<string> {
    return this.owned ?? NONE;
  }

  /** Channels this session subscribed to (pending subscriptions included). */
  get subscriptions(): ReadonlySet<string> {
    return this.subscribed ?? NONE;
  }

  holdRegistration(channel: string): void {
    this.owned ??= new Set();
    this.owned.add(channel);
  }

  dropRegistration(channel: string): void {
    this.owned?.delete(channel);
  }

  holdSubscription(channel: string): void {
    this.subscribed ??= new Set();
    this.subscribed.add(channel);
  }

  dropSubscription(channel: string): void {
    this.subscribed?.delete(channel);
  }

  /** Forgets every channel (the session is closing). */
  dropAll(): void {
    this.owned = undefined;
    this.subscribed = undefined;
  }

  /** False when the client can no longer take messages (its socket is closing): it is not a live owner. */
  deliver(message: Message): boolean {
    return this.endpoint.deliver(message);
  }

  /**
   * Runs `command` after the ones before it; `onReply` (default: the endpoint) gets its one reply. Synchronous
   * when nothing waits.
   */
  execute(command: Command, onReply?: (reply: Reply) => void): void {
    if (this.closed) return;
    const prior = this.tail;
    if (prior === undefined) {
      const result = this.core.run(this, command);
      if (result instanceof Promise) this.follow(result, onReply);
      else if (onReply === undefined) this.endpoint.deliver(result);
      else onReply(result);
      return;
    }
    this.follow(
      prior.then(() => this.core.run(this, command)),
      onReply,
    );
  }

  /**
   * Gives `answer` (a reply made without running a command: the codec's bad_request, a rate_limited) its place
   * in the order of replies. `command` is the command it answers when one was read (metrics label; else other).
   */
  respond(answer: Reply, command = "other"): void {
    if (this.closed) return;
    this.core.counters.countCommand(command, answer.event);
    const prior = this.tail;
    if (prior === undefined) this.endpoint.deliver(answer);
    else this.follow(prior.then(() => answer));
  }

  /** Removes every registration and subscription of this session; idempotent. */
  close(): Promise<void> {
    return this.core.detach(this);
  }

  private follow(result: Promise<Reply>, onReply?: (reply: Reply) => void): void {
    const done: Promise<void> = result.then(onReply ?? ((reply) => this.endpoint.deliver(reply))).then(
      () => this.settled(done),
      (error: unknown) => {
        this.core.logger.error({ err: error, key: this.key }, "reply could not be delivered");
        this.settled(done);
      },
    );
    this.tail = done;
  }

  private settled(done: Promise<void>): void {
    if (this.tail === done) this.tail = undefined;
  }
}
