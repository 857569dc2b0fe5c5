import {
  type Command,
  type Data,
  DELIVERY_EVENT,
  type HistoryItem,
  isNotice,
  isResponse,
  isWholeNumber,
  type Message,
  type Reason,
  type Reply,
  type RequestId,
  reply,
} from "../core/message.js";
import type { Codec, Decoded } from "./codec.js";
import { bytesAsBase64, bytesAsText } from "./data.js";

/** Standard base64 with padding, as `"encoding":"base64"` data must be. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A number literal that may be beyond a double's range: an exponent of 100 or more, or 309 digits. */
const MAY_OVERFLOW = /[eE]\+?0*[1-9]\d{2}|\d{309}/;

/** `/websocket/json/:key`: one JSON object per text frame (docs/protocol.md, "JSON protocol"). */
export const jsonCodec: Codec = {
  name: "json",

  decode(payload, isBinary): Decoded {
    if (isBinary) return { type: "reply", reply: reply("bad_encoding") };
    const text = payload.toString("utf8");
    if (text === "bye") return { type: "close" };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return badRequest("not JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return badRequest("not a JSON object");
    return commandFromFields(parsed as Record<string, unknown>, text);
  },

  encode(message: Message): string {
    if (isResponse(message)) {
      if (!(message.data instanceof Uint8Array)) return JSON.stringify(message);
      const { event, from, channel, id, data } = message;
      return JSON.stringify({ event, from, channel, id, ...jsonData(data) });
    }
    if (message.event !== DELIVERY_EVENT) {
      if (isNotice(message) || message.data === undefined) return JSON.stringify(message);
      return JSON.stringify({ ...message, data: replyData(message) });
    }
    const { data } = message;
    if (!(data instanceof Uint8Array)) return JSON.stringify(message);
    const { event, from, channel, offset, epoch, reply_to } = message;
    return JSON.stringify({ event, from, channel, ...jsonData(data), offset, epoch, reply_to });
  },
};

/**
 * The command a JSON object's fields make (the JSON protocol's fields, also the HTTP API's bodies), or the
 * bad_request that refuses it. `text` is the JSON they were read from (a number out of a double's range shows
 * there).
 */
export function commandFromFields(fields: Record<string, unknown>, text: string): Decoded {
  const { event, channel, id, data, encoding, offset, epoch, limit, timeout_ms } = fields;
  // A number beyond a double's range reads as Infinity and would be written back as null.
  if (id !== undefined && id !== null && typeof id !== "string" && !isFiniteNumber(id))
    return badRequest(typeof id === "number" ? "number out of range" : "id is not a string or a number");
  const requestId = id ?? undefined;
  if (typeof event !== "string")
    return badRequest(
      event === undefined || event === null ? "missing event" : "event is not a string",
      requestId,
    );
  if (channel !== undefined && channel !== null && typeof channel !== "string")
    return badRequest("channel is not a string", requestId);
  if (typeof data === "number" && !Number.isFinite(data)) return badRequest("number out of range", requestId);
  // Nested too: {"a":1e400} would reach every receiver as {"a":null}.
  if (typeof data === "object" && data !== null && MAY_OVERFLOW.test(text) && !allFinite(data))
    return badRequest("number out of range", requestId);
  const command: Command = { event };
  if (typeof channel === "string") command.channel = channel;
  if (requestId !== undefined) command.id = requestId;
  if (offset !== undefined && offset !== null) {
    if (!isWholeNumber(offset)) return badRequest("offset is not a whole number", requestId);
    command.offset = offset;
  }
  if (epoch !== undefined && epoch !== null) {
    if (typeof epoch !== "string") return badRequest("epoch is not a string", requestId);
    command.epoch = epoch;
  }
  if (limit !== undefined && limit !== null) {
    if (!isWholeNumber(limit)) return badRequest("limit is not a whole number", requestId);
    command.limit = limit;
  }
  if (timeout_ms !== undefined && timeout_ms !== null) {
    if (!isFiniteNumber(timeout_ms)) return badRequest("timeout_ms is not a whole number", requestId);
    command.timeoutMs = timeout_ms;
  }
  if (encoding !== undefined && encoding !== null) {
    if (encoding !== "base64") return badRequest("encoding is not base64", requestId);
    if (typeof data !== "string") return badRequest("base64 data is not a string", requestId);
    if (!BASE64.test(data)) return badRequest("invalid base64", requestId);
    command.data = Buffer.from(data, "base64");
  } else if (data !== undefined && data !== null) {
    command.data = data as Data;
  }
  return { type: "command", command };
}

/**
 * A reply's `data` as the JSON protocol writes it (also, as JSON text, the protobuf reply's): a history reply's
 * publications with their data as JSON messages carry it; presence members as they are.
 */
export function replyData({ event, data }: Reply): unknown {
  if (event !== "history_succeeded") return data;
  return (data as readonly HistoryItem[]).map(({ from, offset, data }) => ({
    from,
    offset,
    ...jsonData(data),
  }));
}

/** `data` as a JSON message carries it: bytes as text when they are UTF-8, else as base64 with `encoding`. */
function jsonData(data: Data): { data: Data; encoding?: "base64" } {
  if (!(data instanceof Uint8Array)) return { data };
  const text = bytesAsText(data);
  return text !== undefined ? { data: text } : { data: bytesAsBase64(data), encoding: "base64" };
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function allFinite(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || value === null) return true;
  return Object.values(value).every(allFinite);
}

function badRequest(reason: Reason, id?: RequestId): Decoded {
  return { type: "reply", reply: reply("bad_request", undefined, id, reason) };
}
