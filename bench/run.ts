import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CROSS_NODE, CROSS_SYSTEM_IDS, type CrossNodeConfig } from "./cross-node/config.js";
import { crossNodeNotes, crossNodeReport } from "./cross-node/report.js";
import { runCrossNode } from "./cross-node/section.js";
import { runSuite } from "./harness/suite.js";
import { FULL_SUITE, QUICK_SUITE, type SuiteConfig } from "./harness/suite-config.js";
import { inProcessFanout, inProcessSends } from "./in-process.js";
import { redisModeScenarios } from "./redis-modes.js";
import type { BenchReport } from "./report/bench-report.js";
import { commit, machine, versionOf } from "./report/environment.js";
import { renderMarkdown } from "./report/markdown.js";
import { writeResults } from "./report/write-results.js";
import { REQUEST_REPLY, runRequestReply } from "./request-reply/section.js";
import { runSlowConsumer } from "./scenarios/slow-consumer.js";
import { QUICK_STORM, STORM, type StormConfig } from "./storm/config.js";
import { runStorm } from "./storm/section.js";
import { SYSTEMS, type SystemId } from "./systems/systems.js";

const SECTIONS = [
  "fanout",
  "channels",
  "p2p",
  "connections",
  "in-process",
  "redis",
  "slow-consumer",
  "cross-node",
  "request-reply",
  "storm",
] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `npm run bench [-- options]
  --quick              the reduced suite (about 2.5 minutes): fanout to 100 and 1,000, 2,000 connections, a storm of 2,000, no Redis
  --only=a,b           sections to run: ${SECTIONS.join(", ")}
  --systems=a,b        systems to compare: ${SYSTEMS.map((system) => system.id).join(", ")}
  --cross-systems=a,b  systems of the cross-node section (3 server processes each): ${CROSS_SYSTEM_IDS.join(", ")}
  --repeats=N          interleaved runs of each fanout, cross-node and storm case (default 3; channels and p2p: 3, quick 1)
  --storm-clients=N    clients of the reconnect storm (default 10,000; quick 2,000)
  --out=DIR            where results go (default bench/results)`;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    systems: { type: "string" },
    "cross-systems": { type: "string" },
    repeats: { type: "string" },
    "storm-clients": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const list = <T extends string>(value: string | undefined, allowed: readonly T[], what: string): T[] => {
  if (value === undefined) return [...allowed];
  const items = value.split(",").map((item) => item.trim());
  for (const item of items)
    if (!allowed.includes(item as T)) throw new Error(`unknown ${what} ${item}\n${USAGE}`);
  return items as T[];
};
const sections = new Set(list(values.only, SECTIONS, "section"));
const systems = list(values.systems, SYSTEMS.map((system) => system.id) as SystemId[], "system");
const base = values.quick ? QUICK_SUITE : FULL_SUITE;
const config: SuiteConfig = {
  ...base,
  systems,
  repeats: values.repeats === undefined ? base.repeats : Math.max(1, Number(values.repeats)),
  fanout: sections.has("fanout") ? base.fanout : { ...base.fanout, subscribers: [] },
  channels: sections.has("channels") ? base.channels : [],
  p2p: sections.has("p2p") ? base.p2p : [],
  connections: sections.has("connections") ? base.connections : { ...base.connections, counts: [] },
};
const crossNodeConfig: CrossNodeConfig = {
  ...CROSS_NODE,
  systems: list(values["cross-systems"], CROSS_SYSTEM_IDS, "cross-node system"),
  repeats: values.repeats === undefined ? (values.quick ? 1 : CROSS_NODE.repeats) : config.repeats,
};
const stormBase = values.quick ? QUICK_STORM : STORM;
const stormClients =
  values["storm-clients"] === undefined ? stormBase.clients : Number(values["storm-clients"]);
if (!Number.isInteger(stormClients) || stormClients < 1)
  throw new Error(`--storm-clients takes a whole number of clients, at least 1\n${USAGE}`);
const stormConfig: StormConfig = {
  ...stormBase,
  systems,
  clients: stormClients,
  repeats: values.repeats === undefined ? stormBase.repeats : config.repeats,
};
const custom =
  values.only !== undefined ||
  values.systems !== undefined ||
  values["cross-systems"] !== undefined ||
  values.repeats !== undefined ||
  values["storm-clients"] !== undefined;
const outDir = values.out ?? fileURLToPath(new URL("../../bench/results/", import.meta.url));
const has = (section: Section) => sections.has(section) && !(values.quick && section === "redis");

const started = new Date();
const log = (line: string) => console.log(line);
log(`WEST-TS benchmarks against peers: ${values.quick ? "quick" : "full"} suite, Node ${process.version}`);

const results = await runSuite(config, log);

let inProcess: BenchReport["inProcess"];
if (has("in-process")) {
  log("in-process scenarios (WEST-TS alone)");
  inProcess = [await inProcessFanout(), await inProcessFanout(100), await inProcessSends()];
}
let redisModes: BenchReport["redisModes"];
if (has("redis")) {
  log("Redis-mode scenarios (WEST-TS alone)");
  redisModes = await redisModeScenarios().catch((error: unknown) => ({
    skipped: `${error instanceof Error ? error.message : String(error)} (is redis-server installed?)`,
  }));
}
let slowConsumer: BenchReport["slowConsumer"];
if (has("slow-consumer")) {
  log("slow-consumer scenario (WEST-TS alone)");
  slowConsumer = await runSlowConsumer({
    subscribers: 100,
    window: 100,
    phaseMs: values.quick ? 1_000 : 3_000,
    maxDeliveries: 300_000,
    repeats: values.quick ? 1 : 3,
  });
}
let crossNode: BenchReport["crossNode"];
if (has("cross-node")) {
  log("cross-node scenarios (3 server processes per system)");
  crossNode = crossNodeReport(crossNodeConfig, await runCrossNode(crossNodeConfig, log));
}

