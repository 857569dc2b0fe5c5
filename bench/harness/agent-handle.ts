import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import {
  Agent,
  type OpenResult,
  type OpenSpec,
  type PhaseResult,
  type SendResult,
  type SendSpec,
} from "./agent.js";
import type { ChannelPlan } from "./channel-plan.js";
import type { StormShare, StormSpec } from "./storm-clients.js";

/** An Agent in this process or in a worker process, driven through the same asynchronous calls. */
export interface AgentHandle {
  readonly pid: number;
  open(spec: OpenSpec): Promise<OpenResult>;
  storm(spec: StormSpec): Promise<StormShare>;
  subscribe(plan: ChannelPlan, timeoutMs: number): Promise<void>;
  register(plan: ChannelPlan, timeoutMs: number): Promise<void>;
  arm(): Promise<void>;
  settle(perConnection: number, quietMs: number, timeoutMs: number): Promise<PhaseResult>;
  publish(spec: SendSpec): Promise<SendResult>;
  usage(): Promise<number>;
  /** Drops every connection (and ends the worker process, for a remote agent). */
  close(): Promise<void>;
}

/** The methods a worker answers: the agent's own. */
export type AgentMethod =
  | "open"
  | "storm"
  | "subscribe"
  | "register"
  | "arm"
  | "settle"
  | "publish"
  | "usage"
  | "close";
export interface AgentRequest {
  id: number;
  method: AgentMethod;
  args: unknown[];
}
export type AgentResponse = { id: number; result: unknown } | { id: number; error: string };

export function localAgent(): AgentHandle {
  const agent = new Agent();
  return {
    pid: process.pid,
    open: async (spec) => agent.open(spec),
    storm: async (spec) => agent.storm(spec),
    subscribe: async (plan, timeoutMs) => agent.subscribe(plan, timeoutMs),
    register: async (plan, timeoutMs) => agent.register(plan, timeoutMs),
    arm: async () => agent.arm(),
    settle: async (perConnection, quietMs, timeoutMs) => agent.settle(perConnection, quietMs, timeoutMs),
    publish: async (spec) => agent.publish(spec),
    usage: async () => agent.usage(),
    close: async () => agent.close(),
  };
}

/** An Agent in a worker process of its own (bench/harness/agent-worker.ts), so that load spreads over cores. */
export async function workerAgent(): Promise<AgentHandle> {
  const child: ChildProcess = fork(new URL("./agent-worker.js", import.meta.url), {
    execArgv: [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await once(child, "spawn");
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let lastId = 0;
  let gone: string | undefined;
  child.on("message", (response: AgentResponse) => {
    const waiter = pending.get(response.id);
    pending.delete(response.id);
    if ("error" in response) waiter?.reject(new Error(response.error));
    else waiter?.resolve(response.result);
  });
  child.on("exit", (code, signal) => {
    gone = `load worker ${child.pid} exited (${signal ?? code})`;
    for (const waiter of pending.values()) waiter.reject(new Error(gone));
    pending.clear();
  });
  const call = <T>(method: AgentMethod, ...args: unknown[]): Promise<T> => {
    if (gone !== undefined) return Promise.reject(new Error(gone));
    const id = ++lastId;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, method, args } satisfies AgentRequest);
    });
  };
  return {
    pid: child.pid as number,
    open: (spec) => call("open", spec),
    storm: (spec) => call("storm", spec),
    subscribe: (plan, timeoutMs) => call("subscribe", plan, timeoutMs),
    register: (plan, timeoutMs) => call("register", plan, timeoutMs),
    arm: () => call("arm"),
    settle: (perConnection, quietMs, timeoutMs) => call("settle", perConnection, quietMs, timeoutMs),
    publish: (spec) => call("publish", spec),
    usage: () => call("usage"),
    async close() {
      if (gone !== undefined) return;
      const exited = once(child, "exit");
      await call("close").catch(() => undefined);
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
