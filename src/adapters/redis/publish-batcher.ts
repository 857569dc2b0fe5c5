import { encodeBatch } from "./batches.js";

/** Sends one Redis message on a channel; resolves to the number of receivers. */
export type PublishOne = (channel: string, message: Buffer) => Promise<number>;

interface Waiting {
  readonly message: Buffer;
  resolve(receivers: number): void;
  reject(error: unknown): void;
}

/** Largest batch, in bytes: Redis buffers a subscriber's output (32 MB by default before it cuts one). */
const MAX_BATCH_BYTES = 512 * 1024;

/**
 * The messages a node sends in one event-loop turn, one Redis message per channel (see batches.ts): a
 * hundred publishes of a turn cost Redis one PUBLISH and each subscribing node one read, not a hundred. Order
 * per channel is kept; each message's promise settles with its batch's PUBLISH.
 */
export class PublishBatcher {
  private pending = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(private readonly publishOne: PublishOne) {}

  publish(channel: string, message: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      let waiting = this.pending.get(channel);
      if (waiting === undefined) {
        waiting = [];
        this.pending.set(channel, waiting);
      }
      waiting.push({ message, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    const pending = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    for (const [channel, waiting] of pending) {
      let first = 0;
      let bytes = 0;
      for (let i = 0; i < waiting.length; i++) {
        bytes += (waiting[i] as Waiting).message.length + 4;
        if (bytes > MAX_BATCH_BYTES && i > first) {
          this.send(channel, waiting.slice(first, i));
          first = i;
          bytes = (waiting[i] as Waiting).message.length + 4;
        }
      }
      this.send(channel, first === 0 ? waiting : waiting.slice(first));
    }
  };

  private send(channel: string, waiting: Waiting[]): void {
    const message =
      waiting.length === 1
        ? (waiting[0] as Waiting).message
        : encodeBatch(waiting.map((entry) => entry.message));
    let sent: Promise<number>;
    try {
      sent = this.publishOne(channel, message);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (receivers) => {
        for (const entry of waiting) entry.resolve(receivers);
      },
      (error: unknown) => {
        for (const entry of waiting) entry.reject(error);
      },
    );
  }
}
