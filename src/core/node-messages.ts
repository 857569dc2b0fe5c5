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

/** A reply to a request whose requester is on another node: `token` names the request (its reply_to). */
export interface ReplyRequest {
  type: "reply";
  token: string;
  /** The key of the owner that replies. */
  from: string;
  data: Data;
}

/** What the requester's node did with a reply: handed it to the waiting requester, or knew no such request. */
export type ReplyOutcome = "accepted" | "unknown";

/** Close every WebSocket of `key` on the node (the HTTP API's disconnect); answered with how many it closed. */
export interface DisconnectRequest {
  type: "disconnect";
  key: string;
}

export type RequestBody = SendRequest | ReplyRequest | DisconnectRequest;
export type AnswerBody =
  | { type: "send"; outcome: SendOutcome }
  | { type: "reply"; outcome: ReplyOutcome }
  | { type: "disconnect"; closed: number };

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
  | DirectMessage
);

const TYPE = { publish: 1, request: 2, answer: 3 } as const;
const BODY = { send: 1, reply: 2, disconnect: 3 } as const;
const OUTCOME: Record<SendOutcome, number> = { delivered: 1, not_owner: 2, fenced: 3 };
const OUTCOMES: readonly (SendOutcome | undefined)[] = [undefined, "delivered", "not_owner", "fenced"];
const REPLY_OUTCOME: Record<ReplyOutcome, number> = { accepted: 1, unknown: 2 };
const REPLY_OUTCOMES: readonly (ReplyOutcome | undefined)[] = [undefined, "accepted", "unknown"];
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
    const { body } = message;
    writer.uint(message.requestId);
    writer.byte(BODY[body.type]);
    if (body.type === "send") {
      writer.text(body.owner.nodeId);
      writer.uint(body.owner.sessionId);
      writeDelivery(writer, body.delivery);
    } else if (body.type === "reply") {
      writer.text(body.token);
      writer.text(body.from);
      writeData(writer, body.data);
    } else {
      writer.text(body.key);
    }
  } else {
    const { body } = message;
    writer.uint(message.requestId);
    writer.byte(BODY[body.type]);
    if (body.type === "send") writer.byte(OUTCOME[body.outcome]);
    else if (body.type === "reply") writer.byte(REPLY_OUTCOME[body.outcome]);
    else writer.uint(body.closed);
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
      const body = readRequestBody(reader);
      if (body === undefined) return undefined;
      message = { origin, seq, type: "request", requestId, body };
    } else if (type === TYPE.answer) {
      const requestId = reader.uint();
      const body = readAnswerBody(reader);
      if (body === undefined) return undefined;
      message = { origin, seq, type: "answer", requestId, body };
    }
    return reader.atEnd() ? message : undefined;
  } catch {
    return undefined;
  }
}

function readRequestBody(reader: Reader): RequestBody | undefined {
  const body = reader.byte();
  if (body === BODY.send) {
    const owner = { nodeId: reader.text(), sessionId: reader.uint() };
    return { type: "send", owner, delivery: readDelivery(reader) };
  }
  if (body === BODY.reply)
    return { type: "reply", token: reader.text(), from: reader.text(), data: readData(reader) };
  if (body === BODY.disconnect) return { type: "disconnect", key: reader.text() };
  return undefined;
}

function readAnswerBody(reader: Reader): AnswerBody | undefined {
  const body = reader.byte();
  if (body === BODY.send) {
    const outcome = OUTCOMES[reader.byte()];
    return outcome === undefined ? undefined : { type: "send", outcome };
  }
  if (body === BODY.reply) {
    const outcome = REPLY_OUTCOMES[reader.byte()];
    return outcome === undefined ? undefined : { type: "reply", outcome };
  }
  if (body === BODY.disconnect) return { type: "disconnect", closed: reader.uint() };
  return undefined;
}

/** A delivery ends with a byte that says whether a request's token (reply_to) follows. */
function writeDelivery(writer: Writer, { from, channel, data, reply_to }: Delivery): void {
  writer.text(from);
  writer.text(channel);
  writeData(writer, data);
  if (reply_to === undefined) writer.byte(0);
  else {
    writer.byte(1);
    writer.text(reply_to);
  }
}

function readDelivery(reader: Reader): Delivery {
  const from = reader.text();
  const channel = reader.text();
  const data = readData(reader);
  const withToken = reader.byte();
  if (withToken === 0) return { event: DELIVERY_EVENT, from, channel, data };
  if (withToken !== 1) throw new Error(`unknown delivery ending ${withToken}`);
  return { event: DELIVERY_EVENT, from, channel, data, reply_to: reader.text() };
}

function writeData(writer: Writer, data: Data): void {
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

function readData(reader: Reader): Data {
  const kind = reader.byte();
  if (kind === KIND.text) return reader.text();
  if (kind === KIND.binary) return reader.bytes();
  if (kind === KIND.json) return JSON.parse(reader.text()) as Data;
  throw new Error(`unknown data kind ${kind}`);
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
