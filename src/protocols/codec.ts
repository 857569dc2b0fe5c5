import type { Command, Message, Reply } from "../core/message.js";

/** What goes on the wire: a string is a text frame, bytes are a binary frame. */
export type Frame = string | Uint8Array;

/** What a codec made of one incoming frame. */
export type Decoded =
  | { type: "command"; command: Command }
  /** The frame cannot become a command; this is its one reply (bad_request, bad_encoding, action_not_allowed). */
  | { type: "reply"; reply: Reply }
  /** The client said `bye`. */
  | { type: "close" };

/** A wire protocol: frames to commands, messages to frames, and nothing else. Never throws. */
export interface Codec {
  readonly name: ProtocolName;
  decode(payload: Buffer, isBinary: boolean): Decoded;
  encode(message: Message): Frame;
}

export const PROTOCOL_NAMES = ["text", "json", "pb"] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];
