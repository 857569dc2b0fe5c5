import { keyOf } from "../history.js";
import { seconds } from "./describe.js";
import type { HistoryIndex } from "./history-index.js";
import type { Violation } from "./verdict.js";

/**
 * Each delivery on its own: it carries a payload some client sent, on that command's channel and from that
 * sender's key (else `unknown-delivery`); no connection gets a payload twice (`duplicate-delivery`); and per
 * (sender connection, receiver connection, channel) the payloads arrive in the order they were sent
 * (`reordered-delivery`). Sends and publishes alike.
 */
export function checkDeliveries(index: HistoryIndex): Violation[] {
  const violations: Violation[] = [];
  const received = new Set<string>();
  const newest = new Map<string, { seq: number; at: number; data: string }>();
  for (const { delivery, payload } of index.deliveries) {
    const data = String(delivery.data);
    const sent = typeof delivery.data === "string" ? index.byPayload.get(delivery.data) : undefined;
    const where = `${index.describe(delivery.conn)} on ${delivery.channel} at ${seconds(delivery.at)}`;
    const violation = (rule: Violation["rule"], message: string) =>
      violations.push({ rule, at: delivery.at, channel: delivery.channel, message });
    if (payload === undefined || sent === undefined) {
      violation("unknown-delivery", `${where} got ${JSON.stringify(delivery.data)}, which no client sent`);
      continue;
    }
    const { command } = sent;
    const event = payload.kind === "send" ? "send" : "publish";
    if (
      command.channel !== delivery.channel ||
      keyOf(command.conn) !== delivery.from ||
      command.event !== event
    ) {
      violation(
        "unknown-delivery",
        `${where} got ${data} from ${delivery.from}, but it was a ${command.event} by ${command.conn} to ${command.channel}`,
      );
      continue;
    }
    const copy = `${delivery.conn} ${data}`;
    if (received.has(copy)) {
      violation(
        "duplicate-delivery",
        `${where} got ${data} (${command.event} by ${command.conn} at ${seconds(command.at)}) a second time`,
      );
      continue;
    }
    received.add(copy);
    const stream = `${payload.conn}>${delivery.conn} ${delivery.channel}`;
    const previous = newest.get(stream);
    if (previous !== undefined && payload.seq < previous.seq) {
      violation(
        "reordered-delivery",
        `${where} got ${data} after ${previous.data} (at ${seconds(previous.at)}), which ${payload.conn} sent later`,
      );
      continue;
    }
    newest.set(stream, { seq: payload.seq, at: delivery.at, data });
  }
  return violations;
}
