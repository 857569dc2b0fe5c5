import type { Logger } from "../log.js";
import { Counters } from "./counters.js";
import { withDeadline } from "./deadline.js";
import { type Command, type Data, DELIVERY_EVENT, type Delivery, type Reply, reply } from "./message.js";
import { isValidName } from "./names.js";
import type { DirectMessage, SendOutcome, SendRequest } from "./node-messages.js";
import { NodeRequests } from "./node-requests.js";
import { isGuardedAction, type Permissions } from "./permissions.js";
import type { Adapter, AdapterHealth, Awaitable, NodeEvents, NodeStats, Owner } from "./seam.js";
import { type Endpoint, type Identity, Session } from "./session.js";

export interface CoreOptions {
  logger: Logger;
  /** How long a command may wait on the adapter before it is answered `internal_error`. */
  commandTimeoutMs: number;
  /** Registrations plus subscriptions (pending ones too) that one session may hold. */
  maxChannelsPerConnection: number;
  /** Longest channel name, in UTF-8 bytes. */
  maxChannelBytes: number;
  /** Channel permission rules; none: every command is allowed. */
  permissions?: Permissions | undefined;
}

/** A local owner of a channel; `claim` is set while the claim in the whole system is still in flight. */
interface Ownership {
  readonly session: Session;
  claim: Promise<unknown> | undefined;
}

/**
 * The rules of the protocol's command table. Knows sessions and channels, nothing of sockets or encodings.
 * The local registry (owners, subscribers) always answers first; the adapter only settles what crosses nodes.
 */
export class Core {
  readonly logger: Logger;
  /** Running totals for the metrics endpoint. */
  readonly counters = new Counters();
  /** What the adapter may see of this node: the narrow handler of what arrives from other nodes. */
  readonly events: NodeEvents;
  private readonly owners = new Map<string, Ownership>();
  private readonly subscribers = new Map<string, Set<Session>>();
  /** Channels whose backplane subscription is still being confirmed. */
  private readonly subscribing = new Map<string, Promise<void>>();
  private readonly sessions = new Map<number, Session>();
  private readonly requests = new NodeRequests((nodeId, message) =>
    this.attached().backplane.direct(nodeId, message),
  );
  private adapter: Adapter | undefined;
  private nextSessionId = 1;

  constructor(private readonly options: CoreOptions) {
    this.logger = options.logger;
    this.events = {
      publication: (delivery) => this.deliverPublish(delivery),
      direct: (origin, message) => this.receiveDirect(origin, message),
      registrationLost: (channel, sessionId) => this.registrationLost(channel, sessionId),
      registrations: () => this.confirmedRegistrations(),
      stats: () => this.stats(),
    };
  }

  /** Plugs in the adapter once it exists (it is built with this core's events). */
  attach(adapter: Adapter): void {
    this.adapter = adapter;
  }

  stats(): NodeStats {
    return {
      connections: this.sessions.size,
      registrations: this.owners.size,
      subscriptions: this.subscribers.size,
    };
  }

