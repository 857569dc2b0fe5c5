import * as ws from "ws";
import type { Message } from "../core/message.js";
import type { Codec } from "../protocols/codec.js";

/** ws's own frame builder (`Sender.frame`, not in ws's type declarations): header and payload of one frame. */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };
interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
const TEXT_OPCODE = 1;
const BINARY_OPCODE = 2;

/**
 * Encodes with `codec` into a complete WebSocket frame, remembering the last message: a publish hands the same
 * Message object to every subscriber in turn, so each protocol encodes and frames it once, and every subscriber's
 * socket gets the same bytes.
 */
export function frameEncoder(codec: Codec): (message: Message) => Buffer {
  let lastMessage: Message | undefined;
  let lastFrame: Buffer = Buffer.alloc(0);
  return (message) => {
    if (message === lastMessage) return lastFrame;
    const encoded = codec.encode(message);
    const payload =
      typeof encoded === "string"
        ? Buffer.from(encoded, "utf8")
        : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    const parts = Sender.frame(payload, {
      fin: true,
      rsv1: false,
      opcode: typeof encoded === "string" ? TEXT_OPCODE : BINARY_OPCODE,
      mask: false,
      readOnly: true,
    });
    lastFrame = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    lastMessage = message;
    return lastFrame;
  };
}
