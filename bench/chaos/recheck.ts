import { readFileSync } from "node:fs";
import { checkHistory } from "./checker/checker.js";
import { seconds } from "./checker/describe.js";
import type { HistoryEvent } from "./history.js";

/**
 * `node build/bench/chaos/recheck.js HISTORY.ndjson`: runs the checker again on a recorded history (after a
 * change to the checker, or to read a run's violations in full). Exits 1 on any violation.
 */
const file = process.argv[2];
if (file === undefined) {
  console.error("usage: node build/bench/chaos/recheck.js HISTORY.ndjson");
  process.exit(2);
}
const history = readFileSync(file, "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as HistoryEvent);
const verdict = checkHistory(history);
for (const v of verdict.violations) console.log(`${v.rule} at ${seconds(v.at)}: ${v.message}`);
for (const loss of verdict.excused) console.log(`excused at ${seconds(loss.at)}: ${loss.message}`);
console.log(
  `${history.length} events: ${verdict.passed ? "passed" : `FAILED, ${verdict.violations.length} violations`}, ${verdict.excused.length} excused losses`,
);
process.exit(verdict.passed ? 0 : 1);
