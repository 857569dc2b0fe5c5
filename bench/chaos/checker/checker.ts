import type { HistoryEvent } from "../history.js";
import { checkDeliveries } from "./deliveries.js";
import { HistoryIndex } from "./history-index.js";
import { checkNodes } from "./nodes.js";
import { checkOffsets } from "./offsets.js";
import { assignDeliveries, interleavedOwners, registrationInstances } from "./ownership.js";
import { checkReplies } from "./replies.js";
import { checkSends } from "./sends.js";
import { CHECK_DEFAULTS, type CheckRules, type Verdict } from "./verdict.js";

/** Judges a chaos run's history against every rule; the violations come in the order they happened. */
export function checkHistory(history: readonly HistoryEvent[], rules: CheckRules = CHECK_DEFAULTS): Verdict {
  const index = new HistoryIndex(history);
  const instances = registrationInstances(index);
  const outside = assignDeliveries(index, instances);
  const sends = checkSends(index, instances, rules);
  const violations = [
    ...interleavedOwners(index, instances),
    ...outside,
    ...sends.violations,
    ...checkDeliveries(index),
    ...checkOffsets(index),
    ...checkReplies(index),
    ...checkNodes(history, rules),
  ].sort((a, b) => a.at - b.at);
  return { passed: violations.length === 0, violations, excused: sends.excused };
}
