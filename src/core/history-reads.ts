import { type AdapterCalls, historyOf } from "./adapter-calls.js";
import type { ChannelFeatures } from "./channel-features.js";
import { type Command, type Data, type HistoryItem, type Reply, reply } from "./message.js";
import type { Awaitable, HistoryPage, Position } from "./seam.js";

/** Room left in a frame for the reply's own fields (event, channel, id, epoch, ...), in bytes. */
const REPLY_OVERHEAD_BYTES = 1024;

/**
 * The `history` command: the last `limit` publications of a channel, or the first `limit` after an offset of its
 * epoch; at most the channel's history size, and cut to fit a frame (then `complete: false`).
 */
export class HistoryReads {
  constructor(
    private readonly adapters: AdapterCalls,
    private readonly features: ChannelFeatures,
    /** The largest frame a client is sent: a reply is cut to fit it. */
    private readonly maxFrameBytes: number,
  ) {}

  read(channel: string, command: Command): Awaitable<Reply> {
    const { id, limit, offset, epoch } = command;
    const { history } = this.features.of(channel);
    if (history === undefined) return reply("history_failed", channel, id, "channel has no history");
    const after: Position | undefined =
      offset !== undefined && epoch !== undefined ? { offset, epoch } : undefined;
    const query = { limit: Math.min(limit ?? history.size, history.size), after };
    const page = this.adapters.call((adapter) => historyOf(adapter).read(channel, query, history));
    const answer = (read: HistoryPage) => this.answer(read, channel, id, after);
    return page instanceof Promise ? page.then(answer) : answer(page);
  }

  private answer(page: HistoryPage, channel: string, id: Command["id"], after: Position | undefined): Reply {
    if (after !== undefined && after.epoch !== page.epoch)
      return reply("history_failed", channel, id, "epoch is not the channel's current one");
    if (after !== undefined && after.offset > page.top)
      return reply("history_failed", channel, id, "offset is past the channel's top");
    const items: HistoryItem[] = page.entries.map(({ from, offset, data }) => ({ from, offset, data }));
    // Paging forward keeps the oldest (the next page starts after the last one received); "the last N" the newest.
    const kept = fit(items, this.maxFrameBytes - REPLY_OVERHEAD_BYTES, after === undefined);
    const answer = reply("history_succeeded", channel, id);
    answer.offset = page.top;
    answer.epoch = page.epoch;
    answer.complete = page.complete && kept.length === items.length;
    answer.data = kept;
    return answer;
  }
}

/** As many of `items` as fit in `budget` bytes of JSON, from the newest end when `newest`, else the oldest. */
function fit(items: HistoryItem[], budget: number, newest: boolean): HistoryItem[] {
  let used = 2;
  const order = newest ? [...items.keys()].reverse() : [...items.keys()];
  let count = 0;
  for (const i of order) {
    const item = items[i] as HistoryItem;
    used += jsonBytes(item.data) + Buffer.byteLength(JSON.stringify(item.from)) + 64;
    if (used > budget) break;
    count++;
  }
  if (count === items.length) return items;
  return newest ? items.slice(items.length - count) : items.slice(0, count);
}

/** An upper bound of `data`'s size in a JSON frame: bytes are counted as base64, the longer of their two forms. */
function jsonBytes(data: Data): number {
  if (data instanceof Uint8Array) return Math.ceil(data.length / 3) * 4 + 24;
  return Buffer.byteLength(JSON.stringify(data));
}
