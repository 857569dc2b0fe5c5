import type { CrossMedian, CrossResult, CrossSystemId, CrossTarget } from "./records.js";

/** WEST's two modes and the Socket.IO adapter on the same kind of Redis. */
const MODES: { west: CrossSystemId; socketio: CrossSystemId; label: string }[] = [
  { west: "west-redis", socketio: "socketio-redis", label: "WEST on Redis" },
  { west: "west-cluster", socketio: "socketio-sharded", label: "WEST on Redis Cluster" },
];

type Figure = (median: CrossMedian) => number | undefined;
const cpu: Figure = (median) => median.cpuMicrosPerDelivery;
const publishes: Figure = (median) => median.publishesPerSecond;

/**
 * The ratios of medians the section aims for, each with its value and whether it is met. They are reported,
 * never a failure.
 */
export function crossTargets(results: CrossResult[]): CrossTarget[] {
  const figure = (caseId: string, system: CrossSystemId, of: Figure) => {
    const median = results.find((r) => r.case.id === caseId && r.system === system)?.median;
    return median === undefined ? undefined : of(median);
  };
  const target = (
    scenario: string,
    ratio: string,
    top: number | undefined,
    bottom: number | undefined,
    goal: "≤" | "≥",
    limit: number,
  ): CrossTarget => {
    const base = { scenario, ratio, goal: `${goal} ${limit}` };
    if (top === undefined || bottom === undefined || bottom === 0) return base;
    const value = top / bottom;
    return { ...base, value, met: goal === "≤" ? value <= limit : value >= limit };
  };
  const fanout = "fan-out 999 subscribers, 100 in flight";
  const oneClient = "one client, 1,000 in flight";
  const p2p = "p2p across nodes";
  const targets: CrossTarget[] = [];
  for (const { west, socketio, label } of MODES) {
    const westFanout = figure("fanout/w100", west, cpu);
    targets.push(
      target(fanout, `${label} CPU/delivery ÷ NATS`, westFanout, figure("fanout/w100", "nats", cpu), "≤", 2),
      target(
        fanout,
        `${label} CPU/delivery ÷ Socket.IO (${socketio === "socketio-redis" ? "Redis adapter" : "sharded adapter"})`,
        westFanout,
        figure("fanout/w100", socketio, cpu),
        "≤",
        0.3,
      ),
    );
    const westRate = figure("one-client/w1000", west, publishes);
    targets.push(
      target(
        oneClient,
        `${label} acked publishes/s ÷ Socket.IO's`,
        westRate,
        figure("one-client/w1000", socketio, publishes),
        "≥",
        2,
      ),
      target(
        oneClient,
        `${label} acked publishes/s ÷ its own with 1 in flight`,
        westRate,
        figure("one-client/w1", west, publishes),
        "≥",
        5,
      ),
    );
    const westP2p = figure("p2p", west, cpu);
    targets.push(
      target(
        p2p,
        `${label} CPU/delivery ÷ Socket.IO emulated`,
        westP2p,
        figure("p2p", socketio, cpu),
        "≤",
        1,
      ),
      target(p2p, `${label} CPU/delivery ÷ NATS`, westP2p, figure("p2p", "nats", cpu), "≤", 1.5),
    );
  }
  const order = [fanout, oneClient, p2p];
  return targets.sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario));
}
