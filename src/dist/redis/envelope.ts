import type { Data, Delivery } from "../../core/message.js";
import { DELIVERY_EVENT } from "../../core/message.js";

/** What travels between nodes through Redis. Binary and never lossy for bytes. */
export type Envelope =
  | { type: "publish"; origin: string; delivery: Delivery }
  | { type: "send"; origin: string; requestId: number; ownerSessionId: number; delivery: Delivery }
  | { type: "answer"; origin: string; requestId: number; delivered: boolean };

const TYPE = { publish: 1, send: 2, answer: 3 } as const;
const KIND = { text: 0, json: 1, binary: 2 } as const;

export function encodeEnvelope(envelope: Envelope): Buffer {
  const writer = new Writer();
  writer.byte(TYPE[envelope.type]);
  writer.text(envelope.origin);
  if (envelope.type === "answer") {
    writer.uint(envelope.requestId);
    writer.byte(envelope.delivered ? 1 : 0);
    return writer.finish();
  }
  if (envelope.type === "send") {
    writer.uint(envelope.requestId);
    writer.uint(envelope.ownerSessionId);
  }
  const { from, channel, data } = envelope.delivery;
  writer.text(from);
  writer.text(channel);
  if (typeof data === "string") {
    writer.byte(KIND.text);
    writer.text(data);
  } else if (data instanceof Uint8Array) {
    writer.byte(KIND.binary);
    writer.bytes(data);
  } else {
    writer.byte(KIND.json);
    writer.text(JSON.stringify(data));
  }
  return writer.finish();
}

/** Undefined for bytes that are not an envelope (another program on the same Redis channel). */
export function decodeEnvelope(bytes: Buffer): Envelope | undefined {
  try {
    const reader = new Reader(bytes);
    const type = reader.byte();
    const origin = reader.text();
    if (type === TYPE.answer) {
      return { type: "answer", origin, requestId: reader.uint(), delivered: reader.byte() === 1 };
    }
    if (type === TYPE.send) {
      const requestId = reader.uint();
      const ownerSessionId = reader.uint();
      return { type: "send", origin, requestId, ownerSessionId, delivery: readDelivery(reader) };
    }
    if (type === TYPE.publish) return { type: "publish", origin, delivery: readDelivery(reader) };
    return undefined;
  } catch {
    return undefined;
  }
}

function readDelivery(reader: Reader): Delivery {
  const from = reader.text();
  const channel = reader.text();
  const kind = reader.byte();
  let data: Data;
  if (kind === KIND.text) data = reader.text();
  else if (kind === KIND.binary) data = reader.bytes();
  else if (kind === KIND.json) data = JSON.parse(reader.text()) as Data;
  else throw new Error(`unknown data kind ${kind}`);
  return { event: DELIVERY_EVENT, from, channel, data };
}

class Writer {
  private readonly parts: Buffer[] = [];

  byte(value: number): void {
    this.parts.push(Buffer.of(value));
  }

  uint(value: number): void {
    const buffer = Buffer.allocUnsafe(4);
    buffer.writeUInt32BE(value >>> 0);
    this.parts.push(buffer);
  }

  text(value: string): void {
    this.bytes(Buffer.from(value, "utf8"));
  }

  bytes(value: Uint8Array): void {
    this.uint(value.byteLength);
    this.parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  byte(): number {
    return this.buffer.readUInt8(this.offset++);
  }

  uint(): number {
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  text(): string {
    return this.bytes().toString("utf8");
  }

  bytes(): Buffer {
    const length = this.uint();
    if (this.offset + length > this.buffer.length) throw new RangeError("truncated envelope");
    const value = Buffer.from(this.buffer.subarray(this.offset, this.offset + length));
    this.offset += length;
    return value;
  }
}
