import { type AdapterCalls, historyOf } from "./adapter-calls.js";
import type { HistoryConfig } from "./channel-features.js";
import type { Counters } from "./counters.js";
import type { HistoryPage, Position, Stamped } from "./seam.js";
import type { Session } from "./session.js";

/** Where some subscribers of a history channel stand in it: all of them at the same place. */
interface Cursor {
  readonly sessions: Set<Session>;
  epoch: string;
  /** The offset of the last publication they got (or that they said they had seen). */
  last: number;
  /** Publications held back while a subscribe is not answered yet, or while a gap is being filled. */
  held: Stamped[] | undefined;
  /** The publications a recovering subscriber missed, sent right after the reply to its subscribe. */
  replay: readonly Stamped[] | undefined;
  /**
   * Publications may have been lost on their way to this node since the last one these subscribers got: a new
   * epoch cannot be taken from its first publication then (what the old one had after `last` may be gone).
   */
  suspect: boolean;
}

/**
 * A channel's subscribers on this node: `main` holds every one that is in step (so that a publication costs one
 * check, then a plain loop over them, as on a channel without history); a subscriber that is starting, recovering
 * or filling a gap has a cursor of its own, and joins `main` once it has caught up.
 */
interface Feed {
  readonly channel: string;
  readonly config: HistoryConfig;
  readonly main: Cursor;
  readonly others: Set<Cursor>;
  readonly cursorOf: Map<Session, Cursor>;
}

/** What a subscribe's reply tells of where the subscriber starts. */
export interface Start {
  offset: number;
  epoch: string;
  /** Only when the subscribe asked for recovery. */
  recovered?: boolean;
}

const cursor = (epoch: string, last: number, held: Stamped[] | undefined): Cursor => ({
  sessions: new Set(),
  epoch,
  last,
  held,
  replay: undefined,
  suspect: false,
});

