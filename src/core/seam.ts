import type { Logger } from "../log.js";
import type { HistoryConfig } from "./channel-features.js";
import type { Totals } from "./counters.js";
import type { Delivery, Members, Notice } from "./message.js";
import type { DirectMessage } from "./node-messages.js";

/** A value now (local, in-process) or later (a round trip to another machine). */
export type Awaitable<T> = T | Promise<T>;

/** The one owner of a point-to-point channel: a session of a node (an incarnation: see OwnerRegistry.nodeId). */
export interface Owner {
  readonly nodeId: string;
  readonly sessionId: number;
}

/**
 * Makes point-to-point ownership unique across nodes. The node's local registry always decides first; this
 * only settles what crosses machines. The one-owner rules (docs: "One owner"): only the owner's own node, or
 * proof that the owner's node is dead (`isAlive` false), may free a record. A timeout proves nothing.
 */
export interface OwnerRegistry {
  /** This node's identity now. It changes when the node outlived its lease and comes back as a new incarnation. */
  readonly nodeId: string;
  /** Makes `sessionId` of this node the one owner of `channel`; false if a live owner holds it. */
  claim(channel: string, sessionId: number): Awaitable<boolean>;
  /** Frees `channel` if its record still names `owner` (compare-and-delete). */
  release(channel: string, owner: Owner): Awaitable<void>;
  /** Whom the system's record names as the owner of `channel`, if anyone. */
  ownerOf(channel: string): Awaitable<Owner | undefined>;
  /** False only with proof that the node is dead (its heartbeat record is gone). */
  isAlive(nodeId: string): Awaitable<boolean>;
  /**
   * Whether this node may deliver to its owners at this moment: it holds its lease (no other node can have taken
   * its channels over) and has re-validated its registrations since it last lost it. Checked at each delivery.
   */
  mayDeliver(): boolean;
}

/**
 * Carries traffic between nodes: publishes to the nodes that subscribe a channel, and messages to one node.
 * Local subscribers are always served by the node itself, never through here.
 */
export interface Backplane {
  /** This node gained its first local subscriber of `channel`; resolves once other nodes' publishes will arrive. */
  subscribe(channel: string): Awaitable<void>;
  /** This node lost its last local subscriber of `channel`. */
  unsubscribe(channel: string): Awaitable<void>;
  /**
   * Carries a publish to the other nodes that subscribe its channel; settles once carried (its value means
   * nothing). Publishes carried together may share one promise.
   */
  publish(delivery: Delivery): Awaitable<unknown>;
  /** Sends `message` to one node; resolves to false when it is known that no one received it (a hint, not a proof). */
  direct(nodeId: string, message: DirectMessage): Awaitable<boolean>;
}

/** Where a channel's history stands: the identity of its stream and an offset in it. */
export interface Position {
  readonly epoch: string;
  readonly offset: number;
}

/** A publication kept in history: a delivery with its `offset` and `epoch`. */
export type Stamped = Delivery & Position;

/** What `History.read` is asked: the last `limit` publications, or the first `limit` after `after`. */
export interface HistoryQuery {
  readonly limit: number;
  readonly after?: Position | undefined;
}

/** What `History.read` answers. */
export interface HistoryPage {
  /** The channel's epoch and its top (the offset of its last publication, 0 for none). */
  readonly epoch: string;
  readonly top: number;
  /** Oldest first. Empty when `after` names another epoch or an offset past the top. */
  readonly entries: readonly Stamped[];
  /** Whether `entries` reach back to what was asked: false when it was trimmed or expired, or `after` is not valid. */
  readonly complete: boolean;
}

/**
 * The history of channels that have it (see ChannelFeatures): offsets are assigned with the publish, in the order
 * publishes take effect, and a channel's epoch changes whenever its history may have lost anything.
 */
export interface History {
  /**
   * Appends `delivery` to its channel's history with the next offset and carries it to every node that subscribes
   * the channel, this one included: the node delivers it when it comes back through `NodeEvents.publication`,
   * never before.
   */
  publish(delivery: Delivery, config: HistoryConfig): Awaitable<Position>;
  /** The channel's epoch and top; makes a new epoch (top 0) when it has none. */
  position(channel: string, config: HistoryConfig): Awaitable<Position>;
  read(channel: string, query: HistoryQuery, config: HistoryConfig): Awaitable<HistoryPage>;
}

