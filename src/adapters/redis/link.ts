/** A command argument or reply value as Redis sees it. */
export type RedisArgument = string | Buffer;

export type MessageListener = (message: Buffer) => void;

/**
 * The few Redis operations the Redis adapter needs, the same on one Redis (global mode) and on a Redis
 * Cluster (sharded mode: commands go to the shard of their key, pub/sub is sharded).
 */
export interface RedisLink {
  readonly mode: "global" | "sharded";
  /** Runs one command on the Redis that holds `key`; with `bytes`, its bulk replies come as Buffers (binary values). */
  command(key: string, args: RedisArgument[], bytes?: boolean): Promise<unknown>;
  /** PUBLISH (global) or SPUBLISH (sharded); resolves to the number of receivers. */
  publish(channel: string, message: Buffer): Promise<number>;
  /** Resolves once Redis confirmed the subscription. */
  subscribe(channel: string, listener: MessageListener): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /**
   * `handler` runs each time a connection to Redis (to any Cluster node) is lost: whatever that Redis held may be
   * gone when it comes back (a restart, a failover before replication).
   */
  onConnectionLost(handler: () => void): void;
  /** `handler` runs each time a connection is back after it was lost (not at the first connect). */
  onReconnect(handler: () => void): void;
  /** Every connection is up, as the clients know it now (no I/O). */
  isUp(): boolean;
  close(): Promise<void>;
}

/** Backoff between reconnection attempts: quick at first, at most 1 s apart. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, 1000);
}

/** Waits for `graceful` at most `ms`, then runs `force` (a Redis that is gone never answers a QUIT). */
export async function closeWithin(
  ms: number,
  graceful: () => Promise<unknown>,
  force: () => void,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  const outcome = await Promise.race([graceful().catch(() => "failed"), late]);
  clearTimeout(timer);
  if (outcome === "late" || outcome === "failed") force();
}
