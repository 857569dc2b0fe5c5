import { HistoryIndex } from "./checker/history-index.js";
import type { Verdict } from "./checker/verdict.js";
import type { CommandEvent, ConnectionClose, FaultKind, HistoryEvent } from "./history.js";

/** The history in numbers, for the report. */
export interface ChaosFigures {
  /** From the clients' start to the deadline (the drain after it not counted). */
  loadMs: number;
  connections: { opened: number; connectFailures: number; closes: Record<string, number> };
  /** For each command, how many got each reply (`(none)`: no reply came). */
  commands: Partial<Record<CommandEvent, Record<string, number>>>;
  deliveries: { sends: number; publishes: number; unknown: number };
  /** Channels with history: subscribes that asked to recover and what they got; deliveries with an offset. */
  history: { recovering: number; recovered: number; notRecovered: number; stamped: number };
  registrationLost: number;
  faults: Partial<Record<FaultKind, { count: number; durationsMs: number[] }>>;
  /** How long nodes took to answer /healthz 200 after each fault, one figure per (fault, node). */
  recoveryMs: { median: number; max: number; count: number; notRecovered: number };
  nodeExits: Record<string, number>;
  excusedLosses: Record<string, number>;
  violations: Record<string, number>;
}

export function computeFigures(history: readonly HistoryEvent[], verdict: Verdict): ChaosFigures {
  const index = new HistoryIndex(history);
  const figures: ChaosFigures = {
    loadMs: 0,
    connections: { opened: 0, connectFailures: 0, closes: {} },
    commands: {},
    deliveries: { sends: 0, publishes: 0, unknown: 0 },
    history: { recovering: 0, recovered: 0, notRecovered: 0, stamped: 0 },
    registrationLost: 0,
    faults: {},
    recoveryMs: { median: 0, max: 0, count: 0, notRecovered: 0 },
    nodeExits: {},
    excusedLosses: countBy(verdict.excused.map((loss) => loss.reason)),
    violations: countBy(verdict.violations.map((violation) => violation.rule)),
  };
  const faultStarts = new Map<number, number>();
  const recoveries: number[] = [];
  let loadStart = 0;
  for (const event of history) {
    switch (event.type) {
      case "run":
        if (event.phase === "start") loadStart = event.at;
        if (event.phase === "clients_stopped") figures.loadMs = event.at - loadStart;
        break;
      case "open":
        figures.connections.opened++;
        break;
      case "connect_failed":
        figures.connections.connectFailures++;
        break;
      case "close":
        bump(figures.connections.closes, closeCause(event));
        break;
      case "lost":
        figures.registrationLost++;
        break;
      case "fault_start":
        faultStarts.set(event.fault, event.at);
        break;
      case "fault_end": {
        const fault = figures.faults[event.kind] ?? { count: 0, durationsMs: [] };
        fault.count++;
        fault.durationsMs.push(Math.round(event.at - (faultStarts.get(event.fault) ?? event.at)));
        figures.faults[event.kind] = fault;
        break;
      }
      case "recovery":
        if (event.afterMs === null) figures.recoveryMs.notRecovered++;
        else recoveries.push(event.afterMs);
        break;
      case "node_exit":
        bump(figures.nodeExits, event.cause);
        break;
      default:
        break;
    }
  }
  for (const { command, reply } of index.commands.values()) {
    if (command.event === "subscribe" && command.offset !== undefined) {
      figures.history.recovering++;
      if (reply?.recovered === true) figures.history.recovered++;
      if (reply?.recovered === false) figures.history.notRecovered++;
    }
    const replies = figures.commands[command.event] ?? {};
    bump(replies, reply?.event ?? "(none)");
    figures.commands[command.event] = replies;
  }
  for (const { payload, delivery } of index.deliveries) {
    if (delivery.offset !== undefined) figures.history.stamped++;
    if (payload?.kind === "send") figures.deliveries.sends++;
    else if (payload?.kind === "pub") figures.deliveries.publishes++;
    else figures.deliveries.unknown++;
  }
  recoveries.sort((a, b) => a - b);
  figures.recoveryMs = {
    ...figures.recoveryMs,
    count: recoveries.length,
    median: recoveries[Math.floor(recoveries.length / 2)] ?? 0,
    max: recoveries[recoveries.length - 1] ?? 0,
  };
  return figures;
}

/** How a connection ended, as the report counts it. */
function closeCause(close: ConnectionClose): string {
  if (close.nodeKilled) return "its node was killed";
  if (close.initiator === "client") return "closed by its client";
  if (close.initiator === "driver") return "closed at the end of the run";
  return `closed by the server or the network (${close.code})`;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function countBy(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) bump(counts, key);
  return counts;
}
