import { after } from "node:test";
import WebSocket from "ws";
import type { WestNode } from "../../src/index.js";
import { startWest } from "../../src/index.js";
import type { WestOptions } from "../../src/options.js";
import type { ProtocolName } from "../../src/protocols/codec.js";
import { MessageType } from "../../src/protocols/pb.js";

/** A node listening on a free loopback port, stopped when the test file ends. */
export async function listeningNode(options: WestOptions = {}): Promise<WestNode & { wsUrl: string }> {
  const node = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent", ...options });
  after(() => node.stop());
  return Object.assign(node, { wsUrl: (node.url as string).replace(/^http/, "ws") });
}

/** One frame as received: text frames as strings, binary frames as Buffers. */
export type Received = string | Buffer;

/** A real WebSocket client that queues what it receives, for step-by-step assertions. */
export class TestSocket {
  readonly received: Received[] = [];
  closeCode: number | undefined;
  private waiters: (() => void)[] = [];
  private readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.received.push(isBinary ? data : data.toString("utf8"));
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code: number) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      });
    });
    ws.on("error", () => undefined);
    after(() => ws.terminate());
  }

  send(frame: string | Uint8Array): void {
    this.ws.send(frame);
  }

  /** Waits until `count` frames have arrived in all (default: one more than now), then returns the newest. */
  async next(timeoutMs = 2000): Promise<Received> {
    const wanted = this.received.length + 1;
    await this.until(() => this.received.length >= wanted, timeoutMs, "a frame");
    return this.received[wanted - 1] as Received;
  }

  /** Takes the oldest unread frame, waiting for one if none is queued. */
  async take(timeoutMs = 2000): Promise<Received> {
    await this.until(() => this.received.length > 0, timeoutMs, "a frame");
    return this.received.shift() as Received;
  }

  /** Resolves with the close code once the socket is closed. */
  async closedWith(timeoutMs = 2000): Promise<number> {
    await this.until(() => this.closeCode !== undefined, timeoutMs, "the socket to close");
    return this.closed;
  }

  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Opens `/websocket/{protocol}/{key}` and resolves once the socket is open. */
export function connect(wsUrl: string, protocol: ProtocolName, key: string, query = ""): Promise<TestSocket> {
  const ws = new WebSocket(`${wsUrl}/websocket/${protocol}/${encodeURIComponent(key)}${query}`);
  const socket = new TestSocket(ws);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(socket));
    ws.once("unexpected-response", (_request, response) =>
      reject(new Error(`upgrade refused: ${response.statusCode}`)),
    );
    ws.once("error", reject);
  });
}

/** Encodes a protobuf Message the way an original WEST protobuf client does. */
export function pbFrame(fields: {
  event: string;
  channel?: string;
  id?: string;
  data?: Uint8Array | string;
}): Uint8Array {
  const data = typeof fields.data === "string" ? Buffer.from(fields.data, "utf8") : fields.data;
  return MessageType.encode({ ...fields, ...(data === undefined ? {} : { data }) }).finish();
}

/** Decodes a received protobuf frame into a plain object (data as a Buffer). */
export function pbMessage(frame: Received): Record<string, unknown> {
  if (typeof frame === "string")
    throw new Error(`expected a binary frame, got text ${JSON.stringify(frame)}`);
  return MessageType.toObject(MessageType.decode(frame)) as Record<string, unknown>;
}
