import { ANSWERED_APART, CommandPipeline, type PipelineHost, type ReplyHandler } from "./command-pipeline.js";
import type { Core } from "./core.js";
import { type Command, type Message, RESPONSE_EVENT, type Reply, type Response } from "./message.js";
import type { Awaitable } from "./seam.js";

/** Where a session's messages go: a socket, or a native client's callback. */
export interface Endpoint {
  /** False when the message could not be handed on: the socket is closing or was cut. */
  deliver(message: Message): boolean;
  /** Tells the client to subscribe `channel` again, with recovery (a socket closes with 4004 `resync`). */
  resync?(channel: string): void;
  /** Closes the client at the HTTP API's request (a socket closes with 4003); false when it was closing already. */
  disconnect?(): boolean;
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
 * Runs its commands pipelined (see CommandPipeline) and answers them in order.
 */
export class Session implements PipelineHost {
  closed = false;
  // Made on first use: most connections hold few channels, and an idle one need not pay for two empty sets.
  private owned: Set<string> | undefined;
  private subscribed: Set<string> | undefined;
  /** Made at the first command that is not answered at once. */
  private pipeline: CommandPipeline | undefined;

  constructor(
    readonly id: number,
    readonly key: string,
    private readonly endpoint: Endpoint,
    private readonly core: Core,
    /** What kind of client this is, for the metrics: its WebSocket protocol, or `native`. */
    readonly kind: string,
    readonly claims: Readonly<Record<string, unknown>> | undefined = undefined,
    readonly trusted = false,
    /** Commands that may run at once; more wait their turn. */
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
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

  /** Runs `command`; `onReply` (default: the endpoint) gets its one reply, after the replies to earlier commands. */
  execute(command: Command, onReply?: ReplyHandler): void {
    if (this.closed) return;
    if (this.pipeline !== undefined) {
      this.pipeline.execute(command, onReply);
      return;
    }
    // Nothing in flight: run it now. A client whose commands are all answered at once (pings, local work) never
    // needs a pipeline, and an idle connection's memory stays small.
    const result = this.runCommand(command, onReply);
    if (!(result instanceof Promise)) this.answer(result, onReply);
    else {
      this.pipeline = new CommandPipeline(this, this.maxInFlight);
      this.pipeline.adopt(command, result, onReply);
    }
  }

  /**
   * Gives `answer` (a reply made without running a command: the codec's bad_request, a rate_limited) its place
   * in the order of replies. `command` is the command it answers when one was read (metrics label; else other).
   */
  respond(answer: Reply, command = "other"): void {
    if (this.closed) return;
    this.core.counters.countCommand(command, answer.event);
    if (this.pipeline === undefined) this.answer(answer, undefined);
    else this.pipeline.respond(answer);
  }

  /** Removes every registration and subscription of this session; idempotent. */
  close(): Promise<void> {
    return this.core.detach(this);
  }

  /** For the pipeline: runs one command; a request's outcome, when it comes, goes where its reply would. */
  runCommand(command: Command, onReply: ReplyHandler | undefined): Awaitable<Reply> {
    if (command.event !== "request") return this.core.run(this, command);
    return this.core.run(this, command, (outcome) => {
      if (!this.closed) this.answer(outcome, onReply);
    });
  }

  /** For the pipeline: hands a reply on, to `onReply` or else to the endpoint. */
  answer(reply: Reply | Response, onReply: ReplyHandler | undefined): void {
    if (reply === ANSWERED_APART) return;
    try {
      if (onReply === undefined) this.endpoint.deliver(reply);
      else onReply(reply);
      if (reply.event !== RESPONSE_EVENT) this.core.replied(this, reply);
    } catch (error) {
      this.core.logger.error({ err: error, key: this.key }, "reply could not be delivered");
    }
  }

  /** The HTTP API's disconnect: a socket closes with 4003; a native client is not affected (false). */
  disconnect(): boolean {
    return !this.closed && this.endpoint.disconnect !== undefined && this.endpoint.disconnect();
  }

  /**
   * A publication of `channel` that this session subscribes could not reach it, and cannot be recovered here: its
   * client must subscribe again (with recovery). A socket closes with 4004; a client without one is closed.
   */
  resync(channel: string): void {
    if (this.closed) return;
    this.core.logger.warn({ key: this.key, channel }, "subscriber must resubscribe: a gap in its channel");
    if (this.endpoint.resync !== undefined) this.endpoint.resync(channel);
    else void this.close();
  }
}

/** Commands of one client that may run at once, unless configured otherwise (option maxCommandsInFlight). */
export const DEFAULT_MAX_IN_FLIGHT = 1000;
