/** Origins remembered per channel: nodes come and go (every restart is a new origin), old ones are dropped. */
const MAX_ORIGINS_PER_CHANNEL = 256;

/**
 * Drops a message that Redis hands over a second time. Messages one node publishes on one channel arrive in the
 * order it sent them, with increasing sequence numbers; one that is not above the last seen from its origin on that
 * channel was delivered already. (After a Redis Cluster failover, a node's sharded subscription can be made again
 * while the old one still runs, and each message then arrives twice.) A message that arrives after a later one
 * (only in a failover or a slot move) is dropped too: delivery is at most once.
 */
export class ReplayFilter {
  private readonly lastSeen = new Map<string, Map<string, number>>();

  /** Whether the message is new (and remembers it). */
  accept(channel: string, origin: string, seq: number): boolean {
    let origins = this.lastSeen.get(channel);
    if (origins === undefined) {
      origins = new Map();
      this.lastSeen.set(channel, origins);
    }
    const last = origins.get(origin);
    if (last !== undefined && seq <= last) return false;
    if (last === undefined && origins.size >= MAX_ORIGINS_PER_CHANNEL) {
      for (const oldest of origins.keys()) {
        origins.delete(oldest);
        break;
      }
    }
    origins.set(origin, seq);
    return true;
  }

  /** The node no longer listens on `channel`. */
  forget(channel: string): void {
    this.lastSeen.delete(channel);
  }
}
