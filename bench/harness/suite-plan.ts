import { runConnections } from "../scenarios/connections.js";
import { runFanout } from "../scenarios/fanout.js";
import { runPairs } from "../scenarios/pairs.js";
import { type Protocol, SYSTEMS, type System } from "../systems/systems.js";
import type { CaseResult, Measurement, ScenarioCase } from "./records.js";
import type { SuiteConfig } from "./suite-config.js";

/** One server start: a system through one or more cases (fanout measures every window on one setup). */
export interface Unit {
  system: System;
  cases: ScenarioCase[];
  run(): Promise<Measurement[]>;
}

/** What a suite will do: groups of units with how often each group runs, and a result for every case. */
export interface SuitePlan {
  schedule: [units: Unit[], repeats: number][];
  /** By `${case id} ${system id}`; already final for cases a system cannot run (n/a) or skips. */
  results: Map<string, CaseResult>;
}

const LOAD_WORKERS = 2;
const count = (n: number) => n.toLocaleString("en-US");

export function planSuite(config: SuiteConfig): SuitePlan {
  const systems = SYSTEMS.filter((system) => config.systems.includes(system.id));
  const results = new Map<string, CaseResult>();
  /** The units of `cases` (measured together) on each system that has `protocol`; the rest get a result now. */
  const unitsFor = (
    cases: ScenarioCase[],
    protocol: Protocol,
    run: (system: System, dialect: NonNullable<System["dialects"][Protocol]>) => Promise<Measurement[]>,
  ): Unit[] => {
    const units: Unit[] = [];
    for (const system of systems) {
      const dialect = system.dialects[protocol];
      const unavailable = system.unavailable();
      for (const scenario of cases) {
        results.set(`${scenario.id} ${system.id}`, {
          case: scenario,
          system: system.id,
          systemLabel: system.label,
          status: dialect === undefined ? "n/a" : unavailable === undefined ? "ok" : "skipped",
          notes:
            dialect === undefined
              ? [`${system.label} has no ${protocol} protocol`]
              : unavailable
                ? [unavailable]
                : [],
          runs: [],
        });
      }
      if (dialect !== undefined && unavailable === undefined)
        units.push({ system, cases, run: () => run(system, dialect) });
    }
    return units;
  };

  const fanoutUnits: Unit[] = [];
  const { fanout } = config;
  for (const subscribers of fanout.subscribers) {
    for (const protocol of fanout.protocols) {
      const cases = fanout.windows.map(
        (window): ScenarioCase => ({
          kind: "fanout",
          id: `fanout/${protocol}/s${subscribers}/w${window}`,
          title: `fanout ${count(subscribers)} subscribers, ${protocol === "pb" ? "protobuf" : "JSON"}, ${window} in flight`,
          protocol,
          params: { subscribers, window },
        }),
      );
      const workers = subscribers >= fanout.workersFrom ? LOAD_WORKERS : 0;
      fanoutUnits.push(
        ...unitsFor(cases, protocol, (system, dialect) =>
          runFanout(system, dialect, { ...fanout, subscribers, workers }),
        ),
      );
    }
  }

  const pairUnits: Unit[] = [];
  for (const kind of ["channels", "p2p"] as const) {
    for (const { pairs, rounds } of config[kind]) {
      const scenario: ScenarioCase = {
        kind,
        id: `${kind}/json/p${pairs}`,
        title:
          kind === "channels"
            ? `channels: ${count(pairs)} publisher/subscriber pairs on ${count(pairs)} channels`
            : `p2p: ${count(pairs)} senders, each to a registered owner`,
        protocol: "json",
        params: { pairs, rounds },
      };
      pairUnits.push(
        ...unitsFor([scenario], "json", async (system, dialect) => [
          await runPairs(kind, system, dialect, { pairs, rounds, workers: 0 }),
        ]),
      );
    }
  }

  const connectionUnits: Unit[] = [];
  for (const connections of config.connections.counts) {
    const scenario: ScenarioCase = {
      kind: "connections",
      id: `connections/json/c${connections}`,
      title: `connections: ${count(connections)} idle`,
      protocol: "json",
      params: { connections },
    };
    const workers = connections >= config.connections.workersFrom ? LOAD_WORKERS : 0;
    connectionUnits.push(
      ...unitsFor([scenario], "json", async (system, dialect) => [
        await runConnections(system, dialect, connections, workers, config.connections.settleMs),
      ]),
    );
  }

  const schedule: SuitePlan["schedule"] = [
    [fanoutUnits, config.repeats],
    [pairUnits, config.pairRepeats],
    [connectionUnits, 1],
  ];
  return { schedule, results };
}
