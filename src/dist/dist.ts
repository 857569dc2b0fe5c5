import type { Counters } from "../core/counters.js";
import type { Delivery } from "../core/message.js";

/** A value now (local, in-process) or later (a round trip to another machine). */
export type Awaitable<T> = T | Promise<T>;

/** What a Dist backend may ask of the node it serves. */
export interface DistHost {
  /** The node's base URL, once it listens (for the heartbeat record). */
  readonly url: string | undefined;
  /** A send from another node for a channel this node owns: hand it to the local owner. */
  deliverSend(delivery: Delivery, ownerSessionId: number): "delivered" | "not_owner";
  /** A publish from another node: hand it to the local subscribers of its channel. */
  deliverPublish(delivery: Delivery): void;
  /** This node no longer owns a channel it had registered (e.g. Redis lost it and another node claimed it). */
  registrationLost(channel: string, sessionId: number): void;
  /** The channels this node's sessions own, to claim again after Redis lost them. */
  localRegistrations(): Iterable<[channel: string, sessionId: number]>;
  /**
   * While fenced (the node could not prove it is alive, so another node may take its channels over), sends to
   * local owners are not delivered but answered `internal_error`.
   */
  setFenced(fenced: boolean): void;
  /** Figures for the node's heartbeat record. */
  stats(): NodeStats;
  /** The node's running totals (a Dist counts its Redis round trips and reconnections there). */
  readonly counters: Counters;
}

export interface NodeStats {
  connections: number;
  registrations: number;
  subscriptions: number;
}

/**
 * Only what must cross machines. The node's local registry always decides first and always fans
 * out to local sessions; a Dist makes ownership unique across nodes and carries traffic between them.
 */
export interface Dist {
  /** Make `sessionId` of this node the one owner of `channel` in the whole system; false if another holds it. */
  claim(channel: string, sessionId: number): Awaitable<boolean>;
  /** Give up a claim (compare-and-delete: only if this session still holds it). */
  release(channel: string, sessionId: number): Awaitable<void>;
  /** Hand a send to the owner's node, for a channel with no local owner. */
  send(delivery: Delivery): Awaitable<"delivered" | "not_found">;
  /** This node gained its first local subscriber of `channel`; resolves once remote publishes will arrive. */
  subscribe(channel: string): Awaitable<void>;
  /** This node lost its last local subscriber of `channel`. */
  unsubscribe(channel: string): Awaitable<void>;
  /** Carry a publish to the other nodes (local subscribers were already served). */
  publish(delivery: Delivery): Awaitable<void>;
  /** Release everything this node holds and disconnect. */
  close(): Promise<void>;
  /** Whether the node can serve through this Dist now (for /healthz); cheap, no I/O. Absent: always. */
  health?(): DistHealth;
}

/** What /healthz tells of a Dist. */
export interface DistHealth {
  /** Fields of the /healthz body, e.g. `{ dist: "redis", redis: "up" }`. */
  readonly fields: Readonly<Record<string, string>>;
  /** Why the node cannot serve now (e.g. "redis unreachable"); undefined when it can. */
  readonly problem?: string;
}

/** Builds a Dist once the node it serves exists. */
export type DistFactory = (host: DistHost) => Awaitable<Dist>;
