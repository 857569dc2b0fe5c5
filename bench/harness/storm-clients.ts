import { setImmediate as nextTurn } from "node:timers/promises";
import type { Dialect, DialectName } from "../systems/dialect.js";
import { DIALECTS } from "../systems/dialects.js";
import { type ChannelPlan, channelOf } from "./channel-plan.js";
import { type BenchConnection, type DeliveryCounter, openConnection } from "./connection.js";
import { type HistogramData, LatencyHistogram } from "./latency-histogram.js";
import { nowMicros } from "./payload.js";
import { withTimeout } from "./timeout.js";

/**
 * Clients started per event-loop turn: none waits for another to connect, and between turns the load process
 * reads the replies that have come (one synchronous loop over thousands would charge its own length to every
 * client's time).
 */
export const LAUNCH_BATCH = 100;

/** One load process's share of a reconnect storm. */
export interface StormSpec {
  /** ws://host:port of the server. */
  url: string;
  dialect: DialectName;
  /** Client i has the key `${keyPrefix}${first + i}`... */
  keyPrefix: string;
  first: number;
  count: number;
  /** ...and subscribes to its channel of this plan. */
  plan: ChannelPlan;
  /** Client i's token, sent as the `token` query parameter; none with auth off. */
  tokens?: string[];
  /** A client not subscribed this long after its attempt began has failed. */
  timeoutMs: number;
}

export interface StormShare {
  clients: number;
  subscribed: number;
  /** Clients whose WebSocket never opened (refused, reset, timed out); never retried. */
  refused: number;
  /** Clients whose WebSocket opened but whose subscription was not acknowledged in time; never retried. */
  failed: number;
  /** The first error of either kind. */
  error?: string;
  firstAttemptMicros: number;
  lastAttemptMicros: number;
  /** The last subscribe reply (0: none came). */
  lastReplyMicros: number;
  /** Per subscribed client: from the start of its attempt to its subscribe reply. */
  perClient: HistogramData;
  /** This process's CPU time from its first attempt to its last client's outcome. */
  cpuMicros: number;
}

type Outcome = { connection: BenchConnection } | { refused: boolean; error: string };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Every client of `spec` starts connecting without waiting for any other, then subscribes; where the protocol
 * needs a hello first, after its reply (as socket.io-client and nats.js wait for theirs).
 */
export async function storm(
  spec: StormSpec,
  counter: DeliveryCounter,
): Promise<{ share: StormShare; connections: BenchConnection[] }> {
  const dialect = DIALECTS[spec.dialect];
  const perClient = new LatencyHistogram();
  const connections: BenchConnection[] = [];
  let refused = 0;
  let failed = 0;
  let error: string | undefined;
  let lastReplyMicros = 0;
  const cpuBefore = process.cpuUsage();
  const firstAttemptMicros = nowMicros();
  let lastAttemptMicros = firstAttemptMicros;
  const client = async (i: number) => {
    const begun = nowMicros();
    lastAttemptMicros = begun;
    const token = spec.tokens?.[i];
    const path = dialect.path(`${spec.keyPrefix}${spec.first + i}`);
    const url = spec.url + (token === undefined ? path : withToken(path, token));
    const outcome = await attempt(url, channelOf(spec.plan, i), dialect, counter, spec.timeoutMs);
    if ("connection" in outcome) {
      lastReplyMicros = nowMicros();
      perClient.record(lastReplyMicros - begun);
      connections.push(outcome.connection);
      return;
    }
    if (outcome.refused) refused++;
    else failed++;
    error ??= outcome.error;
  };
  const clients: Promise<void>[] = [];
  for (let i = 0; i < spec.count; i++) {
    if (i > 0 && i % LAUNCH_BATCH === 0) await nextTurn();
    clients.push(client(i));
  }
  await Promise.all(clients);
  const cpu = process.cpuUsage(cpuBefore);
  const share: StormShare = {
    clients: spec.count,
    subscribed: connections.length,
    refused,
    failed,
    ...(error === undefined ? {} : { error }),
    firstAttemptMicros,
    lastAttemptMicros,
    lastReplyMicros,
    perClient: perClient.data(),
    cpuMicros: cpu.user + cpu.system,
  };
  return { share, connections };
}

/** One client: connect, then (hello and) subscribe, all within `timeoutMs`; never throws. */
async function attempt(
  url: string,
  channel: string,
  dialect: Dialect,
  counter: DeliveryCounter,
  timeoutMs: number,
): Promise<Outcome> {
  const deadline = performance.now() + timeoutMs;
  let connection: BenchConnection;
  try {
    connection = await openConnection(url, dialect, counter, timeoutMs);
  } catch (caught) {
    return { refused: true, error: message(caught) };
  }
  const subscribed = async () => {
    if (dialect.needsHello) await connection.request(dialect.hello());
    await connection.request(dialect.subscribe(channel));
  };
  try {
    await withTimeout(subscribed(), Math.max(0, deadline - performance.now()), "the subscribe reply");
    return { connection };
  } catch (caught) {
    connection.ws.terminate();
    return { refused: false, error: message(caught) };
  }
}

/** `path` with the token as its `token` query parameter (a JWT is URL-safe as it is). */
function withToken(path: string, token: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}token=${token}`;
}
