import type { Message } from "../core/message.js";
import type { Codec } from "../protocols/codec.js";
import { BINARY_OPCODE, buildFrame, TEXT_OPCODE } from "./frames.js";

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
    lastFrame = buildFrame(encoded, typeof encoded === "string" ? TEXT_OPCODE : BINARY_OPCODE);
    lastMessage = message;
    return lastFrame;
  };
}
