import { randomBytes } from "node:crypto";
import type { HistoryConfig } from "../../core/channel-features.js";
import type { Delivery } from "../../core/message.js";
import type { History, HistoryPage, HistoryQuery, Position, Stamped } from "../../core/seam.js";
import { stamp } from "../../core/stamp.js";

/** How often channels whose history expired are forgotten (reads and publishes also drop an expired one). */
const SWEEP_MS = 30_000;

/** One channel's history: its newest `size` publications at most, oldest first. */
class Stream {
  top = 0;
  expiresAt: number;
  private entries: Stamped[] = [];
  private first = 0;

  constructor(
    readonly epoch: string,
    now: number,
    config: HistoryConfig,
  ) {
    this.expiresAt = now + config.ttlSeconds * 1000;
  }

  append(delivery: Delivery, now: number, config: HistoryConfig): Stamped {
    const stamped = stamp(delivery, ++this.top, this.epoch);
    this.entries.push(stamped);
    if (this.entries.length - this.first > config.size) this.first++;
    if (this.first > config.size) {
      this.entries = this.entries.slice(this.first);
      this.first = 0;
    }
    this.expiresAt = now + config.ttlSeconds * 1000;
    return stamped;
  }

  /** Entries with offsets in (from, to], as far as they are kept. */
  range(from: number, to: number): Stamped[] {
    const oldest = this.top - (this.entries.length - this.first) + 1;
    const start = this.first + Math.max(0, from + 1 - oldest);
    const end = this.first + Math.max(0, to + 1 - oldest);
    return this.entries.slice(start, end);
  }
}

/**
 * History in this process's memory (local mode). Epochs are made at this node's start, so a restart, which loses
 * the history, changes every channel's epoch; so does an expiry (`ttlSeconds` after the last publish).
 */
export class LocalHistory implements History {
  private readonly streams = new Map<string, Stream>();
  private readonly incarnation = randomBytes(6).toString("base64url");
  private made = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    /** Delivers a publication on this node (NodeEvents.publication). */
    private readonly deliver: (delivery: Stamped) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  publish(delivery: Delivery, config: HistoryConfig): Position {
    const now = this.now();
    const stamped = this.stream(delivery.channel, now, config).append(delivery, now, config);
    this.deliver(stamped);
    return stamped;
  }

  position(channel: string, config: HistoryConfig): Position {
    const stream = this.stream(channel, this.now(), config);
    return { epoch: stream.epoch, offset: stream.top };
  }

  read(channel: string, { limit, after }: HistoryQuery, config: HistoryConfig): HistoryPage {
    const stream = this.stream(channel, this.now(), config);
    const { epoch, top } = stream;
    if (after === undefined) {
      const from = Math.max(0, top - limit);
      const entries = stream.range(from, top);
      return { epoch, top, entries, complete: entries.length === top - from };
    }
    if (after.epoch !== epoch || after.offset > top) return { epoch, top, entries: [], complete: false };
    const to = Math.min(top, after.offset + limit);
    const entries = stream.range(after.offset, to);
    return { epoch, top, entries, complete: entries.length === to - after.offset };
  }

  close(): void {
    clearInterval(this.sweeper);
    this.streams.clear();
  }

  /** The channel's stream, a new one (new epoch, top 0) when it has none or it expired. */
  private stream(channel: string, now: number, config: HistoryConfig): Stream {
    let stream = this.streams.get(channel);
    if (stream === undefined || stream.expiresAt <= now) {
      stream = new Stream(`${this.incarnation}.${++this.made}`, now, config);
      this.streams.set(channel, stream);
    }
    return stream;
  }

  private sweep(): void {
    const now = this.now();
    for (const [channel, stream] of this.streams) if (stream.expiresAt <= now) this.streams.delete(channel);
  }
}
