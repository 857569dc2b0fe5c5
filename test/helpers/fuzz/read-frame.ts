import type { ProtocolName } from "../../../src/protocols/codec.js";
import { decodeFrame, type WireMessage } from "../ws-client.js";

/** A frame from the server, as a client of one protocol reads it. */
export type Incoming =
  | { kind: "reply"; event: string }
  | { kind: "delivery"; message: WireMessage }
  | { kind: "unreadable"; why: string };

/**
 * Tells replies (and notices) from deliveries. Text replies are `pong`, `bad_encoding`, `west:EVENT` and
 * `west CH:EVENT` (CH may hold spaces when a client quoted it): whatever starts with `west` is from the server.
 */
export function readIncoming(protocol: ProtocolName, data: Buffer, isBinary: boolean): Incoming {
  if (protocol === "text" && !isBinary) {
    const text = data.toString("utf8");
    if (text === "pong" || text === "bad_encoding") return { kind: "reply", event: text };
    if (text.startsWith("west:") || text.startsWith("west ")) {
      const event = /:([a-z_]+)$/.exec(text)?.[1];
      return event === undefined ? { kind: "unreadable", why: text } : { kind: "reply", event };
    }
  }
  if (protocol === "pb" && !isBinary) {
    const text = data.toString("utf8");
    return text === "bad_encoding" ? { kind: "reply", event: text } : { kind: "unreadable", why: text };
  }
  let message: WireMessage;
  try {
    message = decodeFrame(protocol, isBinary ? data : data.toString("utf8"));
  } catch (error) {
    return { kind: "unreadable", why: `${error}` };
  }
  if (typeof message.event !== "string") return { kind: "unreadable", why: JSON.stringify(message) };
  if (message.event === "new_message" && message.from !== "west") return { kind: "delivery", message };
  return { kind: "reply", event: message.event };
}
