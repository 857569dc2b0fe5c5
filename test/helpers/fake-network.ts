import type { DirectMessage } from "../../src/core/node-messages.js";
import type { AdapterFactory, NodeEvents, Owner } from "../../src/index.js";
import { Prng } from "./fuzz/prng.js";

/** How the fake network treats a message between two nodes: when it arrives, if ever. */
export interface Weather {
  /** Each message arrives after a random delay up to this (so messages overtake one another). Default 5. */
  maxDelayMs?: number;
  /** Whether this message is lost on its way. Default: none is. */
  drops?(message: DirectMessage, to: string): boolean;
}

interface FakeNode {
  events: NodeEvents;
  /** Whether the node holds its lease (deliveries to its owners are allowed). */
  leased: boolean;
  /** Whether its heartbeat record exists: only its absence proves it dead. */
  alive: boolean;
  /** Whether it takes messages from the network (a paused or stopped node does not). */
  listening: boolean;
}

/**
 * An in-memory stand-in for a Redis deployment, for unit tests of the core's node-to-node rules: a shared owner
 * registry with the same compare-and-delete and dead-node takeover rules, and a backplane whose direct messages
 * are delayed at random, reordered, and dropped as `weather` says.
 */
export class FakeNetwork {
  readonly records = new Map<string, Owner>();
  readonly nodes = new Map<string, FakeNode>();
  /** Messages sent and not yet delivered or dropped. */
  inFlight = 0;
  /** Owner records looked up (ownerOf), by every node. */
  lookups = 0;
  private readonly random: Prng;

  constructor(
    public weather: Weather = {},
    seed = 1,
  ) {
    this.random = new Prng(seed);
  }

  node(nodeId: string): FakeNode {
    const node = this.nodes.get(nodeId);
    if (node === undefined) throw new Error(`no node ${nodeId}`);
    return node;
  }

  /** An adapter for a node named `nodeId` on this network. */
  adapter(nodeId: string): AdapterFactory {
    return ({ events }) => {
      const self: FakeNode = { events, leased: true, alive: true, listening: true };
      this.nodes.set(nodeId, self);
      const records = this.records;
      return {
        registry: {
          nodeId,
          claim: (channel, sessionId) => {
            const holder = records.get(channel);
            if (holder !== undefined && holder.nodeId !== nodeId && this.nodes.get(holder.nodeId)?.alive)
              return false;
            records.set(channel, { nodeId, sessionId });
            return true;
          },
          release: (channel, owner) => {
            const holder = records.get(channel);
            if (holder?.nodeId === owner.nodeId && holder.sessionId === owner.sessionId)
              records.delete(channel);
          },
          ownerOf: (channel) => {
            this.lookups++;
            return records.get(channel);
          },
          isAlive: (id) => this.nodes.get(id)?.alive ?? false,
          mayDeliver: () => self.leased,
        },
        backplane: {
          subscribe: () => undefined,
          unsubscribe: () => undefined,
          publish: () => undefined,
          direct: (to, message) => this.carry(nodeId, to, message),
        },
        health: () => ({ fields: { dist: "fake" } }),
        close: async () => {
          self.alive = false;
          self.listening = false;
        },
      };
    };
  }

  private carry(from: string, to: string, message: DirectMessage): boolean {
    const target = this.nodes.get(to);
    if (target === undefined || !target.listening) return false;
    if (this.weather.drops?.(message, to)) return true;
    this.inFlight++;
    setTimeout(
      () => {
        this.inFlight--;
        if (target.listening) target.events.direct(from, message);
      },
      this.random.next() * (this.weather.maxDelayMs ?? 5),
    );
    return true;
  }
}
