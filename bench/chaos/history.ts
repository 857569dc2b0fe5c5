/**
 * The history of a chaos run: everything the driver saw, in the order it saw it, on one clock (milliseconds
 * of `performance.now()` in the driver since the run started), each event stamped with the driver's
 * event-loop turn it was recorded in (see `Stamp`). The checker reads nothing else.
 *
 * A connection instance (`conn`) is one WebSocket from its open to its close, named `KEY.N`: the client's key
 * (what the server puts in `from`) and the how-manieth connection of that client it is.
 */
export type HistoryEvent =
  | RunEvent
  | NodeStart
  | NodeExit
  | FaultStart
  | FaultEnd
  | Recovery
  | HarnessError
  | ConnectionOpen
  | ConnectFailed
  | ConnectionClosing
  | ConnectionClose
  | CommandSent
  | ReplyReceived
  | DeliveryReceived
  | RegistrationLost;

/**
 * When the driver recorded an event. `at`: the run's clock. `turn`: the driver's event-loop turn: it grows by
 * one for each turn of the loop in which anything was recorded, and events recorded in the same turn share it.
 * When the driver falls behind (GC, load), it reads many sockets in one turn, in an order that says nothing
 * about which data came first; the checker orders events of different connections only by turns far enough
 * apart (checker/history-index.ts). Histories recorded before turns existed have none.
 */
export interface Stamp {
  at: number;
  turn?: number;
}

/** The commands the clients send (JSON `event`). */
export type CommandEvent = "register" | "unregister" | "send" | "subscribe" | "unsubscribe" | "publish";

/** The faults the nemesis injects. */
export type FaultKind = "pause_node" | "kill_node" | "restart_redis" | "kill_redis_master";

/** Who ended a connection: its client on purpose, the driver at the end of the run, or the server/network. */
export type CloseInitiator = "client" | "driver" | "server";

/** Why a node process exited: the nemesis killed it, the driver stopped it, or nobody asked it to. */
export type ExitCause = "nemesis_kill" | "driver_stop" | "none";

export interface RunEvent extends Stamp {
  type: "run";
  /** start: clients begin; clients_stopped: the deadline passed, no new commands; end: everything closed. */
  phase: "start" | "clients_stopped" | "end";
  /** Date.now() at that moment: to line the history up with the nodes' logs (their `time`). */
  epochMs: number;
}

export interface NodeStart extends Stamp {
  type: "node_start";
  node: number;
  /** 1 for the first process on this node's port, +1 for each restart. */
  incarnation: number;
  pid: number;
  port: number;
}

export interface NodeExit extends Stamp {
  type: "node_exit";
  node: number;
  incarnation: number;
  pid: number;
  code: number | null;
  signal: string | null;
  cause: ExitCause;
}

export interface FaultStart extends Stamp {
  type: "fault_start";
  fault: number;
  kind: FaultKind;
  /** What it hit, e.g. `node 2`, `redis 127.0.0.1:6379`. */
  target: string;
  /** The planned pause or downtime, ms. */
  plannedMs: number;
}

export interface FaultEnd extends Stamp {
  type: "fault_end";
  fault: number;
  kind: FaultKind;
  target: string;
}

/** A node's `/healthz` answered 200 `afterMs` after fault `fault` ended; null: it did not within the probe's time. */
export interface Recovery extends Stamp {
  type: "recovery";
  fault: number;
  node: number;
  afterMs: number | null;
}

/** The harness could not do what the run needs (a restart failed, Redis did not heal): the run is not valid. */
export interface HarnessError extends Stamp {
  type: "harness_error";
  message: string;
}

export interface ConnectionOpen extends Stamp {
  type: "open";
  conn: string;
  node: number;
  incarnation: number;
}

export interface ConnectFailed extends Stamp {
  type: "connect_failed";
  client: string;
  node: number;
  reason: string;
}

/** The client or the driver began closing the connection (its close frame is on its way). */
export interface ConnectionClosing extends Stamp {
  type: "closing";
  conn: string;
  initiator: CloseInitiator;
}

export interface ConnectionClose extends Stamp {
  type: "close";
  conn: string;
  code: number;
  initiator: CloseInitiator;
  /** The nemesis killed the node process this connection was on. */
  nodeKilled: boolean;
}

export interface CommandSent extends Stamp {
  type: "command";
  conn: string;
  id: number;
  event: CommandEvent;
  channel: string;
  /** The payload of a send or publish (see payload.ts). */
  data?: string;
  /** A subscribe with recovery: the last publication of the channel the client had seen. */
  offset?: number;
  epoch?: string;
}

export interface ReplyReceived extends Stamp {
  type: "reply";
  conn: string;
  /** The id the reply carried back (undefined if it had none). */
  id: number | undefined;
  event: string;
  channel: string | undefined;
  /** On channels with history: the reply's position (the top, or a publish's offset) and `recovered`. */
  offset?: number;
  epoch?: string;
  recovered?: boolean;
}

export interface DeliveryReceived extends Stamp {
  type: "delivery";
  conn: string;
  channel: string;
  from: string;
  data: unknown;
  /** On channels with history: the publication's place in it. */
  offset?: number;
  epoch?: string;
}

export interface RegistrationLost extends Stamp {
  type: "lost";
  conn: string;
  channel: string;
}

/** Any history event without its stamp: what a component hands the recorder. */
export type Unstamped<E extends HistoryEvent = HistoryEvent> = E extends HistoryEvent
  ? Omit<E, keyof Stamp>
  : never;

/** The key of a connection instance `KEY.N`: what the server writes in `from` for what it sends. */
export function keyOf(conn: string): string {
  const dot = conn.lastIndexOf(".");
  return dot < 0 ? conn : conn.slice(0, dot);
}
