import { seconds } from "./describe.js";
import type { HistoryIndex, IndexedCommand } from "./history-index.js";
import { describeInstance, type RegistrationInstance } from "./ownership.js";
import type { CheckRules, ExcusedLoss, ExcuseReason, Violation } from "./verdict.js";

/** Replies that say the send reached no owner: such a payload must never be delivered. */
const REFUSALS = new Set(["registration_not_found", "sending_failed"]);

/**
 * Each send by its reply: a `sending_succeeded` was delivered to exactly one client (none: `lost-send` unless
 * excused; several: `send-to-several-clients`); a send answered `registration_not_found` or `sending_failed`
 * was delivered to no one (`delivered-though-refused`).
 */
export function checkSends(
  index: HistoryIndex,
  instances: ReadonlyMap<string, RegistrationInstance[]>,
  rules: CheckRules,
): { violations: Violation[]; excused: ExcusedLoss[] } {
  const receivers = new Map<string, Set<string>>();
  for (const { delivery, payload } of index.deliveries) {
    if (payload?.kind !== "send" || typeof delivery.data !== "string") continue;
    const set = receivers.get(delivery.data) ?? new Set<string>();
    set.add(delivery.conn);
    receivers.set(delivery.data, set);
  }
  const violations: Violation[] = [];
  const excused: ExcusedLoss[] = [];
  for (const [data, sent] of index.byPayload) {
    const { command, reply } = sent;
    if (command.event !== "send" || reply === undefined) continue;
    const got = [...(receivers.get(data) ?? [])];
    const what = `send ${command.conn}#${command.id} (${data}) to ${command.channel} at ${seconds(command.at)}, answered ${reply.event} at ${seconds(reply.at)}`;
    if (reply.event === "sending_succeeded" && got.length === 0) {
      const owners = ownersAround(sent, instances.get(command.channel) ?? []);
      const excuse = excuseFor(index, sent, owners, rules);
      if (excuse === undefined) {
        violations.push({
          rule: "lost-send",
          at: reply.at,
          channel: command.channel,
          message: `${what}, was never delivered; ${ownersNote(index, sent, owners, instances.get(command.channel) ?? [])}`,
        });
      } else {
        excused.push({
          at: reply.at,
          channel: command.channel,
          payload: data,
          reason: excuse.reason,
          message: `${what}, was never delivered: ${excuse.reason} (${describeInstance(index, excuse.owner)}${closingNote(index, excuse.owner)})`,
        });
      }
    } else if (reply.event === "sending_succeeded" && got.length > 1) {
      violations.push({
        rule: "send-to-several-clients",
        at: reply.at,
        channel: command.channel,
        message: `${what}, was delivered to ${got.map((conn) => index.describe(conn)).join(" and ")}`,
      });
    } else if (REFUSALS.has(reply.event) && got.length > 0) {
      violations.push({
        rule: "delivered-though-refused",
        at: reply.at,
        channel: command.channel,
        message: `${what}, was delivered to ${got.map((conn) => index.describe(conn)).join(" and ")}`,
      });
    }
  }
  return { violations, excused };
}

/** The registrations around a lost send, or else the last one before it, for the reader. */
function ownersNote(
  index: HistoryIndex,
  sent: IndexedCommand,
  owners: readonly RegistrationInstance[],
  instances: readonly RegistrationInstance[],
): string {
  const described = (owner: RegistrationInstance) =>
    `${describeInstance(index, owner)}${closingNote(index, owner)}`;
  if (owners.length > 0) return `registrations around then: ${owners.map(described).join("; ")}`;
  const before = instances
    .filter((instance) => instance.end !== undefined && instance.end.at < sent.command.at)
    .sort((a, b) => (a.end?.at ?? 0) - (b.end?.at ?? 0))
    .pop();
  return `no registration around then; the last one before: ${before === undefined ? "none" : described(before)}`;
}

/** When the owner's client began closing its connection, if that ended the registration. */
function closingNote(index: HistoryIndex, owner: RegistrationInstance): string {
  const closing = owner.end?.how === "closed" ? index.connections.get(owner.conn)?.closing : undefined;
  return closing === undefined ? "" : `; its ${closing.initiator} began closing it at ${seconds(closing.at)}`;
}

/**
 * Registrations of the send's channel that may have owned it while the send was under way: registered (the
 * `register` command) before the reply, not ended before the send. Each compares something the driver did (a
 * command) with something it read, so the history's order holds even between connections
 * (`HistoryIndex.before`); ties of the clock count as "may have".
 */
function ownersAround(
  sent: IndexedCommand,
  instances: readonly RegistrationInstance[],
): RegistrationInstance[] {
  const replyAt = sent.reply?.at ?? sent.command.at;
  return instances.filter(
    (instance) =>
      instance.start.at <= replyAt && (instance.end === undefined || instance.end.at >= sent.command.at),
  );
}

/**
 * A loss is excused only when an owner around the send was cut off, between the send and `excuseWindowMs`
 * after its reply: its node killed by the nemesis, or its connection dropped by the server or the network (not
 * closed by its client or the driver: a node that still answers `sending_succeeded` to a closing owner broke
 * its word). The message was in flight to a socket that went away. The close counts as within the window
 * unless it certainly came after it: the driver may have read it late, in a burst (`HistoryIndex.earliest`).
 */
function excuseFor(
  index: HistoryIndex,
  sent: IndexedCommand,
  owners: readonly RegistrationInstance[],
  rules: CheckRules,
): { owner: RegistrationInstance; reason: ExcuseReason } | undefined {
  const latest = (sent.reply?.at ?? sent.command.at) + rules.excuseWindowMs;
  for (const owner of owners) {
    const close = owner.end?.close;
    if (close === undefined || owner.end === undefined || index.earliest(owner.end.index) > latest) continue;
    if (close.nodeKilled) return { owner, reason: "owner's node killed" };
    if (close.initiator === "server") return { owner, reason: "owner's connection dropped" };
  }
  return undefined;
}
