import type { Awaitable, Dist, DistHealth, DistHost, NodeStats } from "../dist/dist.js";
import type { Logger } from "../log.js";
import { Counters } from "./counters.js";
import { type Command, type Data, DELIVERY_EVENT, type Delivery, type Reply, reply } from "./message.js";
import { isValidName } from "./names.js";
import { isGuardedAction, type Permissions } from "./permissions.js";
import { type Endpoint, type Identity, Session } from "./session.js";

export interface CoreOptions {
  logger: Logger;
  /** How long a command may wait on the Dist before it is answered `internal_error`. */
  commandTimeoutMs: number;
  /** Registrations plus subscriptions (pending ones too) that one session may hold. */
  maxChannelsPerConnection: number;
  /** Longest channel name, in UTF-8 bytes. */
  maxChannelBytes: number;
  /** Channel permission rules; none: every command is allowed. */
  permissions?: Permissions | undefined;
}

/**
 * The rules of PROTOCOL.md's command table. Knows sessions and channels, nothing of sockets or encodings.
 * The local registry (owners, subscribers) always answers first; the Dist only carries what crosses nodes.
 */
export class Core implements DistHost {
  readonly logger: Logger;
  /** The node's base URL once it listens; set by whoever starts the HTTP server. */
  url: string | undefined;
  /** Running totals for the metrics endpoint. */
  readonly counters = new Counters();
  private readonly owners = new Map<string, Session>();
  private readonly subscribers = new Map<string, Set<Session>>();
  /** Channels whose Dist subscription is still being confirmed. */
  private readonly subscribing = new Map<string, Promise<void>>();
  private readonly sessions = new Map<number, Session>();
  private dist: Dist | undefined;
  private nextSessionId = 1;
  private fenced = false;

  constructor(private readonly options: CoreOptions) {
    this.logger = options.logger;
  }

  /** Plugs in the Dist once it exists (it is built with this core as its host). */
  attach(dist: Dist): void {
    this.dist = dist;
  }

  stats(): NodeStats {
    return {
      connections: this.sessions.size,
      registrations: this.owners.size,
      subscriptions: this.subscribers.size,
    };
  }

  *localRegistrations(): Iterable<[string, number]> {
    for (const [channel, owner] of this.owners) yield [channel, owner.id];
  }

  /** Whether the node can serve: joined its Dist, the Dist healthy, not fenced. */
  health(): DistHealth {
    if (this.dist === undefined) return JOINING;
    const health = this.dist.health?.() ?? CUSTOM_DIST;
    if (health.problem === undefined && this.fenced)
      return { ...health, problem: "fenced: heartbeat not renewed" };
    return health;
  }

  setFenced(fenced: boolean): void {
    if (fenced !== this.fenced) this.logger.warn({ fenced }, fenced ? "node fenced" : "node unfenced");
    this.fenced = fenced;
  }

  /** A new client session; `kind` labels it in the metrics (its WebSocket protocol, or `native`). */
  open(key: string, endpoint: Endpoint, identity: Identity = {}, kind = "native"): Session {
    const session = new Session(
      this.nextSessionId++,
      key,
      endpoint,
      this,
      kind,
      identity.claims,
      identity.trusted,
    );
    this.sessions.set(session.id, session);
    this.counters.connectionOpened(kind);
    return session;
  }

  /** Executes one command for `session`; never throws and never rejects: faults become `internal_error`. */
  run(session: Session, command: Command): Awaitable<Reply> {
    const { channel, id } = command;
    if (session.closed) return this.counted(command, reply("internal_error", channel, id));
    try {
      const result = this.dispatch(session, command);
      if (result instanceof Promise) {
        return result.then(
          (answer) => this.counted(command, answer),
          (error: unknown) => this.counted(command, this.fault(error, session, command)),
        );
      }
      return this.counted(command, result);
    } catch (error) {
      return this.counted(command, this.fault(error, session, command));
    }
  }

