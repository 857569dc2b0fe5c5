import { packageVersion, run } from "../report/environment.js";
import type { CrossNodeConfig } from "./config.js";
import type { CrossNodeReport, CrossResult, CrossSystemId } from "./records.js";
import { CROSS_SYSTEMS, type CrossSystem } from "./systems.js";
import { crossTargets } from "./targets.js";

function redisVersion(): string {
  return /v=(\S+)/.exec(run("redis-server", ["--version"]) ?? "")?.[1] ?? "?";
}

/** The versions that ran in a system: the server's, its adapter's and client's, and Redis's. */
function versionOf(system: CrossSystem): string {
  const socketIo = () =>
    [
      `socket.io ${packageVersion("node_modules/socket.io/package.json")}`,
      `@socket.io/redis-adapter ${packageVersion("node_modules/@socket.io/redis-adapter/package.json")}`,
      `@redis/client ${packageVersion("node_modules/@redis/client/package.json")}`,
      `redis-server ${redisVersion()}`,
    ].join(", ");
  const versions: Record<CrossSystemId, () => string> = {
    "west-redis": () => `WEST-TS ${packageVersion("package.json")}, redis-server ${redisVersion()}`,
    "west-cluster": () => `WEST-TS ${packageVersion("package.json")}, redis-server ${redisVersion()}`,
    "socketio-redis": socketIo,
    "socketio-sharded": socketIo,
    nats: () => `nats-server ${run("nats-server", ["--version"])?.replace(/^nats-server:\s*/, "") ?? "?"}`,
  };
  return versions[system.id]();
}

/** The section's part of the bench report: systems with versions, results, targets. */
export function crossNodeReport(config: CrossNodeConfig, results: CrossResult[]): CrossNodeReport {
  return {
    repeats: config.repeats,
    systems: CROSS_SYSTEMS.filter((system) => config.systems.includes(system.id)).map((system) => {
      const skipped = system.unavailable();
      return {
        id: system.id,
        label: system.label,
        version: skipped === undefined ? versionOf(system) : "not installed",
        ...(skipped === undefined ? {} : { skipped }),
      };
    }),
    results,
    targets: crossTargets(results),
  };
}

/** The report's notes on how the section measured, a line per system with its versions. */
export function crossNodeNotes(config: CrossNodeConfig, report: CrossNodeReport): string[] {
  const { fanout, pairs, p2p, oneClient } = config;
  const count = (n: number) => n.toLocaleString("en-US");
  return [
    `Across nodes: every system runs as 3 server nodes, each in a process of its own, on 127.0.0.1, started afresh for each of ${config.repeats} interleaved runs; each figure is the median over the runs. Load clients connect to a chosen node: senders in the bench process, receivers in one load worker process.`,
    "Across nodes, CPU per delivery is the run time of all 3 server processes plus every redis-server (or all 3 nats-servers), read from /proc/PID/task/*/schedstat around the measured phase, divided by the deliveries expected.",
    `Across nodes, fan-out: ${count(fanout.subscribers)} subscribers, a third on each node; each window publishes for ${count(fanout.phaseMs)} ms (at least ${count(fanout.publishes)} publishes) or up to ${count(fanout.maxDeliveries)} deliveries. Pairs and p2p: ${count(pairs.pairs)} and ${count(p2p.pairs)} pairs, sender on node i, receiver on node i+1, ${pairs.rounds} and ${p2p.rounds} messages each. One client: ${count(oneClient.subscribers)} subscribers on node 2, ${count(oneClient.phaseMs)} ms per window (at most ${count(oneClient.maxPublishes)} publishes); acked publishes/s = publishes acknowledged / time from the first send to the last acknowledgement.`,
    "Across nodes, warm-up: before its measured phases each case runs its largest measured phase once, unrecorded, on every system alike, so that the figures are a warm server's (Node's optimizing compiler needs thousands of calls of a path; a freshly started Node server measured cold cost twice as much per message in p2p).",
    "Across nodes, acknowledgements: Socket.IO acknowledges a publish or send once its node has handed the broadcast to the adapter (before Redis has it); WEST-TS a publish once Redis has taken the PUBLISH, and a send once the owner's node reports it delivered; NATS's PONG comes once the sender's node has processed the PUB.",
    "Across nodes, Socket.IO p2p is emulated: the owner joins a room of its own per registered channel and a send is io.to(room).emit(...), acknowledged at once, with no check that the channel has an owner (or only one). NATS p2p: the owner subscribes a subject of its own. WEST-TS: register and send, the owner's node found through Redis.",
    ...CROSS_SYSTEMS.filter((system) => config.systems.includes(system.id)).map((system) => {
      const entry = report.systems.find((s) => s.id === system.id);
      return `Across nodes, ${system.label} (${entry?.version ?? "?"}): ${entry?.skipped ?? system.how}.`;
    }),
  ];
}