let requestReply: BenchReport["requestReply"];
if (has("request-reply")) {
  log("request/reply and the HTTP API (WEST-TS and NATS)");
  requestReply = await runRequestReply(
    { ...REQUEST_REPLY, repeats: values.quick ? 1 : REQUEST_REPLY.repeats },
    log,
  );
}

let storm: BenchReport["storm"];
if (has("storm")) {
  log(
    `reconnect storm: ${stormConfig.clients.toLocaleString("en-US")} clients at once, without and with tokens`,
  );
  storm = await runStorm(stormConfig, log);
}

const selected = SYSTEMS.filter((system) => systems.includes(system.id));
const fanoutSizes = config.fanout.subscribers.map((s) => s.toLocaleString("en-US")).join(", ");
const notes = [
  "Every system runs in a process of its own; the load generator (ws clients, no compression) runs in the bench process. " +
    `Fanout subscribers from ${config.fanout.workersFrom.toLocaleString("en-US")} and connections from ${config.connections.workersFrom.toLocaleString("en-US")} are spread over 2 load worker processes. Server, load generator and workers share the machine's ${machine().cores} cores.`,
  "Server CPU is the run time of all the server process's threads (/proc/PID/task/*/schedstat, in ns) over the measured phase, divided by the deliveries; peak RSS is its VmHWM. A phase starts after a warm-up on the same connections.",
  `Fanout (${fanoutSizes} subscribers): the publisher publishes for ${config.fanout.phaseMs} ms per measured phase, or until its publishes make ${config.fanout.maxDeliveries.toLocaleString("en-US")} deliveries (and at least as many times as it keeps in flight); then every subscriber must get every publish. In flight: publishes sent whose acknowledgement has not arrived. Channels and p2p: ${config.channels.map((c) => c.rounds).join(", ")} / ${config.p2p.map((c) => c.rounds).join(", ")} messages per sender.`,
  "Acknowledgements: WEST-TS publication_succeeded / sending_succeeded; ws forwarder the same replies; Socket.IO an emit acknowledgement; NATS a PING after each PUB, its PONG (NATS answers in order, after processing the PUB).",
  "Every payload is 64 bytes and carries its send time (system-wide monotonic clock); latency runs from that time to the arrival at the receiving client. Lost = expected minus received, per receiving connection; any loss fails the case.",
  "Channels and p2p: each sender keeps one message in flight. p2p closest equivalents: Socket.IO emits to the socket that registered the channel; NATS has no registration, so the owner subscribes to a subject of its own.",
  "The JSON rows of NATS and Socket.IO use their own wire formats (NATS text protocol, Socket.IO packets) over the same ws client; protobuf exists only for WEST-TS.",
  "Connections: opened 100 at a time per load process, each counted once its first request (ping, namespace connect, NATS CONNECT+PING) is answered; RSS per connection = server RSS growth / connections.",
  ...selected
    .map((system) => system.unavailable())
    .filter((reason): reason is string => reason !== undefined),
  ...(crossNode === undefined ? [] : crossNodeNotes(crossNodeConfig, crossNode)),
];
const failures = results
  .filter((result) => result.status === "failed")
  .map((result) => `${result.case.title} on ${result.systemLabel}: ${result.notes.join("; ")}`)
  .concat(
    (crossNode?.results ?? [])
      .filter((result) => result.status === "failed")
      .map(
        (result) => `across nodes, ${result.case.title} on ${result.systemLabel}: ${result.notes.join("; ")}`,
      ),
  )
  .concat(
    (storm?.results ?? [])
      .filter((result) => result.status === "failed")
      .map((result) => `reconnect storm on ${result.label}, auth ${result.auth}: ${result.notes.join("; ")}`),
  );

const report: BenchReport = {
  startedAt: started.toISOString(),
  durationSeconds: (Date.now() - started.getTime()) / 1000,
  suite: custom ? "custom" : values.quick ? "quick" : "full",
  machine: machine(),
  commit: commit(),
  systems: selected.map((system) => ({ id: system.id, label: system.label, version: versionOf(system) })),
  config,
  results,
  ...(inProcess === undefined ? {} : { inProcess }),
  ...(redisModes === undefined ? {} : { redisModes }),
  ...(slowConsumer === undefined ? {} : { slowConsumer }),
  ...(crossNode === undefined ? {} : { crossNode }),
  ...(requestReply === undefined ? {} : { requestReply }),
  ...(storm === undefined ? {} : { storm }),
  notes,
  failures,
};
const written = writeResults(report, outDir);
console.log(`\n${renderMarkdown(report)}`);
console.log(`Written: ${written.join(", ")}`);
if (failures.length > 0) {
  console.log(`\n!!! ${failures.length} FAILED:\n${failures.map((failure) => `!!! ${failure}`).join("\n")}`);
  process.exitCode = 1;
}
