import { OPEN_TIMEOUT_MS } from "../harness/rig.js";
import { publishPhase } from "../scenarios/fanout.js";
import type { DialectName } from "../systems/dialect.js";
import type { CrossNodeConfig } from "./config.js";
import type { Deployment } from "./deployment.js";
import { crossRig, crossRun, evenShares, openOn, warmUp } from "./load.js";
import type { CrossRun } from "./records.js";

const CHANNEL = "fanout";

/**
 * One publisher on node 1, the subscribers spread evenly over the nodes, one channel. After a warm-up, a
 * measured phase per window (publishes kept unacknowledged); every subscriber must get every publish.
 */
export async function crossFanout(
  deployment: Deployment,
  dialect: DialectName,
  spec: CrossNodeConfig["fanout"],
): Promise<CrossRun[]> {
  const rig = await crossRig(deployment);
  try {
    const [receivers] = rig.receivers as [typeof rig.senders];
    const shares = evenShares(spec.subscribers, deployment.urls.length);
    for (const [node, [first, count]] of shares.entries())
      await openOn(receivers, deployment, dialect, node, "fanout-sub-", first, count);
    await receivers.subscribe({ fixed: CHANNEL }, OPEN_TIMEOUT_MS);
    await openOn(rig.senders, deployment, dialect, 0, "fanout-pub-", 0, 1);

    const phase = publishPhase(rig, CHANNEL, spec);
    const measure = (window: number) => phase(Math.max(window, spec.publishes), window, spec.phaseMs);
    await warmUp(() => measure(Math.max(...spec.windows)));
    const runs: CrossRun[] = [];
    for (const window of spec.windows) runs.push(crossRun(await measure(window)));
    return runs;
  } finally {
    await rig.close();
  }
}
