import type { Owner } from "./seam.js";

/**
 * Owners on other nodes that recent sends reached, per channel: the next send to the channel goes straight to
 * that owner's node, without looking its record up first. Safe because the owner's node is the one that decides:
 * it delivers only to that live owner while it holds its lease, and answers anything else when the owner has
 * moved, so the sender forgets the entry and looks the record up then. Bounded: past `limit` channels the oldest
 * entry goes.
 */
export class KnownOwners {
  private readonly owners = new Map<string, Owner>();

  constructor(private readonly limit = 10_000) {}

  get(channel: string): Owner | undefined {
    return this.owners.get(channel);
  }

  remember(channel: string, owner: Owner): void {
    if (this.owners.size >= this.limit && !this.owners.has(channel)) {
      const oldest = this.owners.keys().next();
      if (oldest.done !== true) this.owners.delete(oldest.value);
    }
    this.owners.set(channel, owner);
  }

  /** Forgets `channel`'s entry if it still names `owner`. */
  forget(channel: string, owner: Owner): void {
    const known = this.owners.get(channel);
    if (known?.nodeId === owner.nodeId && known.sessionId === owner.sessionId) this.owners.delete(channel);
  }
}
