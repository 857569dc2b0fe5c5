import { ChaosConnection, type Position } from "./connection.js";
import type { Deadline } from "./deadline.js";
import type { Random, Range } from "./random.js";
import type { Recorder } from "./recorder.js";

/** What a client does next, when it has a connection. */
export type ClientAction =
  | "register"
  | "unregister"
  | "send"
  | "subscribe"
  | "unsubscribe"
  | "publish"
  | "close";

export interface ClientSettings {
  /** Pause between two actions of a connection. */
  actionIntervalMs: Range;
  /** A connection with this many commands unanswered sends no more until replies come. */
  maxInFlight: number;
  /** Relative chance of each action (`close`: the client closes its connection with 1000 and reconnects). */
  weights: Readonly<Record<ClientAction, number>>;
  /** After a close, the wait before reconnecting; doubled after each failed attempt, up to `max` x 4. */
  reconnectDelayMs: Range;
  /** Chance that a reconnect goes to the client's home node rather than a random node. */
  homeNodeChance: number;
  /** An upgrade that takes longer (a paused node) fails, and the client tries elsewhere. */
  handshakeTimeoutMs: number;
}

export const CLIENT_DEFAULTS: ClientSettings = {
  actionIntervalMs: { min: 50, max: 350 },
  maxInFlight: 8,
  weights: { send: 45, register: 12, unregister: 5, publish: 8, subscribe: 4, unsubscribe: 4, close: 0.3 },
  reconnectDelayMs: { min: 100, max: 500 },
  homeNodeChance: 0.6,
  handshakeTimeoutMs: 2000,
};

/** The nodes as a client sees them. */
export interface ClientNodes {
  readonly count: number;
  wsUrl(node: number): string;
  incarnation(node: number): number;
  wasKilled(node: number, incarnation: number): boolean;
}

/** The shared channel names clients contend for. */
export interface ChannelPools {
  pointToPoint: readonly string[];
  pubSub: readonly string[];
}

/**
 * One client of the run (one key): keeps one connection at a time, acts on it at random from the shared
 * channel pools (so clients on different nodes contend for the same channels), and reconnects, after a
 * short delay and possibly to another node, whenever its socket closes. Never waits on a reply.
 */
export class ChaosClient {
  private connection: ChaosConnection | undefined;
  private connections = 0;
  /** Where this client is in each channel with history (its last publication), across its connections. */
  private readonly positions = new Map<string, Position>();

  constructor(
    readonly key: string,
    private readonly home: number,
    private readonly random: Random,
    private readonly nodes: ClientNodes,
    private readonly pools: ChannelPools,
    private readonly recorder: Recorder,
    private readonly settings: ClientSettings,
  ) {}

  /** Acts until `deadline`; then the current connection (if any) stays open for `drain` and `close`. */
  async run(deadline: Deadline): Promise<void> {
    let node = this.home;
    let failures = 0;
    while (!deadline.passed) {
      const connection = await this.connect(node);
      if (connection === undefined) {
        failures++;
        node = this.random.int(this.nodes.count);
        await deadline.sleep(this.reconnectDelay(failures), true);
        continue;
      }
      failures = 0;
      this.connection = connection;
      while (connection.isOpen && !deadline.passed) {
        if (connection.inFlight < this.settings.maxInFlight) this.act(connection);
        await deadline.sleep(this.draw(this.settings.actionIntervalMs), true);
      }
      if (connection.isOpen) return;
      node = this.random.chance(this.settings.homeNodeChance) ? this.home : this.random.int(this.nodes.count);
      await deadline.sleep(this.reconnectDelay(0), true);
    }
  }

  /** Commands of the open connection still waiting for their reply. */
  get inFlight(): number {
    return this.connection?.isOpen === true ? this.connection.inFlight : 0;
  }

  /** Closes the connection (recorded as the driver's close); resolves once closed or after `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    const connection = this.connection;
    if (connection === undefined || !connection.isOpen) return;
    connection.close("driver");
    const timer = setTimeout(() => connection.terminate("driver"), timeoutMs);
    await connection.closed;
    clearTimeout(timer);
  }

  private async connect(node: number): Promise<ChaosConnection | undefined> {
    const conn = `${this.key}.${++this.connections}`;
    const incarnation = this.nodes.incarnation(node);
    const target = {
      url: this.nodes.wsUrl(node),
      node,
      incarnation,
      nodeKilled: () => this.nodes.wasKilled(node, incarnation),
    };
    try {
      return await ChaosConnection.connect(
        target,
        conn,
        this.key,
        this.recorder,
        this.settings.handshakeTimeoutMs,
        this.positions,
      );
    } catch (error) {
      this.recorder.record({
        type: "connect_failed",
        client: this.key,
        node,
        reason: (error as Error).message,
      });
      return undefined;
    }
  }

  private act(connection: ChaosConnection): void {
    const { pointToPoint, pubSub } = this.pools;
    const action = this.random.weighted(this.settings.weights);
    const owned = [...connection.owned];
    const subscribed = [...connection.subscribed];
    switch (action) {
      case "register": {
        const free = pointToPoint.filter((channel) => !connection.owned.has(channel));
        if (free.length > 0) connection.command("register", this.random.pick(free));
        return;
      }
      case "unregister":
        if (owned.length > 0) connection.command("unregister", this.random.pick(owned));
        return;
      case "send":
        connection.command("send", this.random.pick(pointToPoint), connection.payload("send"));
        return;
      case "subscribe": {
        const other = pubSub.filter((channel) => !connection.subscribed.has(channel));
        if (other.length > 0) connection.command("subscribe", this.random.pick(other));
        return;
      }
      case "unsubscribe":
        if (subscribed.length > 0) connection.command("unsubscribe", this.random.pick(subscribed));
        return;
      case "publish":
        connection.command("publish", this.random.pick(pubSub), connection.payload("pub"));
        return;
      case "close":
        connection.close("client");
        return;
    }
  }

  private reconnectDelay(failures: number): number {
    const { min, max } = this.settings.reconnectDelayMs;
    return Math.min(max * 4, this.random.between(min, max) * 2 ** Math.min(failures, 4));
  }

  private draw(range: Range): number {
    return this.random.between(range.min, range.max);
  }
}
