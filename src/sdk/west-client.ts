import { Backoff } from "./backoff.js";
import { fromBase64 } from "./codecs/base64.js";
import { jsonCodec } from "./codecs/json.js";
import { loadPbCodec } from "./codecs/pb.js";
import { type Codec, utf8Decoder, utf8Encoder, type Wire } from "./codecs/wire.js";
import { Commands } from "./commands.js";
import {
  type CloseInfo,
  Connection,
  type ConnectionOptions,
  type ConnectionState,
  type KeepaliveOptions,
} from "./connection.js";
import { Emitter } from "./emitter.js";
import { WestError } from "./errors.js";
import type { WestMessage, WestReply } from "./message.js";
import { type RegisterOptions, Registration } from "./registration.js";
import type { WebSocketClass } from "./socket.js";
import { type SubscribeOptions, Subscription } from "./subscription.js";

export interface WestClientOptions {
  /** The client's key (its identity); left out when the token's subject is the key. */
  key?: string;
  /** `json` (default) or `pb`; protobuf loads protobufjs's runtime on `connect()`. */
  protocol?: "json" | "pb";
  /** Where the node serves its WebSocket endpoints on each URL (default `/websocket`). */
  path?: string;
  /** A connection token (JWT), or... */
  token?: string;
  /** ...a function that gives one, called before every connection attempt (so an expiring token is renewed). */
  getToken?: () => string | Promise<string>;
  /** The WebSocket class: the browser's by default; in Node 20, `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketClass;
  /** Reconnect delays: exponential backoff with full jitter, reset once a connection lasted `stableAfterMs`. */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number; stableAfterMs?: number };
  keepalive?: KeepaliveOptions;
  /** A connection attempt that has not opened within this long is given up (default 15 s). */
  connectTimeoutMs?: number;
  /** How long a command waits for its reply, including the time it waits for a connection (default 10 s). */
  commandTimeoutMs?: number;
  /** A request waits its `timeoutMs` plus this, for the outcome to travel (default 2 s). */
  requestMarginMs?: number;
  /**
   * After a reconnect, how long a registration denied by what may be this client's own old record (its dead
   * connection, until that node's heartbeat expires) is claimed again before it is lost (default 15 s).
   */
  registrationRetryMs?: number;
}

export interface RequestOptions {
  /** How long the owner has to answer (default 5000 ms, at most 60000). */
  timeoutMs?: number;
}

export interface HistoryOptions {
  /** How many publications at most (default and cap: the channel's history size). */
  limit?: number;
  /** With `epoch`: the publications after this offset; without: the last ones. */
  offset?: number;
  epoch?: string;
}

export interface HistoryPage {
  publications: { from: string; offset: number; data: unknown }[];
  /** The channel's top offset and epoch. */
  offset: number;
  epoch: string;
  /** False when the answer does not reach back to what was asked (trimmed, or cut at the frame limit). */
  complete: boolean;
}

type ClientEvents = {
  state(state: ConnectionState, info: CloseInfo | undefined): void;
  registration_lost(channel: string, reason: string | undefined): void;
  error(error: unknown): void;
  frame(direction: "out" | "in", message: Wire, frame: string | Uint8Array | ArrayBuffer): void;
};

/** Failures worth trying again on the same connection a little later. */
const TRANSIENT = new Set(["timeout", "rate_limited", "internal_error"]);
/** Outcomes that end with the connection: the next one makes the state again. */
const CONNECTION_ENDED = new Set(["disconnected", "closed"]);

/**
 * A WEST-TS client for browsers and Node: it connects to one of `urls`, reconnects with backoff, restores its
 * registrations and subscriptions (recovering missed publications), and never sends a command twice.
 */
export class WestClient extends Emitter<ClientEvents> {
  private readonly options: WestClientOptions;
  private readonly commandTimeoutMs: number;
  private readonly urls: string[];
  private readonly commands: Commands;
  private connection: Connection | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly registrations = new Map<string, Registration>();
  private readonly retries = new Map<Subscription | Registration, ReturnType<typeof setTimeout>>();
  private readonly retryDelays: Backoff;
  private claimWindowEnd = 0;
  private waiters: { resolve(): void; reject(error: WestError): void }[] = [];
  private codec: Codec | undefined;
  private readonly owner = {
    unsubscribe: (subscription: Subscription) => this.unsubscribe(subscription),
    unregister: (registration: Registration) => this.unregister(registration),
    handlerFailed: (error: unknown) => this.emit("error", error),
  };

