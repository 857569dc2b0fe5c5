import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { after } from "node:test";
import WebSocket from "ws";
import { MessageType } from "../../src/protocols/pb.js";
import { Wakeup } from "./wakeup.js";
import { pbFrame } from "./ws-client.js";

/**
 * Protobuf clients for streams of numbered messages too large to keep: a payload carries its sequence number
 * in its first 4 bytes and repeats its low byte after, so that a receiver checks order and content as it goes.
 */
function payload(seq: number, bytes: number): Buffer {
  const data = Buffer.alloc(bytes, seq & 0xff);
  data.writeUInt32BE(seq, 0);
  return data;
}

interface Decoded {
  event: string;
  id?: string;
  data?: Uint8Array;
}

/** One pb WebSocket; `changes` wakes on every frame and on close. */
class PbSocket {
  /** Events of the frames other than deliveries, in order. */
  readonly replies: string[] = [];
  closeCode: number | undefined;
  closeReason = "";
  protected readonly changes = new Wakeup();

  constructor(readonly ws: WebSocket) {
    ws.on("message", (frame: Buffer) => {
      const message = MessageType.decode(frame) as unknown as Decoded;
      if (message.event === "new_message") this.onDelivery(message);
      else this.replies.push(message.event);
      this.changes.wake();
    });
    ws.on("close", (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString("utf8");
      this.changes.wake();
    });
    ws.on("error", () => undefined);
    after(() => ws.terminate());
  }

  protected onDelivery(_message: Decoded): void {
    throw new Error("unexpected delivery");
  }

  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.changes.until(condition, timeoutMs, what);
  }

  async closed(timeoutMs: number): Promise<{ code: number; reason: string }> {
    await this.until(() => this.closeCode !== undefined, timeoutMs, "the socket to close");
    return { code: this.closeCode as number, reason: this.closeReason };
  }

  /** The TCP socket under the WebSocket: pausing it stops reading, so the server's writes back up. */
  get tcp(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }
}

async function open(wsUrl: string, key: string): Promise<WebSocket> {
  const ws = new WebSocket(`${wsUrl}/websocket/pb/${key}`);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return ws;
}

/** A subscriber that counts deliveries and records the first one out of order or with the wrong content. */
export class StreamSubscriber extends PbSocket {
  received = 0;
  fault: string | undefined;

  static async open(wsUrl: string, key: string, channel: string, bytes: number): Promise<StreamSubscriber> {
    const subscriber = new StreamSubscriber(await open(wsUrl, key), bytes);
    subscriber.ws.send(pbFrame({ event: "subscribe", channel }));
    await subscriber.until(
      () => subscriber.replies.includes("subscription_succeeded"),
      5000,
      `${key} to subscribe`,
    );
    return subscriber;
  }

  private constructor(
    ws: WebSocket,
    private readonly bytes: number,
  ) {
    super(ws);
  }

  protected override onDelivery(message: Decoded): void {
    const data = Buffer.from(message.data ?? []);
    const seq = this.received++;
    if (data.length !== this.bytes || data.readUInt32BE(0) !== seq || data.at(-1) !== (seq & 0xff))
      this.fault ??= `delivery ${seq} is wrong: ${data.length} bytes, numbered ${data.readUInt32BE(0)}`;
  }
}

/** A publisher that keeps at most `window` publishes unanswered; `replies` holds their answers. */
export class StreamPublisher extends PbSocket {
  static async open(wsUrl: string, key: string): Promise<StreamPublisher> {
    return new StreamPublisher(await open(wsUrl, key));
  }

  /** Publishes messages 0..count-1 of `bytes` each; with `bytesPerSecond`, no faster than that. */
  async publish(
    channel: string,
    options: { count: number; bytes: number; window: number; bytesPerSecond?: number },
  ): Promise<void> {
    const { count, bytes, window, bytesPerSecond } = options;
    const started = Date.now();
    for (let seq = 0; seq < count; seq++) {
      if (seq - this.replies.length >= window)
        await this.until(() => seq - this.replies.length < window, 20_000, `reply ${seq - window}`);
      if (bytesPerSecond !== undefined) {
        const due = started + (seq * bytes * 1000) / bytesPerSecond;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      this.ws.send(pbFrame({ event: "publish", channel, id: String(seq), data: payload(seq, bytes) }));
    }
    await this.until(() => this.replies.length === count, 20_000, "every publish to be answered");
  }
}

/** The resident set size of process `pid`, in bytes (Linux). */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}
