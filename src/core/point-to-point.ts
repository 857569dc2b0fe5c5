import type { Logger } from "../log.js";
import type { AdapterCalls } from "./adapter-calls.js";
import type { Counters } from "./counters.js";
import { Fault } from "./faults.js";
import { KnownOwners } from "./known-owners.js";
import { type Command, type Data, DELIVERY_EVENT, type Delivery, type Reply, reply } from "./message.js";
import type { SendOutcome, SendRequest } from "./node-messages.js";
import type { NoAnswer, NodeRequests } from "./node-requests.js";
import type { Awaitable, Owner } from "./seam.js";
import type { Session } from "./session.js";

/** A local owner of a channel; `claim` is set while the claim in the whole system is still in flight. */
interface Ownership {
  readonly session: Session;
  claim: Promise<unknown> | undefined;
}

/**
 * Point-to-point channels: one owner in the whole system. The local owners answer first (a channel reserved here
 * denies other local sessions at once); the adapter's owner registry settles the rest, and a send to an owner on
 * another node is a request to that node, which answers for its live owner (docs: "One owner: the rules").
 */
export class PointToPoint {
  private readonly owners = new Map<string, Ownership>();
  private readonly knownOwners = new KnownOwners();

  constructor(
    private readonly adapters: AdapterCalls,
    private readonly requests: NodeRequests,
    private readonly counters: Counters,
    private readonly logger: Logger,
    /** Whether a session holds as many channels as it may (counted and logged when it does). */
    private readonly atLimit: (session: Session, channel: string) => boolean,
  ) {}

  /** Channels owned here, claims in flight included. */
  get size(): number {
    return this.owners.size;
  }

  /** Drops every registration of a closing session: the releases of its records in the whole system. */
  releaseAll(session: Session): Awaitable<void>[] {
    const releases: Awaitable<void>[] = [];
    for (const channel of session.registrations) {
      this.owners.delete(channel);
      releases.push(this.release(channel, session));
    }
    return releases;
  }

