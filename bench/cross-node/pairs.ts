import { measureDeliveries } from "../harness/measure-deliveries.js";
import { OPEN_TIMEOUT_MS } from "../harness/rig.js";
import type { DialectName } from "../systems/dialect.js";
import type { Deployment } from "./deployment.js";
import { crossRig, crossRun, evenShares, openOn, warmUp } from "./load.js";
import type { CrossRun } from "./records.js";

/**
 * `pairs` senders, each with one receiver on a channel of its own, the sender on node i and its receiver on
 * node i+1. "pairs": publish to a channel with one subscriber; "p2p": send to the owner that registered the
 * channel (for systems without registration, the closest equivalent: see each dialect and server). Each
 * sender keeps one message in flight.
 */
export async function crossPairs(
  kind: "pairs" | "p2p",
  deployment: Deployment,
  dialect: DialectName,
  spec: { pairs: number; rounds: number },
): Promise<CrossRun> {
  const rig = await crossRig(deployment);
  const prefix = `${kind}-`;
  try {
    const [receivers] = rig.receivers as [typeof rig.senders];
    const nodes = deployment.urls.length;
    // Pair i is connection i of both agents: node by node, in the same order.
    const blocks = evenShares(spec.pairs, nodes);
    for (const [node, [first, count]] of blocks.entries())
      await openOn(receivers, deployment, dialect, node + 1, `${kind}-receiver-`, first, count);
    const plan = { prefix, first: 0 };
    if (kind === "pairs") await receivers.subscribe(plan, OPEN_TIMEOUT_MS);
    else await receivers.register(plan, OPEN_TIMEOUT_MS);
    for (const [node, [first, count]] of blocks.entries())
      await openOn(rig.senders, deployment, dialect, node, `${kind}-sender-`, first, count);

    const phase = (rounds: number) =>
      measureDeliveries(
        rig,
        spec.pairs,
        { kind: kind === "pairs" ? "publish" : "send", plan, perConnection: rounds, window: 1 },
        () => rounds,
      );
    await warmUp(() => phase(spec.rounds));
    return crossRun(await phase(spec.rounds));
  } finally {
    await rig.close();
  }
}
