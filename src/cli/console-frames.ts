import { DELIVERY_EVENT, type Message } from "../core/message.js";
import type { Frame, ProtocolName } from "../protocols/codec.js";
import { MessageType } from "../protocols/pb.js";
import { textCodec } from "../protocols/text.js";

/** What one line typed into the console asks for. */
export type ConsoleInput =
  | { type: "frame"; frame: Frame }
  | { type: "bye" }
  | { type: "help" }
  | { type: "invalid"; reason: string };

/** A text-protocol command line as the frame of `protocol` that means the same; `id` tags JSON and pb commands. */
export function readLine(line: string, protocol: ProtocolName, id: string): ConsoleInput {
  const trimmed = line.trim();
  if (trimmed === "help") return { type: "help" };
  const decoded = textCodec.decode(Buffer.from(trimmed, "utf8"), false);
  if (decoded.type === "close") return { type: "bye" };
  if (decoded.type === "reply") return { type: "invalid", reason: `not a command: ${trimmed} (try help)` };
  const { event, channel, data } = decoded.command;
  switch (protocol) {
    case "text":
      return { type: "frame", frame: trimmed };
    case "json":
      return { type: "frame", frame: JSON.stringify({ event, channel, id, data }) };
    case "pb": {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : undefined;
      const fields = {
        event,
        id,
        ...(channel === undefined ? {} : { channel }),
        ...(bytes ? { data: bytes } : {}),
      };
      return { type: "frame", frame: MessageType.encode(fields).finish() };
    }
  }
}

/** One received frame in the text protocol's words, whatever the protocol. */
export interface Shown {
  line: string;
  /** A reply to a command (not a delivery or a notice): each command gets exactly one. */
  isReply: boolean;
}

export function showFrame(payload: Buffer, isBinary: boolean, protocol: ProtocolName): Shown {
  if (!isBinary) {
    const text = payload.toString("utf8");
    if (protocol === "json") return showJson(text);
    return { line: text, isReply: isTextReply(text) };
  }
  if (protocol === "pb") return showPb(payload);
  return { line: `(binary frame of ${payload.length} bytes)`, isReply: false };
}

/** Replies are `west CH:EVENT`, `west:EVENT` or one word; deliveries `FROM CH:new_message MSG` (three parts). */
function isTextReply(text: string): boolean {
  return text.split(" ").length < 3 && !text.endsWith(":registration_lost");
}

function showJson(text: string): Shown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return unreadable(text);
  }
  if (typeof parsed !== "object" || parsed === null || typeof (parsed as Message).event !== "string")
    return unreadable(text);
  const message = parsed as Message & { encoding?: string };
  if (message.event === DELIVERY_EVENT && message.encoding === "base64" && typeof message.data === "string") {
    return show({ ...message, data: Buffer.from(message.data, "base64") });
  }
  return show(message);
}

function showPb(payload: Buffer): Shown {
  try {
    return show(MessageType.toObject(MessageType.decode(payload)) as Message);
  } catch {
    return unreadable(`0x${payload.toString("hex")}`);
  }
}

function show(message: Message): Shown {
  return {
    line: textCodec.encode(message) as string,
    isReply: message.event !== DELIVERY_EVENT && message.event !== "registration_lost",
  };
}

function unreadable(text: string): Shown {
  return { line: `(unreadable frame) ${text}`, isReply: false };
}