/** One subscription of a session of a node: an entry of a channel's presence. */
export interface PresenceEntry {
  readonly sessionId: number;
  readonly key: string;
}

/**
 * Who is subscribed to the channels that have presence or join/leave notices (see ChannelFeatures), over the whole
 * system. An entry is added and removed once whoever asks, and only the call that actually added or removed it
 * sends its notice (`notify`): each `join` and `leave` goes out at most once. The notices reach every node's
 * subscribers through `NodeEvents.notice`, this node's included.
 */
export interface Presence {
  join(channel: string, entry: PresenceEntry, notify: boolean): Awaitable<void>;
  leave(channel: string, entry: PresenceEntry, notify: boolean): Awaitable<void>;
  members(channel: string): Awaitable<Members>;
}

/** What an adapter hands the node it serves: where channels are owned, and how traffic crosses nodes. */
export interface Adapter {
  readonly registry: OwnerRegistry;
  readonly backplane: Backplane;
  /** Channel history; an adapter without it serves no channel with history (the node refuses to start). */
  readonly history?: History;
  /** Presence; an adapter without it serves no channel with presence or join/leave (the node refuses to start). */
  readonly presence?: Presence;
  /**
   * The live nodes of the system (this one included), from the node registry, never by scanning keys: whom the
   * HTTP API's `disconnect` asks, and what its `info` shows. Without it, the system is this node alone.
   */
  nodes?(): Awaitable<readonly SystemNode[]>;
  /** Whether the node can serve through this adapter now (for /healthz); cheap, no I/O. */
  health(): AdapterHealth;
  /** Releases everything this node holds and disconnects. */
  close(): Promise<void>;
}

/** A live node, as its heartbeat record tells (its figures as of its last heartbeat). */
export interface SystemNode extends NodeStats {
  readonly nodeId: string;
  readonly url: string | undefined;
  /** When it started, in milliseconds since the epoch. */
  readonly startedAt: number;
  /** When its figures were read (its last heartbeat), epoch ms; undefined when unknown. */
  readonly beatAt?: number;
}

/** What /healthz tells of an adapter. */
export interface AdapterHealth {
  /** Fields of the /healthz body, e.g. `{ dist: "redis", redis: "up" }`. */
  readonly fields: Readonly<Record<string, string>>;
  /** Why the node cannot serve now (e.g. "redis unreachable"); undefined when it can. */
  readonly problem?: string;
}

/** What arrives from other nodes, and the little an adapter may ask of the node: never the node itself. */
export interface NodeEvents {
  /** A publish from another node, for the local subscribers of its channel; on a history channel, any publish. */
  publication(delivery: Delivery): void;
  /**
   * A join or leave of `channel` for its subscribers on this node, except the session it is about when that
   * session is on this node (`nodeId` is this node's).
   */
  notice(notice: Notice, about: { nodeId: string; sessionId: number }): void;
  /**
   * Publications of channels with history may have been lost on their way to this node (a connection to Redis was
   * lost): until each subscriber gets a publication that follows its last one, an epoch change is a gap.
   */
  discontinuity(): void;
  /** A request or an answer from node `origin`. */
  direct(origin: string, message: DirectMessage): void;
  /** A session of this node no longer owns `channel` (another node holds it now). */
  registrationLost(channel: string, sessionId: number): void;
  /** The channels this node's sessions own (confirmed claims only), to renew or validate. */
  registrations(): Iterable<[channel: string, sessionId: number]>;
  /** Figures for the node's record. */
  stats(): NodeStats;
}

export interface NodeStats {
  connections: number;
  registrations: number;
  subscriptions: number;
  /** Open connections by kind (a WebSocket protocol, or `native`), for the admin dashboard. */
  byKind?: Record<string, number>;
  /** The node's running totals, from which the admin dashboard computes rates. */
  totals?: Totals;
}

/** How an adapter's own figures (round trips, reconnections) reach the metrics, when metrics are on. */
export interface AdapterHooks {
  /** The duration, in seconds, of one round trip to the adapter's backend. */
  roundTrip?(seconds: number): void;
  /** A connection to the backend came back after it was lost. */
  reconnected?(): void;
}

export interface AdapterContext {
  events: NodeEvents;
  hooks: AdapterHooks;
  logger: Logger;
  /** The node's base URL, when it listens (for its record). */
  url: string | undefined;
}

/** Builds an adapter for a node that is about to take commands. */
export type AdapterFactory = (context: AdapterContext) => Awaitable<Adapter>;