  async detach(session: Session): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session.id);
    this.counters.connectionClosed(session.kind);
    const releases: Awaitable<void>[] = [];
    for (const channel of session.registrations) {
      this.owners.delete(channel);
      releases.push(this.distCall((dist) => dist.release(channel, session.id)));
    }
    for (const channel of session.subscriptions) releases.push(this.leave(session, channel));
    session.dropAll();
    const results = await Promise.allSettled(releases);
    for (const result of results) {
      if (result.status === "rejected") {
        this.logger.warn({ err: result.reason, key: session.key }, "release on close failed");
      }
    }
  }

  /** Closes every session (node shutdown). */
  async detachAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => this.detach(session)));
  }

  deliverSend(delivery: Delivery, ownerSessionId: number): "delivered" | "not_owner" {
    const owner = this.owners.get(delivery.channel);
    if (owner === undefined || owner.id !== ownerSessionId) return "not_owner";
    this.counters.deliveriesSend++;
    owner.deliver(delivery);
    return "delivered";
  }

  deliverPublish(delivery: Delivery): void {
    const subscribers = this.subscribers.get(delivery.channel);
    if (subscribers === undefined) return;
    this.counters.deliveriesPublish += subscribers.size;
    for (const subscriber of subscribers) subscriber.deliver(delivery);
  }

  registrationLost(channel: string, sessionId: number): void {
    const owner = this.owners.get(channel);
    if (owner === undefined || owner.id !== sessionId) return;
    this.owners.delete(channel);
    owner.dropRegistration(channel);
    owner.deliver(reply("registration_lost", channel));
    this.logger.warn({ channel, key: owner.key }, "registration lost");
  }

  private dispatch(session: Session, command: Command): Awaitable<Reply> {
    const { channel, id } = command;
    if (this.refused(session, command)) return reply("permission_denied", channel, id);
    switch (command.event) {
      case "ping":
        return reply("pong", channel, id);
      case "register":
        return this.isChannel(channel)
          ? this.register(session, channel, id)
          : reply("registration_failed", channel, id);
      case "unregister":
        return this.isChannel(channel)
          ? this.unregister(session, channel, id)
          : reply("unregistration_failed", channel, id);
      case "send":
        return this.isChannel(channel) && isData(command.data)
          ? this.send(session, channel, command.data, id)
          : reply("sending_failed", channel, id);
      case "subscribe":
        return this.isChannel(channel)
          ? this.subscribe(session, channel, id)
          : reply("subscription_failed", channel, id);
      case "unsubscribe":
        return this.isChannel(channel)
          ? this.unsubscribe(session, channel, id)
          : reply("unsubscription_failed", channel, id);
      case "publish":
        return this.isChannel(channel) && isData(command.data)
          ? this.publish(session, channel, command.data, id)
          : reply("publication_failed", channel, id);
      default:
        return reply("action_not_allowed", channel, id);
    }
  }

  private isChannel(channel: string | undefined): channel is string {
    return isValidName(channel, this.options.maxChannelBytes);
  }

  /**
   * Whether `session` holds as many channels as it may. Reservations and subscriptions still being confirmed
   * are already in its sets, so concurrent commands cannot overshoot.
   */
  private atChannelLimit(session: Session, channel: string): boolean {
    const limit = this.options.maxChannelsPerConnection;
    if (session.registrations.size + session.subscriptions.size < limit) return false;
    this.counters.limitHits.channels++;
    this.logger.info({ key: session.key, channel, limit }, "channel limit");
    return true;
  }

  private register(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    const owner = this.owners.get(channel);
    if (owner === session) return reply("registration_already_exist", channel, id);
    if (owner !== undefined) return reply("registration_denied", channel, id);
    if (this.atChannelLimit(session, channel)) return reply("registration_failed", channel, id);
    // Reserve locally first, so that other local sessions are denied while a remote claim is in flight.
    this.owners.set(channel, session);
    session.holdRegistration(channel);
    const claimed = this.distCall((dist) => dist.claim(channel, session.id));
    if (!(claimed instanceof Promise)) return this.registered(session, channel, id, claimed);
    return claimed.then(
      (ok) => this.registered(session, channel, id, ok),
      (error: unknown) => {
        this.dropReservation(session, channel);
        // A claim that landed after all (e.g. after its deadline) must not leave an owner nobody knows about.
        this.settleQuietly(this.dist?.release(channel, session.id), channel);
        throw error;
      },
    );
  }

  private registered(session: Session, channel: string, id: Command["id"], claimed: boolean): Reply {
    if (claimed && !session.closed) return reply("registration_succeeded", channel, id);
    this.dropReservation(session, channel);
    if (claimed) this.settleQuietly(this.dist?.release(channel, session.id), channel);
    return reply("registration_denied", channel, id);
  }

  private dropReservation(session: Session, channel: string): void {
    if (this.owners.get(channel) === session) this.owners.delete(channel);
    session.dropRegistration(channel);
  }

  private unregister(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    if (this.owners.get(channel) !== session) return reply("registration_not_found", channel, id);
    this.dropReservation(session, channel);
    const released = this.distCall((dist) => dist.release(channel, session.id));
    const succeeded = reply("unregistration_succeeded", channel, id);
    return released instanceof Promise ? released.then(() => succeeded) : succeeded;
  }

  private send(session: Session, channel: string, data: Data, id: Command["id"]): Awaitable<Reply> {
    const delivery: Delivery = { event: DELIVERY_EVENT, from: session.key, channel, data };
    const owner = this.owners.get(channel);
    if (owner !== undefined) {
      if (this.fenced) throw new Error("node fenced: its registrations may have been taken over");
      this.counters.deliveriesSend++;
      owner.deliver(delivery);
      return reply("sending_succeeded", channel, id);
    }
    const outcome = this.distCall((dist) => dist.send(delivery));
    if (outcome instanceof Promise) return outcome.then((result) => sendingReply(result, channel, id));
    return sendingReply(outcome, channel, id);
  }

  private subscribe(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    if (session.subscriptions.has(channel)) return reply("subscription_already_exist", channel, id);
    if (this.atChannelLimit(session, channel)) return reply("subscription_failed", channel, id);
    let subscribers = this.subscribers.get(channel);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.subscribers.set(channel, subscribers);
      const joined = this.distCall((dist) => dist.subscribe(channel));
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
        this.settleQuietly(this.leave(session, channel), channel);
        throw error;
      },
    );
  }

  private unsubscribe(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    if (!session.subscriptions.has(channel)) return reply("subscription_not_found", channel, id);
    session.dropSubscription(channel);
    const left = this.leave(session, channel);
    const succeeded = reply("unsubscription_succeeded", channel, id);
    return left instanceof Promise ? left.then(() => succeeded) : succeeded;
  }

  /** Takes `session` out of `channel`'s subscribers; the last one out ends the node's Dist subscription. */
  private leave(session: Session, channel: string): Awaitable<void> {
    const subscribers = this.subscribers.get(channel);
    if (subscribers === undefined || !subscribers.delete(session) || subscribers.size > 0) return;
    this.subscribers.delete(channel);
    return this.distCall((dist) => dist.unsubscribe(channel));
  }

  private publish(session: Session, channel: string, data: Data, id: Command["id"]): Awaitable<Reply> {
    const delivery: Delivery = { event: DELIVERY_EVENT, from: session.key, channel, data };
    this.deliverPublish(delivery);
    const carried = this.distCall((dist) => dist.publish(delivery));
    const succeeded = reply("publication_succeeded", channel, id);
    return carried instanceof Promise ? carried.then(() => succeeded) : succeeded;
  }

  /** The permission rules refuse this command (checked before anything else happens, Dist included). */
  private refused(session: Session, { event, channel }: Command): boolean {
    const { permissions } = this.options;
    if (permissions === undefined || session.trusted || !isGuardedAction(event) || !this.isChannel(channel))
      return false;
    if (permissions.allows(event, channel, session)) return false;
    this.logger.info({ key: session.key, event, channel }, "permission denied");
    return true;
  }

  /** Calls the Dist; a promise it returns gets the command deadline. */
  private distCall<T>(call: (dist: Dist) => Awaitable<T>): Awaitable<T> {
    if (this.dist === undefined) throw new Error("no distribution layer attached");
    const result = call(this.dist);
    if (!(result instanceof Promise)) return result;
    return withDeadline(result, this.options.commandTimeoutMs);
  }

  /** Lets background work (an undo after a failed command) finish; failures are logged, never thrown. */
  private settleQuietly(work: Awaitable<void>, channel: string): void {
    if (!(work instanceof Promise)) return;
    work.catch((error: unknown) =>
      this.logger.warn({ err: error, channel }, "undo after a failed command failed"),
    );
  }

  private counted(command: Command, answer: Reply): Reply {
    this.counters.countCommand(command.event, answer.event);
    return answer;
  }

  private fault(error: unknown, session: Session, command: Command): Reply {
    this.logger.error(
      { err: error, key: session.key, event: command.event, channel: command.channel },
      "command failed",
    );
    return reply("internal_error", command.channel, command.id);
  }
}

const JOINING: DistHealth = { fields: {}, problem: "joining its distribution layer" };
const CUSTOM_DIST: DistHealth = { fields: { dist: "custom" } };

function sendingReply(outcome: "delivered" | "not_found", channel: string, id: Command["id"]): Reply {
  return reply(outcome === "delivered" ? "sending_succeeded" : "registration_not_found", channel, id);
}

/** Missing data (absent or null) is not data; empty data is. Functions, symbols and bigints cannot travel. */
function isData(data: Command["data"]): data is Data {
  if (data === undefined || data === null) return false;
  const type = typeof data;
  return type !== "function" && type !== "symbol" && type !== "bigint";
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer from the distribution layer within ${ms} ms`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
