import { assertComplete, measureDeliveries } from "../harness/measure-deliveries.js";
import type { DeliveryMeasurement } from "../harness/records.js";
import { OPEN_TIMEOUT_MS, openAll, spreadPlans, startRig } from "../harness/rig.js";
import type { DialectName } from "../systems/dialect.js";
import type { System } from "../systems/systems.js";

export interface PairsSpec {
  /** Sender/receiver pairs, each on a channel of its own. */
  pairs: number;
  /** Messages each sender sends in the measured phase, one in flight at a time. */
  rounds: number;
  workers: number;
}

/**
 * `pairs` senders, each with one receiver on a channel of its own. "channels": publish to a channel with one
 * subscriber; "p2p": send to the owner of a registered channel (for systems without registration, the
 * closest equivalent, see each dialect). Each sender keeps one message in flight.
 */
export async function runPairs(
  kind: "channels" | "p2p",
  system: System,
  dialect: DialectName,
  spec: PairsSpec,
): Promise<DeliveryMeasurement> {
  const rig = await startRig(system, spec.workers);
  const prefix = kind === "channels" ? "ch-" : "p2p-";
  try {
    const url = rig.server.url;
    await openAll(rig.receivers, { url, dialect, keyPrefix: "receiver-" }, spec.pairs);
    await Promise.all(
      spreadPlans(rig.receivers, spec.pairs, prefix).map(([agent, plan]) =>
        kind === "channels" ? agent.subscribe(plan, OPEN_TIMEOUT_MS) : agent.register(plan, OPEN_TIMEOUT_MS),
      ),
    );
    await openAll([rig.senders], { url, dialect, keyPrefix: "sender-" }, spec.pairs);

    const phase = (rounds: number, profileLabel?: string) =>
      measureDeliveries(
        rig,
        spec.pairs,
        {
          kind: kind === "channels" ? "publish" : "send",
          plan: { prefix, first: 0 },
          perConnection: rounds,
          window: 1,
        },
        () => rounds,
        profileLabel,
      );
    assertComplete(await phase(Math.max(2, Math.ceil(spec.rounds / 10))), "warm-up");
    return await phase(spec.rounds, `${kind}-${spec.pairs}`);
  } finally {
    await rig.close();
  }
}
