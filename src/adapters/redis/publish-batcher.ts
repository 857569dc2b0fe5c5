import { encodeBatch } from "./batches.js";

/** Sends one Redis message on a channel; resolves to the number of receivers. */
export type PublishOne = (channel: string, message: Buffer) => Promise<number>;

/** The messages for one channel that go out in one Redis message, and the promise they share. */
interface Batch {
  readonly channel: string;
  readonly messages: Buffer[];
  bytes: number;
  readonly sent: Promise<number>;
  resolve(receivers: number): void;
  reject(error: unknown): void;
}

/** Largest batch, in bytes: Redis buffers a subscriber's output (32 MB by default before it cuts one). */
const MAX_BATCH_BYTES = 512 * 1024;

/**
 * The messages a node sends in one event-loop turn, one Redis message per channel (see batches.ts): a
 * hundred publishes of a turn cost Redis one PUBLISH and each subscribing node one read, not a hundred. Order
 * per channel is kept. The messages of one batch share one promise, which settles with the batch's PUBLISH: a
 * caller gets the same promise as the others of its turn (one promise per batch, not per message, is what makes a
 * client with a thousand publishes in flight cheap).
 */
export class PublishBatcher {
  /** The batch still open for each channel in this turn. */
  private open = new Map<string, Batch>();
  /** Batches of this turn that were full before it ended, in the order they filled. */
  private full: Batch[] = [];
  private scheduled = false;

  constructor(private readonly publishOne: PublishOne) {}

  publish(channel: string, message: Buffer): Promise<number> {
    const size = message.length + 4;
    let batch = this.open.get(channel);
    if (batch !== undefined && batch.bytes + size > MAX_BATCH_BYTES) {
      this.full.push(batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = newBatch(channel);
      this.open.set(channel, batch);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    }
    batch.messages.push(message);
    batch.bytes += size;
    return batch.sent;
  }

  private readonly flush = (): void => {
    const { full, open } = this;
    this.full = [];
    this.open = new Map();
    this.scheduled = false;
    // The full batches of a channel filled before its open one: sent first, order per channel is kept.
    for (const batch of full) this.send(batch);
    for (const batch of open.values()) this.send(batch);
  };

  private send(batch: Batch): void {
    const { messages } = batch;
    const message = messages.length === 1 ? (messages[0] as Buffer) : encodeBatch(messages);
    let sent: Promise<number>;
    try {
      sent = this.publishOne(batch.channel, message);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(batch.resolve, batch.reject);
  }
}

function newBatch(channel: string): Batch {
  let resolve!: (receivers: number) => void;
  let reject!: (error: unknown) => void;
  const sent = new Promise<number>((resolveSent, rejectSent) => {
    resolve = resolveSent;
    reject = rejectSent;
  });
  return { channel, messages: [], bytes: 0, sent, resolve, reject };
}
