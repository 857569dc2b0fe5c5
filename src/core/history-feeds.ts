import type { AdapterCalls } from "./adapter-calls.js";
import type { HistoryConfig } from "./channel-features.js";
import type { Counters } from "./counters.js";
import type { Position, Stamped } from "./seam.js";
import type { Session } from "./session.js";

/** Where one subscriber of a history channel stands in it. */
interface Cursor {
  epoch: string;
  /** The offset of the last publication it got (or that it said it had seen). */
  last: number;
  /** Publications held back while its subscribe is not answered yet, or while a gap is being filled. */
  held: Stamped[] | undefined;
  /** The publications it missed, sent right after the reply to its subscribe. */
  replay: readonly Stamped[] | undefined;
}

interface Feed {
  readonly config: HistoryConfig;
  readonly cursors: Map<Session, Cursor>;
}

/** What a subscribe's reply tells of where the subscriber starts. */
export interface Start {
  offset: number;
  epoch: string;
  /** Only when the subscribe asked for recovery. */
  recovered?: boolean;
}

/**
 * The subscribers of history channels on this node, each with a cursor: a subscriber gets a publication only if its
 * offset is the next one after the last it got, in the same epoch. Publications a subscribe races with are held
 * until its reply is out, then the missed ones (recovery) go first; a gap is filled from history, or, when it
 * cannot be, the subscriber is told to resubscribe (see Session.resync).
 */
export class HistoryFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly adapters: AdapterCalls,
    private readonly counters: Counters,
  ) {}

  /** Holds `channel`'s publications for `session` from now on, until `release`. */
  hold(session: Session, channel: string, config: HistoryConfig): void {
    let feed = this.feeds.get(channel);
    if (feed === undefined) {
      feed = { config, cursors: new Map() };
      this.feeds.set(channel, feed);
    }
    feed.cursors.set(session, { epoch: "", last: 0, held: [], replay: undefined });
  }

  /**
   * Where `session` starts, once its subscription is in effect: the channel's top, or, with `recovery`, the
   * offset it has seen, with what it missed to replay if every one of them is still in the history.
   */
  start(session: Session, channel: string, recovery: Position | undefined): Start | Promise<Start> {
    const feed = this.feeds.get(channel);
    if (feed === undefined) throw new Error(`no history feed for ${channel}`);
    const { config } = feed;
    if (recovery === undefined) {
      const position = this.adapters.call(({ history }) => historyOf(history).position(channel, config));
      const started = ({ epoch, offset }: Position): Start => {
        this.place(session, channel, epoch, offset, undefined);
        return { offset, epoch };
      };
      return position instanceof Promise ? position.then(started) : started(position);
    }
    const query = { after: recovery, limit: config.size };
    const page = this.adapters.call(({ history }) => historyOf(history).read(channel, query, config));
    const started = ({ epoch, top, entries, complete }: Awaited<typeof page>): Start => {
      const recovered = complete && epoch === recovery.epoch && recovery.offset <= top;
      if (recovered) this.place(session, channel, epoch, recovery.offset, entries);
      else this.place(session, channel, epoch, top, undefined);
      return { offset: top, epoch, recovered };
    };
    return page instanceof Promise ? page.then(started) : started(page);
  }

  /** The reply to `session`'s subscribe is out: what it missed, then what was held, in order. */
  release(session: Session, channel: string): void {
    const cursor = this.feeds.get(channel)?.cursors.get(session);
    if (cursor?.held === undefined || cursor.epoch === "") return;
    const { held, replay } = cursor;
    cursor.held = undefined;
    cursor.replay = undefined;
    for (const delivery of replay ?? []) this.pass(session, channel, cursor, delivery);
    for (const delivery of held) this.pass(session, channel, cursor, delivery);
  }

  /** `session` no longer subscribes `channel`. */
  drop(session: Session, channel: string): void {
    const feed = this.feeds.get(channel);
    if (feed === undefined) return;
    feed.cursors.delete(session);
    if (feed.cursors.size === 0) this.feeds.delete(channel);
  }

  /** A publication of a history channel, for its subscribers here. */
  deliver(delivery: Stamped): void {
    const feed = this.feeds.get(delivery.channel);
    if (feed === undefined) return;
    for (const [session, cursor] of feed.cursors) this.pass(session, delivery.channel, cursor, delivery);
  }

  private place(
    session: Session,
    channel: string,
    epoch: string,
    last: number,
    replay: readonly Stamped[] | undefined,
  ): void {
    const cursor = this.feeds.get(channel)?.cursors.get(session);
    if (cursor === undefined) return;
    cursor.epoch = epoch;
    cursor.last = last;
    cursor.replay = replay;
  }

  private pass(session: Session, channel: string, cursor: Cursor, delivery: Stamped): void {
    if (cursor.held !== undefined) {
      cursor.held.push(delivery);
      return;
    }
    if (delivery.epoch === cursor.epoch) {
      if (delivery.offset <= cursor.last) return;
      if (delivery.offset === cursor.last + 1) {
        cursor.last = delivery.offset;
        this.counters.deliveriesPublish++;
        session.deliver(delivery);
        return;
      }
      this.fill(session, channel, cursor, delivery);
      return;
    }
    // A new epoch from its first publication: the adapter carried every publication of the old one to this node
    // (an adapter that may have lost some reports it with a gap, never like this).
    if (delivery.offset === 1) {
      cursor.epoch = delivery.epoch;
      cursor.last = 0;
      this.pass(session, channel, cursor, delivery);
      return;
    }
    this.lost(session, channel);
  }

  /** Publications between `cursor.last` and `next` did not come: read them from history, holding what comes. */
  private fill(session: Session, channel: string, cursor: Cursor, next: Stamped): void {
    const feed = this.feeds.get(channel);
    if (feed === undefined) return;
    cursor.held = [next];
    const query = { after: { epoch: cursor.epoch, offset: cursor.last }, limit: feed.config.size };
    const filled = (page: { epoch: string; entries: readonly Stamped[]; complete: boolean }) => {
      if (feed.cursors.get(session) !== cursor) return;
      if (!page.complete || page.epoch !== cursor.epoch) {
        this.lost(session, channel);
        return;
      }
      const held = cursor.held ?? [];
      cursor.held = undefined;
      for (const delivery of page.entries) this.pass(session, channel, cursor, delivery);
      for (const delivery of held) this.pass(session, channel, cursor, delivery);
    };
    try {
      const page = this.adapters.call(({ history }) => historyOf(history).read(channel, query, feed.config));
      if (page instanceof Promise) page.then(filled, () => this.lost(session, channel));
      else filled(page);
    } catch {
      this.lost(session, channel);
    }
  }

  /** `session` cannot be promised `channel` without a gap any more. */
  private lost(session: Session, channel: string): void {
    this.counters.resyncs++;
    this.drop(session, channel);
    session.resync(channel);
  }
}

function historyOf<T>(history: T | undefined): T {
  if (history === undefined) throw new Error("the adapter keeps no history");
  return history;
}
