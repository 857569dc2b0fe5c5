import { MessageType } from "../../src/protocols/pb.js";
import type { Frame } from "../systems/dialect.js";

export type SoakProtocol = "text" | "json" | "pb";
export const SOAK_PROTOCOLS: readonly SoakProtocol[] = ["text", "json", "pb"];

/** A command of the soak's mix (docs/protocol.md, "Commands and replies"). */
export type SoakCommand =
  | { event: "ping" }
  | { event: "subscribe" | "unsubscribe" | "register" | "unregister"; channel: string }
  | { event: "publish" | "send"; channel: string; data: string };

/** A frame the server sent: the reply to the oldest request in flight, or a delivery. */
export type Incoming = { kind: "reply"; event: string } | { kind: "delivery"; channel: string; data: string };

const TEXT_WORDS: Record<SoakCommand["event"], string> = {
  ping: "ping",
  subscribe: "sub",
  unsubscribe: "unsub",
  register: "reg",
  unregister: "unreg",
  publish: "pub",
  send: "send",
};

/** The soak's payloads and channel names are single words with no quote: the text protocol needs no quoting. */
export function encode(protocol: SoakProtocol, command: SoakCommand): Frame {
  if (protocol === "json") return JSON.stringify(command);
  if (protocol === "pb") {
    const data = "data" in command ? Buffer.from(command.data) : undefined;
    const bytes = MessageType.encode({ ...command, data }).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const words = [TEXT_WORDS[command.event]];
  if ("channel" in command) words.push(command.channel);
  if ("data" in command) words.push(command.data);
  return words.join(" ");
}

const NEW_MESSAGE = ":new_message ";

/** Reads a frame; throws on one that none of docs/protocol.md's forms explains. */
export function decode(protocol: SoakProtocol, frame: Buffer, isBinary: boolean): Incoming {
  if (protocol === "pb") {
    if (!isBinary) return { kind: "reply", event: frame.toString("utf8") };
    const message = MessageType.decode(frame) as unknown as {
      event: string;
      channel?: string;
      data?: Buffer;
    };
    return message.event === "new_message"
      ? { kind: "delivery", channel: message.channel ?? "", data: Buffer.from(message.data ?? []).toString() }
      : { kind: "reply", event: message.event };
  }
  const text = frame.toString("utf8");
  if (protocol === "json") {
    const message = JSON.parse(text) as { event: string; channel?: string; data?: unknown };
    return message.event === "new_message"
      ? { kind: "delivery", channel: message.channel ?? "", data: String(message.data) }
      : { kind: "reply", event: message.event };
  }
  // Text: `pong`, `west:EVENT`, `west CH:EVENT`, or a delivery `FROM CH:new_message MSG`.
  if (text === "pong" || text === "bad_encoding") return { kind: "reply", event: text };
  if (text.startsWith("west:") || text.startsWith("west "))
    return { kind: "reply", event: text.slice(text.lastIndexOf(":") + 1) };
  const at = text.indexOf(NEW_MESSAGE);
  if (at < 0) throw new Error(`unreadable text frame ${JSON.stringify(text.slice(0, 200))}`);
  return {
    kind: "delivery",
    channel: text.slice(text.indexOf(" ") + 1, at),
    data: text.slice(at + NEW_MESSAGE.length),
  };
}
