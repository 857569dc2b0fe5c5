import {
  type Command,
  type Data,
  DELIVERY_EVENT,
  isNotice,
  isResponse,
  type Message,
  reply,
  SERVER_KEY,
} from "../core/message.js";
import type { Codec, Decoded } from "./codec.js";
import { bytesAsBase64, bytesAsText } from "./data.js";

// Maps, not object literals: a word like `toString` or `__proto__` must not find an Object property.
const CHANNEL_COMMANDS = new Map([
  ["reg", "register"],
  ["unreg", "unregister"],
  ["sub", "subscribe"],
  ["unsub", "unsubscribe"],
]);
const DATA_COMMANDS = new Map([
  ["send", "send"],
  ["pub", "publish"],
  ["reply", "reply"],
]);
/** What a request (the one text command with an id) may be answered: its outcome names it with its ID. */
export const TEXT_REQUEST_OUTCOMES: ReadonlySet<string> = new Set([
  "request_timeout",
  "request_failed",
  "registration_not_found",
  "permission_denied",
  "rate_limited",
  "internal_error",
]);
/** A request's timeout, in milliseconds: digits (the core checks the range). */
const TIMEOUT = /^\d{1,6}$/;

/** `/websocket/text/:key`: `reg r1`, `pub ps1 "hello there"` (docs/protocol.md, "Text protocol"). */
export const textCodec: Codec = {
  name: "text",

  decode(payload, isBinary): Decoded {
    if (isBinary) return { type: "reply", reply: reply("bad_encoding") };
    const words = splitWords(payload.toString("utf8").trim());
    const [verb, channel, data] = words ?? [];
    if (words === undefined || verb === undefined) return notAllowed();
    if (words.length === 1 && verb === "ping") return command({ event: "ping" });
    if (words.length === 1 && verb === "bye") return { type: "close" };
    const channelEvent = CHANNEL_COMMANDS.get(verb);
    if (channelEvent !== undefined && words.length === 2) return command({ event: channelEvent, channel });
    const dataEvent = DATA_COMMANDS.get(verb);
    if (dataEvent !== undefined && words.length === 3) return command({ event: dataEvent, channel, data });
    if (verb === "req" && words.length === 5)
      return request(words as [string, string, string, string, string]);
    return notAllowed();
  },

  encode(message: Message): string {
    if (message.event === DELIVERY_EVENT) {
      const { from, channel, data, reply_to } = message;
      return reply_to === undefined
        ? `${from} ${channel}:${DELIVERY_EVENT} ${dataAsText(data)}`
        : `${from} ${channel}:new_request ${reply_to} ${dataAsText(data)}`;
    }
    if (isNotice(message)) return `${message.from} ${message.channel}:${message.event}`;
    if (isResponse(message))
      return `${message.from} ${message.channel}:response ${message.id ?? ""} ${dataAsText(message.data)}`;
    if (message.event === "pong" || message.event === "bad_encoding") return message.event;
    const line =
      message.channel === undefined
        ? `${SERVER_KEY}:${message.event}`
        : `${SERVER_KEY} ${message.channel}:${message.event}`;
    // Only a request has an id in this protocol: its outcome names it.
    return message.id !== undefined && TEXT_REQUEST_OUTCOMES.has(message.event)
      ? `${line} ${message.id}`
      : line;
  },
};

function command(fields: Command): Decoded {
  return { type: "command", command: fields };
}

/** `req ID CH TIMEOUT_MS MSG`: a timeout that is not digits is passed on as NaN, for the core to refuse. */
function request([, id, channel, timeout, data]: [string, string, string, string, string]): Decoded {
  const timeoutMs = TIMEOUT.test(timeout) ? Number(timeout) : Number.NaN;
  return command({ event: "request", id, channel, timeoutMs, data });
}

function notAllowed(): Decoded {
  return { type: "reply", reply: reply("action_not_allowed") };
}

function dataAsText(data: Data): string {
  if (typeof data === "string") return data;
  if (!(data instanceof Uint8Array)) return JSON.stringify(data);
  return bytesAsText(data) ?? `base64:${bytesAsBase64(data)}`;
}

/**
 * Words separated by spaces; a word that starts with `"` runs to the closing quote, with `\"` for a quote
 * and `\\` for a backslash. Undefined when a quote is unbalanced or an escape is unknown.
 */
function splitWords(line: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === " ") {
      i++;
      continue;
    }
    if (line[i] !== '"') {
      const end = line.indexOf(" ", i);
      words.push(line.slice(i, end === -1 ? line.length : end));
      i = end === -1 ? line.length : end;
      continue;
    }
    let word = "";
    i++;
    for (;;) {
      const ch = line[i];
      if (ch === undefined) return undefined;
      if (ch === '"') break;
      if (ch === "\\") {
        const escaped = line[i + 1];
        if (escaped !== '"' && escaped !== "\\") return undefined;
        word += escaped;
        i += 2;
        continue;
      }
      word += ch;
      i++;
    }
    i++;
    if (i < line.length && line[i] !== " ") return undefined;
    words.push(word);
  }
  return words;
}
