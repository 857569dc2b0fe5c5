import { startWest } from "../src/index.js";
import { type Measurement, measure } from "./measure.js";

export interface ScenarioResult extends Measurement {
  scenario: string;
  /** Plural name of the unit, for "N units/s". */
  unit: string;
}

/**
 * One publisher, `subscribers` native subscribers on one channel, with `history` publications kept on it or none;
 * a unit is one delivery.
 */
export async function inProcessFanout(
  history?: number,
  subscribers = 1_000,
  publishesPerBatch = 200,
): Promise<ScenarioResult> {
  const channels =
    history === undefined ? undefined : [{ match: "fanout", history: { size: history, ttlSeconds: 600 } }];
  const node = await startWest({
    port: false,
    logLevel: "silent",
    ...(channels === undefined ? {} : { channels }),
  });
  let received = 0;
  const onMessage = () => {
    received++;
  };
  for (let i = 0; i < subscribers; i++) await node.client(`sub${i}`, onMessage).sub("fanout");
  const publisher = node.client("publisher");
  const payload = "x".repeat(64);
  const batch = async () => {
    let last: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < publishesPerBatch; i++) last = publisher.pub("fanout", payload);
    await last;
  };
  const result = await measure(batch, publishesPerBatch * subscribers, 20);
  await node.stop();
  if (received !== (20 + 3) * publishesPerBatch * subscribers)
    throw new Error(`lost deliveries: ${received}`);
  return {
    scenario: `in-process fan-out: 1 publisher, ${subscribers} subscribers${history === undefined ? "" : `, history ${history}`}`,
    unit: "deliveries",
    ...result,
  };
}

/** `sends` point-to-point sends from one client to a registered owner; a unit is one send (= one delivery). */
export async function inProcessSends(sends = 100_000): Promise<ScenarioResult> {
  const node = await startWest({ port: false, logLevel: "silent" });
  let received = 0;
  const owner = node.client("owner", () => {
    received++;
  });
  await owner.reg("p2p");
  const sender = node.client("sender");
  const perBatch = 2_000;
  const batch = async () => {
    let last: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < perBatch; i++) last = sender.send("p2p", "x");
    await last;
  };
  const batches = Math.max(1, Math.round(sends / perBatch));
  const result = await measure(batch, perBatch, batches);
  await node.stop();
  if (received !== (batches + 3) * perBatch) throw new Error(`lost deliveries: ${received}`);
  return { scenario: `in-process point-to-point: ${batches * perBatch} sends`, unit: "sends", ...result };
}
