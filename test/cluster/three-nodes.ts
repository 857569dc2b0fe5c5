import type { Message, WestClient, WestNode } from "../../src/index.js";
import { startWest } from "../../src/index.js";
import type { WestOptions } from "../../src/options.js";
import { Wakeup } from "../helpers/wakeup.js";

/** How the semantic suite gets its three nodes. */
export interface Mode {
  name: string;
  /**
   * Three nodes that share their channels (in local mode: the same node three times), with `extra` options; the
   * caller stops them.
   */
  start(extra?: WestOptions): Promise<[WestNode, WestNode, WestNode]>;
}

export const localMode: Mode = {
  name: "local",
  async start(extra = {}) {
    const node = await startNode(extra);
    return [node, node, node];
  },
};

/** The heartbeat TTL of the suites' Redis nodes: short, so that a dead node is found soon. */
export const HEARTBEAT_TTL_MS = 2000;

/** Three nodes on one Redis (global mode) or one Redis Cluster (sharded mode). */
export function redisMode(name: string, redis: () => NonNullable<WestOptions["redis"]>): Mode {
  return {
    name,
    async start(extra = {}) {
      const options: WestOptions = {
        ...extra,
        dist: "redis",
        redis: { heartbeatTtlMs: HEARTBEAT_TTL_MS, ...redis() },
      };
      return Promise.all([startNode(options), startNode(options), startNode(options)]);
    },
  };
}

/** An embedded node; whoever starts it stops it. */
function startNode(options: WestOptions): Promise<WestNode> {
  return startWest({ port: false, logLevel: "silent", ...options });
}

/** A native client that keeps what it receives and can wait for it. */
export class Inbox {
  readonly messages: Message[] = [];
  readonly client: WestClient;
  private readonly changes = new Wakeup();

  constructor(node: WestNode, key: string) {
    this.client = node.client(key, (message) => {
      this.messages.push(message);
      this.changes.wake();
    });
  }

  /** The data of the deliveries received on `channel`, in order. */
  data(channel: string): unknown[] {
    return this.messages.flatMap((m) => (m.event === "new_message" && m.channel === channel ? [m.data] : []));
  }

  /** Waits until `channel` has delivered `count` messages in all. */
  async waitFor(channel: string, count: number, timeoutMs = 5000): Promise<unknown[]> {
    await this.changes.until(() => this.data(channel).length >= count, timeoutMs, `${count} on ${channel}`);
    return this.data(channel);
  }
}
