import type { FaultEnd, HistoryEvent, NodeExit, Recovery } from "../history.js";
import { seconds } from "./describe.js";
import type { CheckRules, Violation } from "./verdict.js";

/**
 * The processes: no node exits unless the nemesis killed it or the driver stopped it (and then with code 0)
 * (`node-crash`); after each fault ends, every node answers /healthz 200 within `recoveryLimitMs`
 * (`slow-recovery`); the harness did all it had to (`run-incomplete`).
 */
export function checkNodes(history: readonly HistoryEvent[], rules: CheckRules): Violation[] {
  const violations: Violation[] = [];
  const nodes = new Set<number>();
  const faultEnds: FaultEnd[] = [];
  const recoveries = new Map<string, Recovery>();
  for (const event of history) {
    if (event.type === "node_start") nodes.add(event.node);
    else if (event.type === "fault_end") faultEnds.push(event);
    else if (event.type === "recovery") recoveries.set(`${event.fault} ${event.node}`, event);
    else if (event.type === "node_exit" && crashed(event))
      violations.push({ rule: "node-crash", at: event.at, message: describeExit(event) });
    else if (event.type === "harness_error")
      violations.push({ rule: "run-incomplete", at: event.at, message: event.message });
  }
  for (const end of faultEnds) {
    for (const node of nodes) {
      const recovery = recoveries.get(`${end.fault} ${node}`);
      const fault = `fault ${end.fault} (${end.kind} of ${end.target}, ended at ${seconds(end.at)})`;
      if (recovery === undefined) {
        violations.push({
          rule: "slow-recovery",
          at: end.at,
          message: `node ${node}: no /healthz answer recorded after ${fault}`,
        });
      } else if (recovery.afterMs === null || recovery.afterMs > rules.recoveryLimitMs) {
        const took =
          recovery.afterMs === null
            ? "did not answer 200 at all"
            : `answered 200 only after ${recovery.afterMs} ms`;
        violations.push({
          rule: "slow-recovery",
          at: recovery.at,
          message: `node ${node} ${took} after ${fault} (limit ${rules.recoveryLimitMs} ms)`,
        });
      }
    }
  }
  return violations;
}

function crashed(exit: NodeExit): boolean {
  return exit.cause === "none" || (exit.cause === "driver_stop" && exit.code !== 0);
}

function describeExit(exit: NodeExit): string {
  const how = exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
  const why =
    exit.cause === "none" ? "though nobody stopped it" : "when the driver stopped it (expected code 0)";
  return `node ${exit.node} (incarnation ${exit.incarnation}, pid ${exit.pid}) exited with ${how} at ${seconds(exit.at)} ${why}`;
}
