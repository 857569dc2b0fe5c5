import type WebSocket from "ws";
import type { Frame, FrameSink } from "../systems/dialect.js";

/** Where a connection reports its deliveries (the agent that counts them). */
export interface DeliveryCounter {
  delivered(frame: Buffer, at: number): void;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/** One load-generator client: its requests wait for their replies in order; its deliveries are counted. */
export class BenchConnection implements FrameSink {
  /** Deliveries since the agent last reset it. */
  received = 0;
  /** Replies that came with no request waiting (a protocol surprise, reported as an error). */
  strayReplies = 0;
  private readonly waiting: Waiter[] = [];
  private closedReason: string | undefined;

  constructor(
    readonly ws: WebSocket,
    private readonly counter: DeliveryCounter,
  ) {
    ws.on("close", (code: number) => this.fail(`connection closed (${code})`));
    ws.on("error", (error: Error) => this.fail(`connection error: ${error.message}`));
  }

  send(frame: Frame): void {
    this.ws.send(frame);
  }

  /** Sends a request; resolves on its success reply, rejects on a failure reply or a close. */
  request(frame: Frame): Promise<void> {
    if (this.closedReason !== undefined) return Promise.reject(new Error(this.closedReason));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.ws.send(frame);
    });
  }

  reply(ok: boolean, frame: Buffer): void {
    const waiter = this.waiting.shift();
    if (waiter === undefined) this.strayReplies++;
    else if (ok) waiter.resolve();
    else waiter.reject(new Error(`request failed: ${frame.toString("utf8", 0, 200)}`));
  }

  delivery(frame: Buffer, at: number): void {
    this.received++;
    this.counter.delivered(frame, at);
  }

  get closed(): string | undefined {
    return this.closedReason;
  }

  private fail(reason: string): void {
    this.closedReason ??= reason;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(reason));
  }
}
