import type { Logger } from "../../log.js";
import type { DistHost } from "../dist.js";
import type { RedisNames } from "./keys.js";
import type { RedisLink } from "./link.js";

export interface HeartbeatRecord {
  nodeId: string;
  url: string | undefined;
  startedAt: number;
  beatAt: number;
  connections: number;
  registrations: number;
  subscriptions: number;
}

/**
 * Keeps the node's record alive in Redis (it expires `ttlMs` after the last renewal). A node that could not
 * renew for `ttlMs / 2` fences itself, since other nodes may soon take its channels over. A renewal that
 * finds the record gone (Redis lost its data, or the node was fenced long enough for it to expire) calls
 * `onRecordLost`, so the node claims its channels again.
 */
export class Heartbeat {
  private readonly startedAt = Date.now();
  private beatTimer: NodeJS.Timeout | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  private fenced = false;
  private stopped = false;

  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly nodeId: string,
    private readonly ttlMs: number,
    private readonly host: DistHost,
    private readonly logger: Logger,
    private readonly onRecordLost: () => void,
  ) {}

  /** The first renewal must succeed: a node that cannot reach Redis does not start. */
  async start(): Promise<void> {
    await this.renew();
    this.beatTimer = setInterval(() => void this.beat(), Math.max(1, Math.floor(this.ttlMs / 4)));
    this.beatTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.beatTimer);
    clearTimeout(this.fenceTimer);
    await this.link.command(this.names.node(this.nodeId), ["DEL", this.names.node(this.nodeId)]);
  }

  private async beat(): Promise<void> {
    try {
      const previous = await this.renew();
      if (this.stopped) return;
      if (this.fenced) {
        this.fenced = false;
        this.host.setFenced(false);
        this.onRecordLost();
      } else if (previous === null) {
        this.logger.warn("heartbeat record was gone from Redis: claiming registrations again");
        this.onRecordLost();
      }
    } catch (error) {
      this.logger.warn({ err: error }, "heartbeat renewal failed");
    }
  }

  /** Writes the record and re-arms the fence; resolves to the record it replaced (null if there was none). */
  private async renew(): Promise<unknown> {
    const record: HeartbeatRecord = {
      nodeId: this.nodeId,
      url: this.host.url,
      startedAt: this.startedAt,
      beatAt: Date.now(),
      ...this.host.stats(),
    };
    const key = this.names.node(this.nodeId);
    const previous = await this.link.command(key, [
      "SET",
      key,
      JSON.stringify(record),
      "PX",
      String(this.ttlMs),
      "GET",
    ]);
    clearTimeout(this.fenceTimer);
    this.fenceTimer = setTimeout(
      () => {
        if (this.stopped || this.fenced) return;
        this.fenced = true;
        this.host.setFenced(true);
      },
      Math.floor(this.ttlMs / 2),
    );
    this.fenceTimer.unref();
    return previous;
  }
}
