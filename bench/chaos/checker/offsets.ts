import type { ReplyReceived } from "../history.js";
import { seconds } from "./describe.js";
import type { HistoryIndex } from "./history-index.js";
import type { Violation } from "./verdict.js";

interface Subscription {
  epoch: string;
  /** The offset the next delivery must carry. */
  next: number;
}

/**
 * Channels with history: from its `subscription_succeeded` until it unsubscribes or closes, a connection gets the
 * channel's publications with consecutive offsets of one epoch, from the offset after the one it recovered from
 * (`recovered: true`) or after the reply's top; no gap, no duplicate (`history-gap`). It may follow the channel
 * into a new epoch from that epoch's offset 1, and only if no publish of the old epoch after its last one was
 * acknowledged: one was, so it was made and missed.
 */
export function checkOffsets(index: HistoryIndex): Violation[] {
  const violations: Violation[] = [];
  const acked = newestAcknowledged(index);
  const subscriptions = new Map<string, Subscription>();
  index.history.forEach((event, i) => {
    if (event.type === "close") {
      for (const key of [...subscriptions.keys()])
        if (key.startsWith(`${event.conn} `)) subscriptions.delete(key);
      return;
    }
    if (event.type === "command" && event.event === "unsubscribe") {
      subscriptions.delete(`${event.conn} ${event.channel}`);
      return;
    }
    if (event.type === "reply") {
      const command = index.answered.get(i)?.command;
      if (command?.event !== "subscribe" || event.event !== "subscription_succeeded") return;
      if (event.epoch === undefined || event.offset === undefined) return;
      const recovered = event.recovered === true && command.offset !== undefined;
      subscriptions.set(`${event.conn} ${command.channel}`, {
        epoch: event.epoch,
        next: (recovered ? (command.offset as number) : event.offset) + 1,
      });
      return;
    }
    if (event.type !== "delivery" || event.offset === undefined || event.epoch === undefined) return;
    const at = subscriptions.get(`${event.conn} ${event.channel}`);
    if (at === undefined) return;
    const where = `${index.describe(event.conn)} on ${event.channel} at ${seconds(event.at)}`;
    if (event.epoch === at.epoch && event.offset === at.next) {
      at.next++;
      return;
    }
    const missedTail = (acked.get(`${event.channel} ${at.epoch}`) ?? 0) >= at.next;
    if (event.epoch !== at.epoch && event.offset === 1 && !missedTail) {
      at.epoch = event.epoch;
      at.next = 2;
      return;
    }
    const expected = `offset ${at.next} of epoch ${at.epoch}`;
    violations.push({
      rule: "history-gap",
      at: event.at,
      channel: event.channel,
      message:
        event.epoch === at.epoch
          ? `${where} got offset ${event.offset}, expected ${expected}`
          : `${where} got offset ${event.offset} of epoch ${event.epoch}, expected ${expected}${missedTail ? ` (offsets up to ${acked.get(`${event.channel} ${at.epoch}`)} of it were acknowledged)` : ""}`,
    });
    at.epoch = event.epoch;
    at.next = event.offset + 1;
  });
  return violations;
}

/** The highest offset acknowledged to a publisher, per `CHANNEL EPOCH`. */
function newestAcknowledged(index: HistoryIndex): Map<string, number> {
  const newest = new Map<string, number>();
  for (const { command, reply } of index.commands.values()) {
    if (command.event !== "publish" || !isStampedAck(reply)) continue;
    const key = `${command.channel} ${reply.epoch}`;
    newest.set(key, Math.max(newest.get(key) ?? 0, reply.offset));
  }
  return newest;
}

function isStampedAck(
  reply: ReplyReceived | undefined,
): reply is ReplyReceived & { offset: number; epoch: string } {
  return reply?.event === "publication_succeeded" && reply.offset !== undefined && reply.epoch !== undefined;
}
