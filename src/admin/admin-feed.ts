import type { ServerResponse } from "node:http";
import type { Totals } from "../core/counters.js";
import type { SystemNode } from "../core/seam.js";
import type { Logger } from "../log.js";
import { NO_RATES, type Rates, ratesBetween, sumRates } from "./rates.js";

/** One node as the dashboard shows it. */
export interface NodeView {
  nodeId: string;
  url?: string;
  uptimeMs: number;
  /** How old its figures are: since its last heartbeat (0 for the node serving the dashboard). */
  ageMs: number;
  /** Its heartbeats are late (it may be paused, cut off or dead): its record has not been renewed for a while. */
  late: boolean;
  connections: number;
  byKind: Record<string, number>;
  registrations: number;
  subscriptions: number;
  rates: Rates;
}

/** What every viewer gets each second: one JSON text, made once whatever the number of viewers. */
export interface Snapshot {
  at: number;
  /** The node serving the dashboard. */
  self: string;
  nodes: NodeView[];
  system: { connections: number; registrations: number; subscriptions: number; rates: Rates };
}

/** Seconds of system rates a viewer gets when it opens the stream: the charts' 5 minutes. */
export const HISTORY_POINTS = 300;

/**
 * The dashboard's live stream (Server-Sent Events): while anyone watches, once a second, the live nodes and their
 * figures from the node registry, rates from successive totals, sent to every viewer as the same text. Its cost
 * is one read of the registry per second, whatever the number of viewers; with none, it stops.
 */
export class AdminFeed {
  private readonly viewers = new Set<ServerResponse>();
  private readonly totals = new Map<string, Totals>();
  private readonly rates = new Map<string, Rates>();
  private readonly history: { at: number; rates: Rates }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private last: string | undefined;

  /**
   * `lateAfterMs`: figures older than this mark a node late; past its heartbeat interval and the feed's own, short
   * of the time after which its record expires and it leaves the list.
   */
  constructor(
    private readonly source: { self(): string; nodes(): Promise<SystemNode[]> },
    private readonly logger: Logger,
    private readonly lateAfterMs: number,
    private readonly intervalMs = 1000,
  ) {}

  /** Streams to `response` until it closes: the history first, then a snapshot each interval. */
  watch(response: ServerResponse): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    });
    response.write(`event: history\ndata: ${JSON.stringify(this.history)}\n\n`);
    if (this.last !== undefined) response.write(this.last);
    this.viewers.add(response);
    response.once("close", () => {
      this.viewers.delete(response);
      if (this.viewers.size === 0) this.pause();
    });
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      void this.tick();
    }
  }

  /** Ends every stream. */
  close(): void {
    for (const viewer of this.viewers) viewer.end();
    this.viewers.clear();
    this.pause();
  }

  private pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const snapshot = this.snapshot(await this.source.nodes(), Date.now());
      this.history.push({ at: snapshot.at, rates: snapshot.system.rates });
      if (this.history.length > HISTORY_POINTS) this.history.shift();
      this.last = `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
      for (const viewer of this.viewers) viewer.write(this.last);
    } catch (error) {
      this.logger.warn({ err: error }, "admin dashboard: the nodes could not be read");
    } finally {
      this.ticking = false;
    }
  }

  /** The snapshot of `nodes` at `now`; each node's rates move only when its totals do (at its heartbeat). */
  snapshot(nodes: readonly SystemNode[], now: number): Snapshot {
    const views = nodes.map((node): NodeView => {
      const ageMs = node.beatAt === undefined ? 0 : Math.max(0, now - node.beatAt);
      const view: NodeView = {
        nodeId: node.nodeId,
        uptimeMs: Math.max(0, now - node.startedAt),
        ageMs,
        late: ageMs > this.lateAfterMs,
        connections: node.connections,
        byKind: node.byKind ?? {},
        registrations: node.registrations,
        subscriptions: node.subscriptions,
        rates: this.ratesOf(node),
      };
      if (node.url !== undefined) view.url = node.url;
      return view;
    });
    for (const nodeId of this.totals.keys())
      if (!nodes.some((node) => node.nodeId === nodeId)) {
        this.totals.delete(nodeId);
        this.rates.delete(nodeId);
      }
    views.sort((a, b) => (a.url ?? a.nodeId).localeCompare(b.url ?? b.nodeId));
    const sum = (pick: (view: NodeView) => number) => views.reduce((total, view) => total + pick(view), 0);
    return {
      at: now,
      self: this.source.self(),
      nodes: views,
      system: {
        connections: sum((view) => view.connections),
        registrations: sum((view) => view.registrations),
        subscriptions: sum((view) => view.subscriptions),
        rates: sumRates(views.map((view) => view.rates)),
      },
    };
  }

  private ratesOf(node: SystemNode): Rates {
    const { totals } = node;
    if (totals === undefined) return NO_RATES;
    const before = this.totals.get(node.nodeId);
    if (before === undefined || totals.at > before.at) {
      this.totals.set(node.nodeId, totals);
      if (before !== undefined) this.rates.set(node.nodeId, ratesBetween(before, totals));
    }
    return this.rates.get(node.nodeId) ?? NO_RATES;
  }
}
