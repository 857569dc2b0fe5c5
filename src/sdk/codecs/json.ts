import { fromBase64, toBase64 } from "./base64.js";
import { type Codec, utf8Decoder, type Wire } from "./wire.js";

/**
 * The JSON protocol: one JSON object per text frame. Bytes travel as standard base64 with `"encoding":"base64"`,
 * both ways; every other value as itself.
 */
export const jsonCodec: Codec = {
  protocol: "json",
  encode(message) {
    if (!(message.data instanceof Uint8Array)) return JSON.stringify(message);
    return JSON.stringify({ ...message, data: toBase64(message.data), encoding: "base64" });
  },
  decode(frame) {
    const text = typeof frame === "string" ? frame : utf8Decoder.decode(frame);
    const parsed = JSON.parse(text) as Wire & { encoding?: string };
    if (typeof parsed !== "object" || parsed === null || typeof parsed.event !== "string")
      throw new Error("not a message");
    if (parsed.encoding === "base64" && typeof parsed.data === "string") {
      parsed.data = fromBase64(parsed.data);
      delete parsed.encoding;
    }
    return parsed;
  },
};
