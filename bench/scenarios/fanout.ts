import { assertComplete, measureDeliveries } from "../harness/measure-deliveries.js";
import type { DeliveryMeasurement } from "../harness/records.js";
import { OPEN_TIMEOUT_MS, openAll, type Rig, startRig } from "../harness/rig.js";
import type { DialectName } from "../systems/dialect.js";
import type { System } from "../systems/systems.js";

export interface FanoutSpec {
  subscribers: number;
  /** Publishes in flight, one measured phase each. */
  windows: number[];
  /** How long the publisher of a measured phase keeps publishing (at least `window` publishes)... */
  phaseMs: number;
  /**
   * ...or until its publishes make this many deliveries: a server that acknowledges publishes faster than it
   * delivers them would otherwise pile up more than the phase can drain in reasonable time.
   */
  maxDeliveries: number;
  /** Deliveries of the warm-up phase, about. */
  warmupDeliveries: number;
  /** Load worker processes for the subscribers; 0 keeps them in this process. */
  workers: number;
}

const CHANNEL = "fanout";

/**
 * A measured phase of the rig's one publisher on `channel`: `publishes` (at least, with `durationMs`), `window` in
 * flight, and every one of the `subscribers` receivers must get each.
 */
export function publishPhase(
  rig: Rig,
  channel: string,
  spec: Pick<FanoutSpec, "subscribers" | "maxDeliveries">,
): (
  publishes: number,
  window: number,
  durationMs?: number,
  profileLabel?: string,
) => Promise<DeliveryMeasurement> {
  return (publishes, window, durationMs, profileLabel) =>
    measureDeliveries(
      rig,
      spec.subscribers,
      {
        kind: "publish",
        plan: { fixed: channel },
        perConnection: publishes,
        window,
        durationMs,
        maxPerConnection: Math.ceil(spec.maxDeliveries / spec.subscribers),
      },
      (sent) => sent.sent[0] ?? 0,
      profileLabel,
    );
}

/**
 * One publisher and `subscribers` subscribers on one channel. After a warm-up, one phase per window: for
 * `phaseMs` the publisher keeps `window` publishes unacknowledged; every subscriber must receive every publish.
 */
export async function runFanout(
  system: System,
  dialect: DialectName,
  spec: FanoutSpec,
): Promise<DeliveryMeasurement[]> {
  const rig = await startRig(system, spec.workers);
  try {
    const url = rig.server.url;
    await openAll(rig.receivers, { url, dialect, keyPrefix: "sub-" }, spec.subscribers);
    await Promise.all(rig.receivers.map((agent) => agent.subscribe({ fixed: CHANNEL }, OPEN_TIMEOUT_MS)));
    await openAll([rig.senders], { url, dialect, keyPrefix: "pub-" }, 1);

    const phase = publishPhase(rig, CHANNEL, spec);
    assertComplete(
      await phase(Math.max(5, Math.ceil(spec.warmupDeliveries / spec.subscribers)), 10),
      "warm-up",
    );
    const measured: DeliveryMeasurement[] = [];
    for (const window of spec.windows) {
      const label = `fanout-${spec.subscribers}-${dialect}-${window}-in-flight`;
      measured.push(await phase(window, window, spec.phaseMs, label));
    }
    return measured;
  } finally {
    await rig.close();
  }
}