  /** Whether the node can serve: joined through its adapter, and the adapter healthy. */
  health(): AdapterHealth {
    return this.adapter === undefined ? JOINING : this.adapter.health();
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
      releases.push(this.release(channel, session));
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

  deliverPublish(delivery: Delivery): void {
    const subscribers = this.subscribers.get(delivery.channel);
    if (subscribers === undefined) return;
    this.counters.deliveriesPublish += subscribers.size;
    for (const subscriber of subscribers) subscriber.deliver(delivery);
  }

  private registrationLost(channel: string, sessionId: number): void {
    const owned = this.owners.get(channel);
    if (owned === undefined || owned.session.id !== sessionId || owned.claim !== undefined) return;
    this.owners.delete(channel);
    owned.session.dropRegistration(channel);
    owned.session.deliver(reply("registration_lost", channel));
    this.logger.warn({ channel, key: owned.session.key }, "registration lost");
  }

  private *confirmedRegistrations(): Iterable<[string, number]> {
    for (const [channel, owned] of this.owners)
      if (owned.claim === undefined) yield [channel, owned.session.id];
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
    const owned = this.owners.get(channel);
    if (owned?.session === session) return reply("registration_already_exist", channel, id);
    if (owned !== undefined) return reply("registration_denied", channel, id);
    if (this.atChannelLimit(session, channel)) return reply("registration_failed", channel, id);
    // Reserve locally first, so that other local sessions are denied while the claim is in flight.
    const ownership: Ownership = { session, claim: undefined };
    this.owners.set(channel, ownership);
    session.holdRegistration(channel);
    const claimed = this.withAdapter((adapter) => adapter.registry.claim(channel, session.id));
    if (!(claimed instanceof Promise)) return this.registered(ownership, channel, id, claimed);
    const answered = claimed.then(
      (ok) => this.registered(ownership, channel, id, ok),
      (error: unknown) => {
        this.dropReservation(session, channel);
        // A claim that landed after all (e.g. after its deadline) must not leave an owner nobody knows about.
        this.settleQuietly(this.release(channel, session), channel);
        throw error;
      },
    );
    ownership.claim = answered;
    return answered;
  }

  private registered(ownership: Ownership, channel: string, id: Command["id"], claimed: boolean): Reply {
    const { session } = ownership;
    ownership.claim = undefined;
    if (claimed && !session.closed && this.owners.get(channel) === ownership)
      return reply("registration_succeeded", channel, id);
    this.dropReservation(session, channel);
    if (claimed) this.settleQuietly(this.release(channel, session), channel);
    return reply("registration_denied", channel, id);
  }

  private dropReservation(session: Session, channel: string): void {
    if (this.owners.get(channel)?.session === session) this.owners.delete(channel);
    session.dropRegistration(channel);
  }

  private unregister(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    if (this.owners.get(channel)?.session !== session) return reply("registration_not_found", channel, id);
    this.dropReservation(session, channel);
    const released = this.release(channel, session);
    const succeeded = reply("unregistration_succeeded", channel, id);
    return released instanceof Promise ? released.then(() => succeeded) : succeeded;
  }

  /** Frees `session`'s record of `channel` in the whole system (compare-and-delete). */
  private release(channel: string, session: Session): Awaitable<void> {
    return this.withAdapter(({ registry }) =>
      registry.release(channel, { nodeId: registry.nodeId, sessionId: session.id }),
    );
  }

  private send(session: Session, channel: string, data: Data, id: Command["id"]): Awaitable<Reply> {
    const delivery: Delivery = { event: DELIVERY_EVENT, from: session.key, channel, data };
    const owned = this.owners.get(channel);
    if (owned === undefined) return this.withAdapter(() => this.sendRemote(delivery, id));
    // The owner's claim is in flight: its outcome (and its reply, sent first) decides.
    if (owned.claim !== undefined)
      return afterClaim(owned.claim).then(() => this.send(session, channel, data, id));
    if (!this.attached().registry.mayDeliver())
      throw new Error("node fenced: it does not hold its lease, so its channels may have been taken over");
    // An owner whose socket is closing is no live owner: its channel is about to be free.
    if (!owned.session.deliver(delivery)) return reply("registration_not_found", channel, id);
    this.counters.deliveriesSend++;
    return reply("sending_succeeded", channel, id);
  }

  /**
   * A send to a channel with no local owner: the record tells the owner's node, which answers for its live
   * owner. Only `delivered` is success. No answer proves nothing: the record stays unless the owner's node is
   * proven dead (its heartbeat is gone). `registration_not_found` only when no one can have received the send.
   */
  private async sendRemote(delivery: Delivery, id: Command["id"]): Promise<Reply> {
    const { channel } = delivery;
    const { registry } = this.attached();
    const owner = await registry.ownerOf(channel);
    if (owner === undefined) return reply("registration_not_found", channel, id);
    // The record names this node, which has no such owner: stale (e.g. its release is still on its way).
    if (owner.nodeId === registry.nodeId) return this.notFound(channel, owner, id);
    const askMs = Math.max(1, Math.floor((this.options.commandTimeoutMs * 3) / 4));
    const answer = await this.requests.ask(owner.nodeId, { type: "send", owner, delivery }, askMs);
    if (typeof answer === "object") {
      if (answer.outcome === "delivered") return reply("sending_succeeded", channel, id);
      if (answer.outcome === "not_owner") return reply("registration_not_found", channel, id);
      throw new Error(`the owner's node ${owner.nodeId} is fenced`);
    }
    if (await registry.isAlive(owner.nodeId))
      throw new Error(
        `no answer from the owner's node ${owner.nodeId} (${answer}); it is alive, the record stays`,
      );
    this.logger.info({ channel, owner }, "the owner's node is dead: its record is freed");
    const freed = this.notFound(channel, owner, id);
    if (answer === "unreachable") return freed;
    // The node received the send before it died (or Redis lost its data): it may have delivered it.
    await freed;
    throw new Error(
      `no answer from the owner's node ${owner.nodeId}, which is dead: the send may have been delivered`,
    );
  }

  private async notFound(channel: string, owner: Owner, id: Command["id"]): Promise<Reply> {
    await this.attached().registry.release(channel, owner);
    return reply("registration_not_found", channel, id);
  }

  private receiveDirect(origin: string, message: DirectMessage): void {
    if (message.type === "answer") {
      this.requests.answered(message.requestId, message.body);
      return;
    }
    const { requestId, body } = message;
    Promise.resolve(this.receiveSend(body))
      .then((outcome) =>
        this.attached().backplane.direct(origin, {
          type: "answer",
          requestId,
          body: { type: "send", outcome },
        }),
      )
      .catch((error: unknown) => this.logger.warn({ err: error, origin }, "could not answer a send"));
  }

  /**
   * A send from another node for a channel whose record names a session of this node. Delivered only to that
   * live owner, and only while this node holds its lease; a record naming no live owner here is stale, and is
   * deleted before the answer says so.
   */
  private receiveSend({ owner, delivery }: SendRequest): Awaitable<SendOutcome> {
    const { registry } = this.attached();
    // Sent to an incarnation of this node that it has left: the record is being moved to the new one.
    if (owner.nodeId !== registry.nodeId) return "fenced";
    const owned = this.owners.get(delivery.channel);
    if (owned === undefined || owned.session.id !== owner.sessionId)
      return this.staleRecord(delivery.channel, owner);
    if (owned.claim !== undefined)
      return afterClaim(owned.claim).then(() => this.receiveSend({ type: "send", owner, delivery }));
    if (!registry.mayDeliver()) return "fenced";
    if (!owned.session.deliver(delivery)) return this.staleRecord(delivery.channel, owner);
    this.counters.deliveriesSend++;
    return "delivered";
  }

  /** The record names no live owner here: delete it (compare-and-delete), then say so. */
  private staleRecord(channel: string, owner: Owner): Awaitable<SendOutcome> {
    const released = this.attached().registry.release(channel, owner);
    return released instanceof Promise ? released.then(() => "not_owner") : "not_owner";
  }

  private subscribe(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    if (session.subscriptions.has(channel)) return reply("subscription_already_exist", channel, id);
    if (this.atChannelLimit(session, channel)) return reply("subscription_failed", channel, id);
    let subscribers = this.subscribers.get(channel);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.subscribers.set(channel, subscribers);
      const joined = this.withAdapter(({ backplane }) => backplane.subscribe(channel));
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

  /** Takes `session` out of `channel`'s subscribers; the last one out ends the node's backplane subscription. */
  private leave(session: Session, channel: string): Awaitable<void> {
    const subscribers = this.subscribers.get(channel);
    if (subscribers === undefined || !subscribers.delete(session) || subscribers.size > 0) return;
    this.subscribers.delete(channel);
    return this.withAdapter(({ backplane }) => backplane.unsubscribe(channel));
  }

  private publish(session: Session, channel: string, data: Data, id: Command["id"]): Awaitable<Reply> {
    const delivery: Delivery = { event: DELIVERY_EVENT, from: session.key, channel, data };
    this.deliverPublish(delivery);
    const carried = this.withAdapter(({ backplane }) => backplane.publish(delivery));
    const succeeded = reply("publication_succeeded", channel, id);
    return carried instanceof Promise ? carried.then(() => succeeded) : succeeded;
  }

  /** The permission rules refuse this command (checked before anything else happens, adapter included). */
  private refused(session: Session, { event, channel }: Command): boolean {
    const { permissions } = this.options;
    if (permissions === undefined || session.trusted || !isGuardedAction(event) || !this.isChannel(channel))
      return false;
    if (permissions.allows(event, channel, session)) return false;
    this.logger.info({ key: session.key, event, channel }, "permission denied");
    return true;
  }

  private attached(): Adapter {
    if (this.adapter === undefined) throw new Error("no adapter attached");
    return this.adapter;
  }

  /** Calls the adapter; a promise it returns gets the command deadline. */
  private withAdapter<T>(call: (adapter: Adapter) => Awaitable<T>): Awaitable<T> {
    const result = call(this.attached());
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

const JOINING: AdapterHealth = { fields: {}, problem: "joining its distribution layer" };

/**
 * Settles after `claim` and after the microtasks that deliver its reply: a delivery to an owner whose claim was
 * in flight comes after its `registration_succeeded`.
 */
function afterClaim(claim: Promise<unknown>): Promise<void> {
  return claim.then(
    () => new Promise((resolve) => setImmediate(resolve)),
    () => new Promise((resolve) => setImmediate(resolve)),
  );
}

/** Missing data (absent or null) is not data; empty data is. Functions, symbols and bigints cannot travel. */
function isData(data: Command["data"]): data is Data {
  if (data === undefined || data === null) return false;
  const type = typeof data;
  return type !== "function" && type !== "symbol" && type !== "bigint";
}