/**
 * The subscribers of history channels on this node: a subscriber gets a publication only if its offset is the next
 * one after the last it got, in the same epoch. Publications a subscribe races with are held until its reply is
 * out, then the missed ones (recovery) go first; a gap is filled from history (one read for all the subscribers
 * it concerns), or, when it cannot be, the subscribers are told to resubscribe (see Session.resync).
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
      feed = { channel, config, main: cursor("", 0, undefined), others: new Set(), cursorOf: new Map() };
      this.feeds.set(channel, feed);
    }
    const own = cursor("", 0, []);
    own.sessions.add(session);
    feed.others.add(own);
    feed.cursorOf.set(session, own);
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
      const position = this.adapters.call((adapter) => historyOf(adapter).position(channel, config));
      const started = ({ epoch, offset }: Position): Start => {
        this.place(feed, session, epoch, offset, undefined);
        return { offset, epoch };
      };
      return position instanceof Promise ? position.then(started) : started(position);
    }
    const query = { after: recovery, limit: config.size };
    const page = this.adapters.call((adapter) => historyOf(adapter).read(channel, query, config));
    const started = ({ epoch, top, entries, complete }: HistoryPage): Start => {
      const recovered = complete && epoch === recovery.epoch && recovery.offset <= top;
      if (recovered) this.place(feed, session, epoch, recovery.offset, entries);
      else this.place(feed, session, epoch, top, undefined);
      return { offset: top, epoch, recovered };
    };
    return page instanceof Promise ? page.then(started) : started(page);
  }

  /** The reply to `session`'s subscribe is out: what it missed, then what was held, in order. */
  release(session: Session, channel: string): void {
    const feed = this.feeds.get(channel);
    const own = feed?.cursorOf.get(session);
    if (feed === undefined || own === undefined || own.held === undefined || own.epoch === "") return;
    const { held, replay } = own;
    own.held = undefined;
    own.replay = undefined;
    for (const delivery of replay ?? []) this.pass(feed, own, delivery);
    for (const delivery of held) this.pass(feed, own, delivery);
    this.merge(feed, own);
  }

  /** `session` no longer subscribes `channel`. */
  drop(session: Session, channel: string): void {
    const feed = this.feeds.get(channel);
    const own = feed?.cursorOf.get(session);
    if (feed === undefined || own === undefined) return;
    own.sessions.delete(session);
    feed.cursorOf.delete(session);
    if (own !== feed.main && own.sessions.size === 0) feed.others.delete(own);
    if (feed.cursorOf.size === 0) this.feeds.delete(channel);
  }

  /** Publications may have been lost on their way here: every subscriber's next epoch change is a gap. */
  discontinuity(): void {
    for (const feed of this.feeds.values()) {
      feed.main.suspect = true;
      for (const other of feed.others) other.suspect = true;
    }
  }

  /** A publication of a history channel, for its subscribers here. */
  deliver(delivery: Stamped): void {
    const feed = this.feeds.get(delivery.channel);
    if (feed === undefined) return;
    this.pass(feed, feed.main, delivery);
    if (feed.others.size === 0) return;
    for (const other of feed.others) {
      this.pass(feed, other, delivery);
      this.merge(feed, other);
    }
  }

  private place(
    feed: Feed,
    session: Session,
    epoch: string,
    last: number,
    replay: readonly Stamped[] | undefined,
  ): void {
    const own = feed.cursorOf.get(session);
    if (own === undefined || own === feed.main) return;
    own.epoch = epoch;
    own.last = last;
    own.replay = replay;
  }

  private pass(feed: Feed, at: Cursor, delivery: Stamped): void {
    if (at.sessions.size === 0 && at === feed.main) {
      at.epoch = "";
      return;
    }
    if (at.held !== undefined) {
      at.held.push(delivery);
      return;
    }
    if (delivery.epoch === at.epoch) {
      if (delivery.offset <= at.last) return;
      if (delivery.offset === at.last + 1) {
        at.last = delivery.offset;
        at.suspect = false;
        this.counters.deliveriesPublish += at.sessions.size;
        for (const session of at.sessions) session.deliver(delivery);
        return;
      }
      this.fill(feed, at, delivery);
      return;
    }
    // A new epoch from its first publication (the old one expired): nothing was in between, unless publications
    // may have been lost on their way here since the last one these subscribers got.
    if (delivery.offset === 1 && at.epoch !== "" && !at.suspect) {
      at.epoch = delivery.epoch;
      at.last = 0;
      this.pass(feed, at, delivery);
      return;
    }
    this.lost(feed, at);
  }

  /** A subscriber of its own that has caught up with `main` (or `main` has no one) moves into `main`. */
  private merge(feed: Feed, own: Cursor): void {
    const { main } = feed;
    if (own.held !== undefined || own.replay !== undefined || own.epoch === "" || main.held !== undefined)
      return;
    if (own.suspect !== main.suspect && main.sessions.size > 0) return;
    if (main.sessions.size === 0) {
      main.epoch = own.epoch;
      main.last = own.last;
      main.suspect = own.suspect;
    } else if (main.epoch !== own.epoch || main.last !== own.last) return;
    for (const session of own.sessions) {
      main.sessions.add(session);
      feed.cursorOf.set(session, main);
    }
    own.sessions.clear();
    feed.others.delete(own);
  }

  /** Publications between `at.last` and `next` did not come: read them from history, holding what comes. */
  private fill(feed: Feed, at: Cursor, next: Stamped): void {
    at.held = [next];
    const query = { after: { epoch: at.epoch, offset: at.last }, limit: feed.config.size };
    const filled = (page: HistoryPage) => {
      if (this.feeds.get(feed.channel) !== feed) return;
      if (!page.complete || page.epoch !== at.epoch) {
        this.lost(feed, at);
        return;
      }
      const held = at.held ?? [];
      at.held = undefined;
      for (const delivery of page.entries) this.pass(feed, at, delivery);
      for (const delivery of held) this.pass(feed, at, delivery);
      if (at !== feed.main) this.merge(feed, at);
    };
    try {
      const page = this.adapters.call((adapter) => historyOf(adapter).read(feed.channel, query, feed.config));
      if (page instanceof Promise) page.then(filled, () => this.lost(feed, at));
      else filled(page);
    } catch {
      this.lost(feed, at);
    }
  }

  /** The subscribers at `at` cannot be promised the channel without a gap any more. */
  private lost(feed: Feed, at: Cursor): void {
    const sessions = [...at.sessions];
    at.held = undefined;
    for (const session of sessions) {
      this.counters.resyncs++;
      this.drop(session, feed.channel);
      session.resync(feed.channel);
    }
  }
}
