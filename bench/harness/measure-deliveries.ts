import type { PhaseResult, SendResult, SendSpec } from "./agent.js";
import type { AgentHandle } from "./agent-handle.js";
import { LatencyHistogram } from "./latency-histogram.js";
import { nowMicros } from "./payload.js";
import type { DeliveryMeasurement } from "./records.js";
import type { Rig } from "./rig.js";

/** A phase ends when nothing has arrived for this long (what is missing then is lost)... */
const QUIET_MS = 5_000;
/** ...or after this long in all. */
const PHASE_TIMEOUT_MS = 120_000;

/** CPU used so far by each load process (agents in one process counted once), by pid. */
async function loadUsage(agents: AgentHandle[]): Promise<Map<number, number>> {
  const usage = new Map<number, number>();
  for (const agent of agents) if (!usage.has(agent.pid)) usage.set(agent.pid, await agent.usage());
  return usage;
}

/**
 * One measured phase: the senders send as `send` says, then each receiver connection must get as many
 * deliveries as `perReceiver` says for what was sent; the server's CPU and the load processes' CPU are read
 * around it. `profileLabel` names the phase's CPU profile (see ServerProcess.startProfile); warm-ups have none.
 */
export async function measureDeliveries(
  rig: Rig,
  receiverConnections: number,
  send: Omit<SendSpec, "timeoutMs">,
  perReceiver: (sent: SendResult) => number,
  profileLabel?: string,
): Promise<DeliveryMeasurement> {
  const agents = [rig.senders, ...rig.receivers];
  await Promise.all(rig.receivers.map((agent) => agent.arm()));
  const loadBefore = await loadUsage(agents);
  if (profileLabel !== undefined) await rig.server.startProfile();
  const serverBefore = rig.server.cpuMicros();
  const wallBefore = nowMicros();

  let sent: SendResult | undefined;
  let sendError: unknown;
  try {
    sent = await rig.senders.publish({ ...send, timeoutMs: PHASE_TIMEOUT_MS });
  } catch (error) {
    sendError = error;
  }
  const expected = sent === undefined ? 0 : perReceiver(sent);
  const phases: PhaseResult[] = await Promise.all(
    rig.receivers.map((agent) => agent.settle(expected, QUIET_MS, PHASE_TIMEOUT_MS)),
  );

  const serverCpu = rig.server.cpuMicros() - serverBefore;
  const wall = nowMicros() - wallBefore;
  if (profileLabel !== undefined) await rig.server.stopProfile(profileLabel);
  const loadAfter = await loadUsage(agents);
  if (sent === undefined) {
    const reason = rig.server.exited ?? (sendError instanceof Error ? sendError.message : String(sendError));
    throw new Error(reason);
  }

  const deliveries = expected * receiverConnections;
  const received = phases.reduce((sum, phase) => sum + phase.received, 0);
  const lastDelivery = Math.max(sent.lastReplyMicros, ...phases.map((phase) => phase.lastDeliveryMicros));
  const elapsedMicros = Math.max(1, lastDelivery - sent.firstSendMicros);
  let loadCpu = 0;
  let busiest = 0;
  for (const [pid, after] of loadAfter) {
    const used = after - (loadBefore.get(pid) ?? after);
    loadCpu += used;
    busiest = Math.max(busiest, used);
  }
  const closed = phases.reduce((sum, phase) => sum + phase.closed, 0);
  const stray = phases.reduce((sum, phase) => sum + phase.strayReplies, 0);
  if (closed > 0) throw new Error(`${closed} receiving connections closed during the phase`);
  if (stray > 0) throw new Error(`${stray} replies arrived that no request was waiting for`);
  return {
    type: "deliveries",
    deliveries,
    received,
    lost: phases.reduce((sum, phase) => sum + phase.lost, 0),
    duplicated: phases.reduce((sum, phase) => sum + phase.extra, 0),
    elapsedMs: elapsedMicros / 1000,
    deliveriesPerSecond: received / (elapsedMicros / 1e6),
    serverCpuMicrosPerDelivery: serverCpu / deliveries,
    serverCores: serverCpu / wall,
    serverPeakRssBytes: rig.server.peakRssBytes(),
    latencyMicros: LatencyHistogram.merged(phases.map((phase) => phase.latency)).summary(),
    loadCpuMicrosPerDelivery: loadCpu / deliveries,
    loadCores: busiest / wall,
    loadCoresTotal: loadCpu / wall,
    loadProcesses: loadAfter.size,
  };
}

/** A phase whose deliveries all arrived, once each; anything else fails the run. */
export function assertComplete(measurement: DeliveryMeasurement, what: string): DeliveryMeasurement {
  if (measurement.lost > 0 || measurement.duplicated > 0)
    throw new Error(
      `${what}: lost ${measurement.lost}, duplicated ${measurement.duplicated} of ${measurement.deliveries} deliveries`,
    );
  return measurement;
}
