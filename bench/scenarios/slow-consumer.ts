import type { Socket } from "node:net";
import WebSocket from "ws";
import { assertComplete } from "../harness/measure-deliveries.js";
import type { DeliveryMeasurement } from "../harness/records.js";
import { OPEN_TIMEOUT_MS, openAll, type Rig, startRig } from "../harness/rig.js";
import { untilServerIdle } from "../harness/server-idle.js";
import { forkNodeServer } from "../harness/server-process.js";
import { withTimeout } from "../harness/timeout.js";
import { type System, systemById } from "../systems/systems.js";
import { publishPhase } from "./fanout.js";

export interface SlowConsumerSpec {
  subscribers: number;
  /** Publishes in flight. */
  window: number;
  phaseMs: number;
  maxDeliveries: number;
  /** Runs of each case, interleaved. */
  repeats: number;
}

export interface SlowConsumerResult {
  case: string;
  run: number;
  measurement: DeliveryMeasurement;
}

const CHANNEL = "fanout";
const FILL_CHANNEL = "fill";
/** Published on FILL_CHANNEL before the phase: more than the kernel's socket buffers take. */
const FILL_MESSAGES = 160;
const FILL_BYTES = 64 * 1024;
/**
 * The byte limit raised so that the stalled subscriber stays through the whole phase, its queue growing: the
 * phase shows what it costs the others while it is there (the cut itself: test/e2e/slow-consumer.test.ts).
 */
const WEST_OPTIONS = { slowConsumerBytes: 1024 * 1024 * 1024, slowConsumerStallMs: 600_000 };

/**
 * WEST-TS alone: one publisher and `subscribers` subscribers on one channel, measured without and with one more
 * subscriber that has stopped reading (its TCP socket paused, its socket buffers already full), in the same run.
 * The others' deliveries/s and the server's CPU per delivery (the others' deliveries) are reported, not asserted.
 */
export async function runSlowConsumer(spec: SlowConsumerSpec): Promise<SlowConsumerResult[]> {
  const west: System = { ...systemById("west"), start: () => forkNodeServer("west", WEST_OPTIONS) };
  const rig = await startRig(west, 0);
  try {
    const url = rig.server.url;
    await openAll(rig.receivers, { url, dialect: "west-json", keyPrefix: "sub-" }, spec.subscribers);
    await Promise.all(rig.receivers.map((agent) => agent.subscribe({ fixed: CHANNEL }, OPEN_TIMEOUT_MS)));
    await openAll([rig.senders], { url, dialect: "west-json", keyPrefix: "pub-" }, 1);
    const phase = publishPhase(rig, CHANNEL, spec);
    assertComplete(await phase(100, 10), "warm-up");
    const results: SlowConsumerResult[] = [];
    for (let run = 1; run <= spec.repeats; run++) {
      results.push({
        case: `${spec.subscribers} subscribers`,
        run,
        measurement: assertComplete(await phase(spec.window, spec.window, spec.phaseMs), "no stalled"),
      });
      const stalled = await stalledSubscriber(rig, run);
      try {
        await untilServerIdle(rig.server);
        results.push({
          case: `${spec.subscribers} subscribers + 1 stalled`,
          run,
          measurement: assertComplete(await phase(spec.window, spec.window, spec.phaseMs), "stalled"),
        });
      } finally {
        stalled.terminate();
      }
    }
    return results;
  } finally {
    await rig.close();
  }
}

/** A JSON client subscribed to CHANNEL that has stopped reading after its socket buffers filled up. */
async function stalledSubscriber(rig: Rig, run: number): Promise<WebSocket> {
  const stalled = await openJson(rig.server.url, `stalled-${run}`);
  await request(stalled, { event: "subscribe", channel: CHANNEL });
  await request(stalled, { event: "subscribe", channel: FILL_CHANNEL });
  (stalled as unknown as { _socket: Socket })._socket.pause();
  const filler = await openJson(rig.server.url, `filler-${run}`);
  const data = "x".repeat(FILL_BYTES);
  for (let i = 0; i < FILL_MESSAGES; i++)
    await request(filler, { event: "publish", channel: FILL_CHANNEL, data });
  filler.close();
  return stalled;
}

async function openJson(url: string, key: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url}/websocket/json/${key}`);
  await withTimeout(
    new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    }),
    OPEN_TIMEOUT_MS,
    `${key} to open`,
  );
  return ws;
}

/** Sends `command` and waits for the next frame, its reply. */
async function request(ws: WebSocket, command: object): Promise<void> {
  const reply = new Promise((resolve) => ws.once("message", resolve));
  ws.send(JSON.stringify(command));
  await withTimeout(reply, OPEN_TIMEOUT_MS, `the reply to ${JSON.stringify(command).slice(0, 80)}`);
}
