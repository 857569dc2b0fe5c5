import { Agent } from "./agent.js";
import type { AgentRequest, AgentResponse } from "./agent-handle.js";

/** A load-generator worker: one Agent, driven by its parent over IPC; it ends when the parent lets go. */
const agent = new Agent();
const methods = agent as unknown as Record<string, (...args: unknown[]) => unknown>;

process.on("message", async ({ id, method, args }: AgentRequest) => {
  let response: AgentResponse;
  try {
    response = { id, result: await methods[method]?.apply(agent, args) };
  } catch (error) {
    response = { id, error: error instanceof Error ? error.message : String(error) };
  }
  process.send?.(response);
});
process.on("disconnect", () => {
  agent.close();
  process.exit(0);
});