  register(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    const owned = this.owners.get(channel);
    if (owned?.session === session) return reply("registration_already_exist", channel, id);
    if (owned !== undefined) return reply("registration_denied", channel, id);
    if (this.atLimit(session, channel))
      return reply("registration_failed", channel, id, "too many channels on this connection");
    // Reserve locally first, so that other local sessions are denied while the claim is in flight.
    const ownership: Ownership = { session, claim: undefined };
    this.owners.set(channel, ownership);
    session.holdRegistration(channel);
    const claimed = this.adapters.call((adapter) => adapter.registry.claim(channel, session.id));
    if (!(claimed instanceof Promise)) return this.registered(ownership, channel, id, claimed);
    const answered = claimed.then(
      (ok) => this.registered(ownership, channel, id, ok),
      (error: unknown) => {
        this.dropReservation(session, channel);
        // A claim that landed after all (e.g. after its deadline) must not leave an owner nobody knows about.
        this.adapters.settleQuietly(this.release(channel, session), channel);
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
    if (claimed) this.adapters.settleQuietly(this.release(channel, session), channel);
    return reply("registration_denied", channel, id);
  }

  private dropReservation(session: Session, channel: string): void {
    if (this.owners.get(channel)?.session === session) this.owners.delete(channel);
    session.dropRegistration(channel);
  }

  unregister(session: Session, channel: string, id: Command["id"]): Awaitable<Reply> {
    if (this.owners.get(channel)?.session !== session) return reply("registration_not_found", channel, id);
    this.dropReservation(session, channel);
    const released = this.release(channel, session);
    const succeeded = reply("unregistration_succeeded", channel, id);
    return released instanceof Promise ? released.then(() => succeeded) : succeeded;
  }

  /** Frees `session`'s record of `channel` in the whole system (compare-and-delete). */
  private release(channel: string, session: Session): Awaitable<void> {
    return this.adapters.call(({ registry }) =>
      registry.release(channel, { nodeId: registry.nodeId, sessionId: session.id }),
    );
  }

  send(session: Session, channel: string, data: Data, id: Command["id"]): Awaitable<Reply> {
    return this.route({ event: DELIVERY_EVENT, from: session.key, channel, data }, id);
  }

  /**
   * Hands a request (a delivery with its reply_to) to its channel's owner, as a send: `sending_succeeded` once the
   * owner's node accepted it for the live owner, `registration_not_found`, or a Fault.
   */
  deliverRequest(delivery: Delivery): Awaitable<Reply> {
    return this.route(delivery, undefined);
  }

  /** To the local owner if there is one, else through the owner record to the owner's node. */
  private route(delivery: Delivery, id: Command["id"]): Awaitable<Reply> {
    const { channel } = delivery;
    const owned = this.owners.get(channel);
    if (owned === undefined) return this.adapters.call(() => this.sendRemote(delivery, id));
    // The owner's claim is in flight: its outcome (and its reply, sent first) decides.
    if (owned.claim !== undefined) return afterClaim(owned.claim).then(() => this.route(delivery, id));
    if (!this.adapters.current.registry.mayDeliver())
      throw new Fault(
        "node fenced",
        "node fenced: it does not hold its lease, so its channels may have been taken over",
      );
    // An owner whose socket is closing is no live owner: its channel is about to be free.
    if (!owned.session.deliver(delivery)) return reply("registration_not_found", channel, id);
    this.counters.deliveriesSend++;
    return reply("sending_succeeded", channel, id);
  }

  /**
   * A send to a channel with no local owner: the record tells the owner's node, which answers for its live
   * owner. Only `delivered` is success. No answer proves nothing: the record stays unless the owner's node is
   * proven dead (its heartbeat is gone). `registration_not_found` only when no one can have received the send.
   * An owner a recent send reached is tried first, without the lookup; an answer that proves the send was not
   * delivered (not the owner, fenced, or no receiver and the node dead) sends it on through the record.
   */
  private async sendRemote(delivery: Delivery, id: Command["id"]): Promise<Reply> {
    const { channel } = delivery;
    const known = this.knownOwners.get(channel);
    if (known !== undefined) {
      const answer = await this.offer(known, delivery);
      if (answer === "delivered") return reply("sending_succeeded", channel, id);
      this.knownOwners.forget(channel, known);
      if (answer === "timeout" || answer === "unreachable") await this.afterSilence(known, channel, answer);
    }
    const { registry } = this.adapters.current;
    const owner = await registry.ownerOf(channel);
    if (owner === undefined) return reply("registration_not_found", channel, id);
    if (owner.nodeId === registry.nodeId) {
      // The record names this node: a client of this node registered the channel since this send began (its
      // claim was looked up, not a stale record: the local owner decides), or the record is stale (e.g. its
      // release is still on its way).
      if (this.owners.has(channel)) return this.route(delivery, id);
      return this.notFound(channel, owner, id);
    }
    const answer = await this.offer(owner, delivery);
    if (answer === "delivered") {
      this.knownOwners.remember(channel, owner);
      return reply("sending_succeeded", channel, id);
    }
    if (answer === "not_owner") return reply("registration_not_found", channel, id);
    if (answer === "fenced")
      throw new Fault("owner's node fenced", `the owner's node ${owner.nodeId} is fenced`);
    await this.afterSilence(owner, channel, answer);
    return reply("registration_not_found", channel, id);
  }

  /** Asks `owner`'s node to deliver: its outcome, or why no answer came. */
  private async offer(owner: Owner, delivery: Delivery): Promise<SendOutcome | NoAnswer> {
    const answer = await this.requests.ask(owner.nodeId, { type: "send", owner, delivery });
    if (typeof answer !== "object") return answer;
    // An answer of another kind is no answer to this request.
    return answer.type === "send" ? answer.outcome : "timeout";
  }

  /**
   * No answer from `owner`'s node: the record stays unless that node is proven dead, and the send failed. Resolves
   * (after freeing the record) only when no one can have received the send: the node is dead and the message
   * reached no receiver.
   */
  private async afterSilence(owner: Owner, channel: string, answer: NoAnswer): Promise<void> {
    const { registry } = this.adapters.current;
    if (await registry.isAlive(owner.nodeId))
      throw new Fault(
        "no answer from the owner's node",
        `no answer from the owner's node ${owner.nodeId} (${answer}); it is alive, the record stays`,
      );
    this.logger.info({ channel, owner }, "the owner's node is dead: its record is freed");
    await registry.release(channel, owner);
    if (answer === "unreachable") return;
    // The node received the send before it died (or Redis lost its data): it may have delivered it.
    throw new Fault(
      "no answer from the owner's node",
      `no answer from the owner's node ${owner.nodeId}, which is dead: the send may have been delivered`,
    );
  }

  private async notFound(channel: string, owner: Owner, id: Command["id"]): Promise<Reply> {
    await this.adapters.current.registry.release(channel, owner);
    return reply("registration_not_found", channel, id);
  }

  /**
   * A send from another node for a channel whose record names a session of this node. Delivered only to that
   * live owner, and only while this node holds its lease; a record naming no live owner here is stale, and is
   * deleted before the answer says so.
   */
  receiveSend({ owner, delivery }: SendRequest): Awaitable<SendOutcome> {
    const { registry } = this.adapters.current;
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
    const released = this.adapters.current.registry.release(channel, owner);
    return released instanceof Promise ? released.then(() => "not_owner") : "not_owner";
  }

  registrationLost(channel: string, sessionId: number): void {
    const owned = this.owners.get(channel);
    if (owned === undefined || owned.session.id !== sessionId || owned.claim !== undefined) return;
    this.owners.delete(channel);
    owned.session.dropRegistration(channel);
    owned.session.deliver(reply("registration_lost", channel));
    this.logger.warn({ channel, key: owned.session.key }, "registration lost");
  }

  *confirmedRegistrations(): Iterable<[string, number]> {
    for (const [channel, owned] of this.owners)
      if (owned.claim === undefined) yield [channel, owned.session.id];
  }
}

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
