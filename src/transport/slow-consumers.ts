import type { Duplex } from "node:stream";
import WebSocket from "ws";
import type { Counters } from "../core/counters.js";
import type { Session } from "../core/session.js";
import type { Logger } from "../log.js";
import type { ProtocolName } from "../protocols/codec.js";
import { kernelQueuedBytes } from "./ws-internals.js";

/** docs/protocol.md, "Close codes": a slow consumer. */
const SLOW_CLOSE_CODE = 4001;
const SLOW_CLOSE_REASON = "slow";

export interface SlowConsumerLimits {
  /** A delivery that would take a connection's queued outgoing bytes past this cuts the connection. */
  maxQueuedBytes: number;
  /** A connection whose queued bytes do not move for this long is cut; a cut one is dropped this long after. */
  stallMs: number;
}

export type SlowRule = "bytes" | "stall";

/** One WebSocket connection's outgoing queue, as the slow-consumer rules see it. */
export interface OutgoingQueue {
  readonly socket: WebSocket;
  readonly connection: Duplex;
  readonly session: Session;
  readonly protocol: ProtocolName;
  /**
   * Bytes of frames queued for the connection so far (the deliverer adds each frame's length as it queues it;
   * the tick's outbox is written by the time a sweep looks). Minus the connection's writableLength, the bytes
   * whose write has completed; ws's own small frames (ping, close) are not counted, so while one of them waits
   * in the queue this reads a few bytes low, never high.
   */
  offered: number;
  /** When a sweep last saw this queue move, or 0 while it is empty. */
  progressAt: number;
  /** What the last sweep saw: bytes completed and bytes still in the kernel-bound write. */
  completed: number;
  pending: number;
  /** Closes the socket after the frames already queued for it. */
  close(code: number, reason: string): void;
}

/**
 * The slow-consumer rules (issue #6): a connection whose queued outgoing bytes would pass `maxQueuedBytes`, or
 * whose queue does not move for `stallMs`, is closed with 4001 "slow". Nothing here ever waits on a socket, so a
 * slow one costs the publisher and the other subscribers nothing.
 *
 * The byte rule is one comparison per delivery, made by the deliverer (`exceeds`). The stall rule is one timer for
 * the whole node: every `stallMs / 4` (at most every second) a sweep looks at each connection's queue; an empty
 * one costs a read of writableLength, and one that has bytes is stalled when neither a write completed nor the
 * write in flight got shorter since the sweep before. A connection that drains normally never gets a timer of
 * its own; only a cut one does, to drop it if it does not read its backlog and the close frame in time.
 */
export class SlowConsumers {
  private readonly queues = new Set<OutgoingQueue>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly limits: SlowConsumerLimits,
    private readonly logger: Logger,
    private readonly counters: Counters,
  ) {
    const intervalMs = Math.max(1, Math.min(1000, Math.floor(limits.stallMs / 4)));
    this.sweeper = setInterval(() => this.sweep(), intervalMs);
    this.sweeper.unref();
  }

  watch(queue: OutgoingQueue): void {
    this.queues.add(queue);
  }

  forget(queue: OutgoingQueue): void {
    this.queues.delete(queue);
  }

  /**
   * Whether `frameBytes` more on top of `queuedBytes` would pass the byte limit. A frame bigger than the limit still goes to a
   * connection whose queue is empty: the limit is on a backlog, not on one message.
   */
  exceeds(queuedBytes: number, frameBytes: number): boolean {
    return queuedBytes + frameBytes > this.limits.maxQueuedBytes && queuedBytes > 0;
  }

  /**
   * Closes the connection with 4001 "slow" and its session at once. The close frame waits behind the backlog, so
   * a client that resumes reading sees it; one that does not read within `stallMs` is dropped, freeing the backlog
   * sooner than ws's own 30 s close timeout would.
   */
  cut(queue: OutgoingQueue, rule: SlowRule): void {
    const { socket, connection, session } = queue;
    if (socket.readyState !== WebSocket.OPEN) return;
    this.forget(queue);
    this.counters.slowConsumerCuts++;
    this.logger.warn(
      {
        key: session.key,
        protocol: queue.protocol,
        session: session.id,
        rule,
        queuedBytes: connection.writableLength,
      },
      "slow consumer cut",
    );
    queue.close(SLOW_CLOSE_CODE, SLOW_CLOSE_REASON);
    const drop = setTimeout(() => socket.terminate(), this.limits.stallMs);
    drop.unref();
    socket.once("close", () => clearTimeout(drop));
    session
      .close()
      .catch((error: unknown) =>
        this.logger.error({ err: error, key: session.key }, "cleanup after a slow-consumer cut failed"),
      );
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const queue of this.queues) {
      const queued = queue.connection.writableLength;
      if (queued === 0) {
        queue.progressAt = 0;
        continue;
      }
      const completed = queue.offered - queued;
      const pending = kernelQueuedBytes(queue.connection);
      const moved = queue.progressAt === 0 || completed > queue.completed || pending < queue.pending;
      queue.completed = completed;
      queue.pending = pending;
      if (moved) queue.progressAt = now;
      else if (now - queue.progressAt >= this.limits.stallMs) this.cut(queue, "stall");
    }
  }
}
