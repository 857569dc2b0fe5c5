import { seconds } from "./describe.js";
import type { HistoryIndex } from "./history-index.js";
import type { Violation } from "./verdict.js";

/**
 * Each command gets exactly one reply: a reply that answers no command of its connection, or a second reply,
 * is a `reply-mismatch`; a command left unanswered on a connection that stayed open until the driver closed
 * it at the end of the run (after waiting for replies) is an `unanswered-command`.
 */
export function checkReplies(index: HistoryIndex): Violation[] {
  const violations: Violation[] = index.strayReplies.map(({ reply, why }) => ({
    rule: "reply-mismatch",
    at: reply.at,
    ...(reply.channel === undefined ? {} : { channel: reply.channel }),
    message: `${index.describe(reply.conn)} got ${reply.event} (id ${String(reply.id)}) at ${seconds(reply.at)}, which ${why}`,
  }));
  for (const { command, reply } of index.commands.values()) {
    if (reply !== undefined || index.connections.get(command.conn)?.close?.initiator !== "driver") continue;
    const closedAt = index.connections.get(command.conn)?.close?.at ?? command.at;
    violations.push({
      rule: "unanswered-command",
      at: closedAt,
      channel: command.channel,
      message: `${index.describe(command.conn)} sent ${command.event} ${command.channel} (id ${command.id}) at ${seconds(command.at)} and had no reply when the driver closed it at ${seconds(closedAt)}`,
    });
  }
  return violations;
}