  constructor(urls: string | string[], options: WestClientOptions = {}) {
    super();
    this.urls = typeof urls === "string" ? [urls] : [...urls];
    if (this.urls.length === 0) throw new TypeError("WestClient needs at least one URL");
    for (const url of this.urls) new URL(url);
    this.options = options;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
    this.commands = new Commands((message) => this.write(message));
    this.retryDelays = new Backoff({ minDelayMs: 250, maxDelayMs: 2_000 });
  }

  /** "disconnected" before `connect()`, then "connecting", "connected", "disconnected"..., "closed". */
  get state(): ConnectionState {
    return this.closed ? "closed" : (this.connection?.current ?? "disconnected");
  }

  /** Starts connecting (and reconnecting); resolves once connected, rejects if the client closes first. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new WestError("closed"));
    this.starting ??= this.start();
    if (this.connection?.isOpen === true) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Closes the connection for good: pending commands are rejected with `closed`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection?.close();
    this.finish(undefined);
  }

  subscribe(
    channel: string,
    handler: (message: WestMessage) => void,
    options: SubscribeOptions = {},
  ): Subscription {
    if (this.closed) throw new WestError("closed");
    if (this.subscriptions.has(channel)) throw new Error(`already subscribed to ${channel}`);
    const subscription = new Subscription(channel, handler, options, this.owner);
    this.subscriptions.set(channel, subscription);
    if (this.connection?.isOpen === true) this.makeSubscription(subscription);
    return subscription;
  }

  register(
    channel: string,
    handler: (message: WestMessage) => void = () => undefined,
    options: RegisterOptions = {},
  ): Registration {
    if (this.closed) throw new WestError("closed");
    if (this.registrations.has(channel)) throw new Error(`already registered ${channel}`);
    const registration = new Registration(channel, handler, options, this.owner);
    this.registrations.set(channel, registration);
    if (this.connection?.isOpen === true) this.claim(registration);
    return registration;
  }

  publish(channel: string, data: unknown): Promise<WestReply> {
    return this.run({ event: "publish", channel, data }).then(replyOf);
  }

  send(channel: string, data: unknown): Promise<WestReply> {
    return this.run({ event: "send", channel, data }).then(replyOf);
  }

  /** Asks the owner of `channel`; resolves to its answer. */
  async request(channel: string, data: unknown, options: RequestOptions = {}): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    const wait = timeoutMs + (this.options.requestMarginMs ?? 2_000);
    const reply = await this.run({ event: "request", channel, data, timeout_ms: timeoutMs }, wait);
    return reply.data;
  }

  /** Answers a request received without `onRequest` (its `replyTo`). */
  reply(replyTo: string, data: unknown): Promise<WestReply> {
    return this.run({ event: "reply", channel: replyTo, data }).then(replyOf);
  }

  /** Who is subscribed to `channel`, over the whole system: each key with its number of connections. */
  async presence(channel: string): Promise<Record<string, number>> {
    const reply = await this.run({ event: "presence", channel });
    return jsonOf(reply.data) as Record<string, number>;
  }

  async history(channel: string, options: HistoryOptions = {}): Promise<HistoryPage> {
    const command: Wire = { event: "history", channel };
    if (options.limit !== undefined) command.limit = options.limit;
    if (options.offset !== undefined) command.offset = options.offset;
    if (options.epoch !== undefined) command.epoch = options.epoch;
    const reply = await this.run(command);
    const items = jsonOf(reply.data) as { from: string; offset: number; data: unknown; encoding?: string }[];
    return {
      publications: items.map(({ from, offset, data, encoding }) => ({
        from,
        offset,
        data: this.itemData(data, encoding),
      })),
      offset: reply.offset ?? 0,
      epoch: reply.epoch ?? "",
      complete: reply.complete !== false,
    };
  }

  ping(): Promise<WestReply> {
    return this.run({ event: "ping" }).then(replyOf);
  }

  private async start(): Promise<void> {
    try {
      this.codec = this.options.protocol === "pb" ? await loadPbCodec() : jsonCodec;
    } catch (error) {
      this.emit("error", error);
      this.close();
      return;
    }
    if (this.closed) return;
    const WebSocket = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
    if (WebSocket === undefined) {
      this.emit("error", new TypeError("no WebSocket: in Node 20, pass { WebSocket } from the ws package"));
      this.close();
      return;
    }
    const options: ConnectionOptions = {
      urls: this.urls,
      path: this.options.path ?? "/websocket",
      key: this.options.key,
      codec: this.codec,
      WebSocket,
      token: this.options.token,
      getToken: this.options.getToken,
      reconnect: this.options.reconnect ?? {},
      keepalive: this.options.keepalive ?? {},
      connectTimeoutMs: this.options.connectTimeoutMs,
    };
    this.connection = new Connection(options, {
      state: (state, info) => this.stateChanged(state, info),
      open: () => this.opened(),
      message: (message) => this.received(message),
      lost: () => this.lost(),
      error: (error) => this.emit("error", error),
      frame: (direction, message, frame) => this.emit("frame", direction, message, frame),
    });
    this.connection.start();
  }

  private run(message: Wire, timeoutMs = this.commandTimeoutMs): Promise<Wire> {
    if (this.closed) return Promise.reject(new WestError("closed"));
    return this.commands.run(message, timeoutMs);
  }

  private write(message: Wire): boolean {
    if (this.connection?.isOpen !== true) return false;
    this.connection.send(message);
    return true;
  }

  private stateChanged(state: ConnectionState, info: CloseInfo | undefined): void {
    if (state === "closed" && !this.closed) {
      this.closed = true;
      this.finish(info);
    }
    this.emit("state", state, info);
    if (state === "connected") for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  /** A connection opened: the state is made again first, then what waited for it goes out. */
  private opened(): void {
    this.claimWindowEnd = Date.now() + (this.options.registrationRetryMs ?? 15_000);
    for (const registration of this.registrations.values()) this.claim(registration);
    for (const subscription of this.subscriptions.values()) this.makeSubscription(subscription);
    this.commands.flush();
  }

  private lost(): void {
    this.commands.dropped();
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    for (const subscription of this.subscriptions.values()) subscription.state = "subscribing";
    for (const registration of this.registrations.values()) registration.state = "registering";
  }

  private finish(info: CloseInfo | undefined): void {
    this.lost();
    this.commands.closed();
    for (const subscription of this.subscriptions.values()) subscription.ended();
    for (const registration of this.registrations.values()) registration.ended();
    this.subscriptions.clear();
    this.registrations.clear();
    const error = new WestError("closed", info?.reason);
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private makeSubscription(subscription: Subscription): void {
    const command = subscription.command();
    const recovering = command.offset !== undefined;
    subscription.state = "subscribing";
    this.commands.run(command, this.commandTimeoutMs).then(
      (reply) => {
        if (this.subscriptions.get(subscription.channel) === subscription)
          subscription.confirmed(reply, recovering);
      },
      (error: WestError) => {
        if (this.subscriptions.get(subscription.channel) !== subscription || CONNECTION_ENDED.has(error.code))
          return;
        if (TRANSIENT.has(error.code)) this.later(subscription, () => this.makeSubscription(subscription));
        else {
          this.subscriptions.delete(subscription.channel);
          subscription.failed(error);
        }
      },
    );
  }

  private claim(registration: Registration): void {
    registration.state = "registering";
    this.commands.run(registration.command(), this.commandTimeoutMs).then(
      () => {
        if (this.registrations.get(registration.channel) === registration) registration.confirmed();
      },
      (error: WestError) => {
        if (this.registrations.get(registration.channel) !== registration) return;
        if (error.code === "disconnected") registration.claimedBefore = true;
        if (CONNECTION_ENDED.has(error.code)) return;
        const ownRecord = error.code === "registration_denied" && registration.claimedBefore;
        if (TRANSIENT.has(error.code) || (ownRecord && Date.now() < this.claimWindowEnd)) {
          this.later(registration, () => this.claim(registration));
          return;
        }
        this.registrations.delete(registration.channel);
        if (ownRecord) this.registrationLost(registration, error.code);
        else registration.failed(error);
      },
    );
  }

  /** Tries again after a short random delay, on this connection. */
  private later(target: Subscription | Registration, again: () => void): void {
    this.retries.set(
      target,
      setTimeout(() => {
        this.retries.delete(target);
        if (this.connection?.isOpen === true) again();
      }, this.retryDelays.next()),
    );
  }

  private unsubscribe(subscription: Subscription): Promise<void> {
    return this.release(this.subscriptions, subscription, "unsubscribe", "subscription_not_found");
  }

  private unregister(registration: Registration): Promise<void> {
    return this.release(this.registrations, registration, "unregister", "registration_not_found");
  }

  /**
   * Ends a subscription or registration here, then on the node if connected: already undone there, or undone by
   * the connection's end, is done.
   */
  private async release<T extends Subscription | Registration>(
    held: Map<string, T>,
    target: T,
    event: "unsubscribe" | "unregister",
    alreadyUndone: string,
  ): Promise<void> {
    if (held.get(target.channel) !== target) return;
    held.delete(target.channel);
    this.cancelRetry(target);
    target.ended();
    if (this.connection?.isOpen !== true) return;
    try {
      await this.run({ event, channel: target.channel });
    } catch (error) {
      const code = (error as WestError).code;
      if (code !== alreadyUndone && !CONNECTION_ENDED.has(code)) throw error;
    }
  }

  private cancelRetry(target: Subscription | Registration): void {
    clearTimeout(this.retries.get(target));
    this.retries.delete(target);
  }

  private received(message: Wire): void {
    if (message.id !== undefined && this.commands.reply(message)) return;
    const channel = message.channel;
    if (channel === undefined) return;
    switch (message.event) {
      case "new_message":
        this.delivered(message, channel);
        return;
      case "join":
      case "leave":
        this.subscriptions.get(channel)?.presence(message.event, message.from ?? "");
        return;
      case "registration_lost": {
        const registration = this.registrations.get(channel);
        if (registration === undefined) return;
        this.registrations.delete(channel);
        this.cancelRetry(registration);
        this.registrationLost(registration, message.reason);
      }
    }
  }

  private registrationLost(registration: Registration, reason: string | undefined): void {
    registration.lost(reason);
    this.emit("registration_lost", registration.channel, reason);
  }

  /**
   * A delivery: a request goes to its registration; anything else to the channel's subscription if there is
   * one (the protocol does not tell a publication from a send), else to its registration.
   */
  private delivered(wire: Wire, channel: string): void {
    const message: WestMessage = { from: wire.from ?? "", channel, data: wire.data };
    if (wire.offset !== undefined) message.offset = wire.offset;
    if (wire.epoch !== undefined) message.epoch = wire.epoch;
    if (wire.reply_to !== undefined) {
      message.replyTo = wire.reply_to;
      const registration = this.registrations.get(channel);
      if (registration?.options.onRequest !== undefined) void this.answer(registration, message);
      else registration?.deliver(message);
      return;
    }
    const subscription = this.subscriptions.get(channel);
    if (subscription !== undefined) subscription.deliver(message);
    else this.registrations.get(channel)?.deliver(message);
  }

  private async answer(registration: Registration, message: WestMessage): Promise<void> {
    const onRequest = registration.options.onRequest as NonNullable<RegisterOptions["onRequest"]>;
    let answer: unknown;
    try {
      answer = await onRequest(message.data, message);
    } catch (error) {
      this.emit("error", error);
      return;
    }
    try {
      await this.run({ event: "reply", channel: message.replyTo as string, data: answer });
    } catch (error) {
      this.emit("error", error);
    }
  }

  /** A history item's data as a delivery of it would carry it on this client's protocol. */
  private itemData(data: unknown, encoding: string | undefined): unknown {
    const bytes = encoding === "base64" && typeof data === "string" ? fromBase64(data) : undefined;
    if (this.codec?.protocol !== "pb") return bytes ?? data;
    return bytes ?? utf8Encoder.encode(typeof data === "string" ? data : JSON.stringify(data));
  }
}

function replyOf(wire: Wire): WestReply {
  const { id: _id, from: _from, ...reply } = wire;
  return reply;
}

/** JSON data of a reply: itself on the JSON protocol, JSON text in bytes on protobuf. */
function jsonOf(data: unknown): unknown {
  return data instanceof Uint8Array ? JSON.parse(utf8Decoder.decode(data)) : data;
}
