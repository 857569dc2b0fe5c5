import type { System } from "../systems/systems.js";
import type { OpenResult, OpenSpec } from "./agent.js";
import { type AgentHandle, localAgent, workerAgent } from "./agent-handle.js";
import type { ChannelPlan } from "./channel-plan.js";
import type { ServerProcess } from "./server-process.js";

/** Connections being set up at once, per load process. */
const CONNECT_CONCURRENCY = 100;
export const OPEN_TIMEOUT_MS = 30_000;

/**
 * A server under test and its load: `senders` (publishers, point-to-point senders) in this process, and
 * `receivers` in this process or spread over worker processes.
 */
export interface Rig {
  server: ServerProcess;
  senders: AgentHandle;
  receivers: AgentHandle[];
  close(): Promise<void>;
}

export async function startRig(system: System, workers: number): Promise<Rig> {
  const server = await system.start();
  const senders = localAgent();
  const receivers: AgentHandle[] = [];
  try {
    if (workers === 0) receivers.push(localAgent());
    else for (let i = 0; i < workers; i++) receivers.push(await workerAgent());
  } catch (error) {
    await Promise.allSettled(receivers.map((agent) => agent.close()));
    await server.stop();
    throw error;
  }
  return {
    server,
    senders,
    receivers,
    async close() {
      await Promise.allSettled([senders, ...receivers].map((agent) => agent.close()));
      await server.stop();
    },
  };
}

export type ConnectSpec = Pick<OpenSpec, "url" | "dialect" | "keyPrefix">;

/** Where a share of `count` connections starts and how many it has, for each of `agents`. */
export function shares(
  agents: AgentHandle[],
  count: number,
): { agent: AgentHandle; first: number; count: number }[] {
  const base = Math.floor(count / agents.length);
  let first = 0;
  return agents.map((agent, i) => {
    const share = base + (i < count % agents.length ? 1 : 0);
    const slice = { agent, first, count: share };
    first += share;
    return slice;
  });
}

/** Opens `count` connections spread evenly over `agents`, all at once; the agents' results in order. */
export function openSpread(agents: AgentHandle[], spec: ConnectSpec, count: number): Promise<OpenResult[]> {
  return Promise.all(
    shares(agents, count).map(({ agent, first, count: share }) =>
      agent.open({
        ...spec,
        first,
        count: share,
        concurrency: CONNECT_CONCURRENCY,
        timeoutMs: OPEN_TIMEOUT_MS,
      }),
    ),
  );
}

/** As openSpread, failing unless every connection opened. */
export async function openAll(agents: AgentHandle[], spec: ConnectSpec, count: number): Promise<void> {
  const results = await openSpread(agents, spec, count);
  const failed = results.reduce((sum, result) => sum + result.failed, 0);
  if (failed > 0) {
    const error = results.find((result) => result.error !== undefined)?.error;
    throw new Error(`${failed} of ${count} connections failed to open: ${error}`);
  }
}

/** The plan that gives connection i of the whole spread the channel `${prefix}${i}`, for each agent's share. */
export function spreadPlans(
  agents: AgentHandle[],
  count: number,
  prefix: string,
): [AgentHandle, ChannelPlan][] {
  return shares(agents, count).map(({ agent, first }) => [agent, { prefix, first }]);
}
