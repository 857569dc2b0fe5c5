import type { Data, Delivery } from "./message.js";
import { DELIVERY_EVENT } from "./message.js";
import type { Owner } from "./seam.js";

/** A send to the owner of a channel on another node: `owner` is the record the sender's node found. */
export interface SendRequest {
  type: "send";
  owner: Owner;
  delivery: Delivery;
}

/**
 * What the owner's node did with a send: handed it to the live owner; found no such owner (it has deleted its
 * own stale record); or could not deliver because it does not hold its lease (the sender answers internal_error).
 */
export type SendOutcome = "delivered" | "not_owner" | "fenced";

export type RequestBody = SendRequest;
export type AnswerBody = { type: "send"; outcome: SendOutcome };

/** A message from one node to another (Backplane.direct). */
export type DirectMessage =
  | { type: "request"; requestId: number; body: RequestBody }
  | { type: "answer"; requestId: number; body: AnswerBody };

/**
 * What travels between nodes: a publish, or a direct message, with the node it comes from and that node's
 * sequence number for it (it increases with every message the node sends, so a message carried twice is known).
 */
export type NodeMessage = { origin: string; seq: number } & (
  | { type: "publish"; delivery: Delivery }
  | { type: "request"; requestId: number; body: RequestBody }
  | { type: "answer"; requestId: number; body: AnswerBody }
);

const TYPE = { publish: 1, request: 2, answer: 3 } as const;
const BODY = { send: 1 } as const;
const OUTCOME: Record<SendOutcome, number> = { delivered: 1, not_owner: 2, fenced: 3 };
const OUTCOMES: readonly (SendOutcome | undefined)[] = [undefined, "delivered", "not_owner", "fenced"];
const KIND = { text: 0, json: 1, binary: 2 } as const;

/** A compact binary form, never lossy for bytes (data keeps its kind: text, json or binary). */
export function encodeNodeMessage(message: NodeMessage): Buffer {
  const writer = new Writer();
  writer.byte(TYPE[message.type]);
  writer.text(message.origin);
  writer.double(message.seq);
  if (message.type === "publish") {
    writeDelivery(writer, message.delivery);
  } else if (message.type === "request") {
    writer.uint(message.requestId);
    writer.byte(BODY[message.body.type]);
    writer.text(message.body.owner.nodeId);
    writer.uint(message.body.owner.sessionId);
    writeDelivery(writer, message.body.delivery);
  } else {
    writer.uint(message.requestId);
    writer.byte(BODY[message.body.type]);
    writer.byte(OUTCOME[message.body.outcome]);
  }
  return writer.finish();
}

/** Undefined for bytes that are not a node message (another program on the same Redis channel, say). */
export function decodeNodeMessage(bytes: Buffer): NodeMessage | undefined {
  try {
    const reader = new Reader(bytes);
    const type = reader.byte();
    const origin = reader.text();
    const seq = reader.double();
    let message: NodeMessage | undefined;
    if (type === TYPE.publish) message = { origin, seq, type: "publish", delivery: readDelivery(reader) };
    else if (type === TYPE.request) {
      const requestId = reader.uint();
      if (reader.byte() !== BODY.send) return undefined;
      const owner = { nodeId: reader.text(), sessionId: reader.uint() };
      message = {
        origin,
        seq,
        type: "request",
        requestId,
        body: { type: "send", owner, delivery: readDelivery(reader) },
      };
    } else if (type === TYPE.answer) {
      const requestId = reader.uint();
      if (reader.byte() !== BODY.send) return undefined;
      const outcome = OUTCOMES[reader.byte()];
      if (outcome === undefined) return undefined;
      message = { origin, seq, type: "answer", requestId, body: { type: "send", outcome } };
    }
    return reader.atEnd() ? message : undefined;
  } catch {
    return undefined;
  }
}

function writeDelivery(writer: Writer, { from, channel, data }: Delivery): void {
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

/** Writes into one growing buffer: a message costs one or two allocations, not one per field. */
class Writer {
  private buffer = Buffer.allocUnsafe(256);
  private offset = 0;

  byte(value: number): void {
    this.room(1);
    this.buffer[this.offset++] = value;
  }

  uint(value: number): void {
    this.room(4);
    this.offset = this.buffer.writeUInt32BE(value >>> 0, this.offset);
  }

  /** A float64: integers are exact up to 2^53. */
  double(value: number): void {
    this.room(8);
    this.offset = this.buffer.writeDoubleBE(value, this.offset);
  }

  text(value: string): void {
    // At most 3 bytes per UTF-16 unit; the length is written once the bytes are.
    this.room(4 + value.length * 3);
    const start = this.offset + 4;
    const length = this.buffer.write(value, start, "utf8");
    this.buffer.writeUInt32BE(length, this.offset);
    this.offset = start + length;
  }

  bytes(value: Uint8Array): void {
    this.uint(value.byteLength);
    this.room(value.byteLength);
    this.buffer.set(value, this.offset);
    this.offset += value.byteLength;
  }

  finish(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  private room(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
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

  double(): number {
    const value = this.buffer.readDoubleBE(this.offset);
    this.offset += 8;
    return value;
  }

  text(): string {
    const end = this.end();
    const value = this.buffer.toString("utf8", this.offset, end);
    this.offset = end;
    return value;
  }

  /** A copy: the message's bytes are not kept alive by the data taken from them. */
  bytes(): Buffer {
    const end = this.end();
    const value = Buffer.from(this.buffer.subarray(this.offset, end));
    this.offset = end;
    return value;
  }

  /** Reads a length; where the field it announces ends. */
  private end(): number {
    const length = this.uint();
    if (this.offset + length > this.buffer.length) throw new RangeError("truncated node message");
    return this.offset + length;
  }

  atEnd(): boolean {
    return this.offset === this.buffer.length;
  }
}
