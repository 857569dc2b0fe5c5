import { OPEN_TIMEOUT_MS } from "../harness/rig.js";
import { publishPhase } from "../scenarios/fanout.js";
import type { DialectName } from "../systems/dialect.js";
import type { CrossNodeConfig } from "./config.js";
import type { Deployment } from "./deployment.js";
import { crossRig, crossRun, openOn, warmUp } from "./load.js";
import type { CrossRun } from "./records.js";

const CHANNEL = "one-client";

/**
 * One client on node 1 publishing as fast as its window allows, a few subscribers on node 2: how many
 * publishes per second are acknowledged with `window` unacknowledged at a time, a measured phase per window.
 */
export async function crossOneClient(
  deployment: Deployment,
  dialect: DialectName,
  spec: CrossNodeConfig["oneClient"],
): Promise<CrossRun[]> {
  const rig = await crossRig(deployment);
  try {
    const [receivers] = rig.receivers as [typeof rig.senders];
    await openOn(receivers, deployment, dialect, 1, "one-client-sub-", 0, spec.subscribers);
    await receivers.subscribe({ fixed: CHANNEL }, OPEN_TIMEOUT_MS);
    await openOn(rig.senders, deployment, dialect, 0, "one-client-pub-", 0, 1);

    const phase = publishPhase(rig, CHANNEL, {
      subscribers: spec.subscribers,
      maxDeliveries: spec.maxPublishes * spec.subscribers,
    });
    const measure = (window: number) => phase(Math.max(window, spec.publishes), window, spec.phaseMs);
    await warmUp(() => measure(Math.max(...spec.windows)));
    const runs: CrossRun[] = [];
    for (const window of spec.windows) runs.push(crossRun(await measure(window), rig.lastSent()));
    return runs;
  } finally {
    await rig.close();
  }
}
