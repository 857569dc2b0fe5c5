import type { AdapterCalls } from "./adapter-calls.js";
import type { NodeInfo } from "./message.js";
import type { NodeRequests } from "./node-requests.js";
import type { Awaitable, NodeStats, SystemNode } from "./seam.js";

/** This node's part: its sessions, as the system-wide commands need them. */
export interface LocalNode {
  /** Closes every WebSocket of `key` here with 4003; how many. */
  disconnect(key: string): number;
  stats(): NodeStats;
}

/**
 * The HTTP API's commands about the whole system: `disconnect` asks every live node (from the node registry) to
 * close a key's WebSockets, over the same node-to-node requests as a send; `info` lists the live nodes.
 */
export class SystemAdmin {
  private readonly startedAt = Date.now();

  constructor(
    private readonly adapters: AdapterCalls,
    private readonly requests: NodeRequests,
    private readonly local: LocalNode,
  ) {}

  /**
   * Closes every WebSocket of `key` on every node: how many, and whether every node answered (a node that no one
   * hears, its inbox unheard, is gone and holds no connection).
   */
  async disconnect(key: string): Promise<{ closed: number; complete: boolean }> {
    const self = this.adapters.current.registry.nodeId;
    const others = (await this.nodes()).filter(({ nodeId }) => nodeId !== self);
    let closed = this.local.disconnect(key);
    let complete = true;
    await Promise.all(
      others.map(async ({ nodeId }) => {
        const answer = await this.requests.ask(nodeId, { type: "disconnect", key }).catch(() => "failed");
        if (answer === "unreachable") return;
        if (typeof answer === "object" && answer.type === "disconnect") closed += answer.closed;
        else complete = false;
      }),
    );
    return { closed, complete };
  }

  /** The live nodes, this one with its figures of now, the others with those of their last heartbeat. */
  async liveNodes(): Promise<SystemNode[]> {
    const self = this.adapters.current.registry.nodeId;
    const now = Date.now();
    const nodes = (await this.nodes()).map((node) =>
      node.nodeId === self ? { ...node, ...this.local.stats(), beatAt: now } : node,
    );
    if (!nodes.some(({ nodeId }) => nodeId === self))
      nodes.push({
        nodeId: self,
        url: undefined,
        startedAt: this.startedAt,
        beatAt: now,
        ...this.local.stats(),
      });
    return nodes;
  }

  /** The live nodes, as the HTTP API's `info` shows them. */
  async info(): Promise<NodeInfo[]> {
    const now = Date.now();
    return (await this.liveNodes()).map(
      ({ nodeId, url, startedAt, connections, registrations, subscriptions }) => {
        const info = {
          nodeId,
          connections,
          registrations,
          subscriptions,
          uptimeMs: Math.max(0, now - startedAt),
        };
        return url === undefined ? info : { ...info, url };
      },
    );
  }

  private async nodes(): Promise<readonly SystemNode[]> {
    return await this.adapters.call((adapter): Awaitable<readonly SystemNode[]> => adapter.nodes?.() ?? []);
  }
}
