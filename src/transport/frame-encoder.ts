import type { Message } from "../core/message.js";
import type { Codec } from "../protocols/codec.js";

/** A frame ready for `ws.send`: bytes encoded once, and the send options that say text or binary. */
export interface EncodedFrame {
  bytes: Buffer;
  options: { binary: boolean };
}

const TEXT = { binary: false };
const BINARY = { binary: true };

/**
 * Encodes with `codec`, remembering the last message: a publish hands the same Message object to every
 * subscriber in turn, so each protocol encodes it once, not once per subscriber.
 */
export function frameEncoder(codec: Codec): (message: Message) => EncodedFrame {
  let lastMessage: Message | undefined;
  let lastFrame: EncodedFrame | undefined;
  return (message) => {
    if (message === lastMessage && lastFrame !== undefined) return lastFrame;
    const frame = codec.encode(message);
    lastFrame =
      typeof frame === "string"
        ? { bytes: Buffer.from(frame, "utf8"), options: TEXT }
        : { bytes: Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), options: BINARY };
    lastMessage = message;
    return lastFrame;
  };
}
