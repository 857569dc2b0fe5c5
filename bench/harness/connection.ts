import type { Socket } from "node:net";
import WebSocket from "ws";
import type { Dialect, Frame, FrameSink } from "../systems/dialect.js";

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
  private corked = false;

  constructor(
    readonly ws: WebSocket,
    private readonly counter: DeliveryCounter,
  ) {
    ws.on("close", (code: number) => this.fail(`connection closed (${code})`));
    ws.on("error", (error: Error) => this.fail(`connection error: ${error.message}`));
  }

  send(frame: Frame): void {
    this.write(frame);
  }

  /** Sends a request; resolves on its success reply, rejects on a failure reply or a close. */
  request(frame: Frame): Promise<void> {
    if (this.closedReason !== undefined) return Promise.reject(new Error(this.closedReason));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.write(frame);
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

  /**
   * What a turn sends goes out in one socket write, as client libraries that buffer their output do (nats.js,
   * engine.io's write buffer): one system call per frame would make the load generator, on the same 2 cores as
   * the servers, the busiest process of a run and what it measures.
   */
  private write(frame: Frame): void {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (!this.corked && socket !== undefined) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    this.ws.send(frame);
  }

  private fail(reason: string): void {
    this.closedReason ??= reason;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(reason));
  }
}

/** Opens a WebSocket (no compression) that speaks `dialect`; rejects if the upgrade fails or takes `timeoutMs`. */
export async function openConnection(
  url: string,
  dialect: Dialect,
  counter: DeliveryCounter,
  timeoutMs: number,
): Promise<BenchConnection> {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
  const connection = new BenchConnection(ws, counter);
  ws.on("message", dialect.reader(connection));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
    ws.once("close", (code: number) => reject(new Error(`closed before it opened (${code})`)));
  });
  return connection;
}
