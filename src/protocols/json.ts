import {
  type Command,
  type Data,
  DELIVERY_EVENT,
  type Message,
  type RequestId,
  reply,
} from "../core/message.js";
import type { Codec, Decoded } from "./codec.js";
import { bytesAsBase64, bytesAsText } from "./data.js";

/** `/websocket/json/:key`: one JSON object per text frame (PROTOCOL.md, "JSON protocol"). */
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
      return badRequest();
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return badRequest();
    const fields = parsed as Record<string, unknown>;
    const { event, channel, id, data, encoding } = fields;
    if (id !== undefined && id !== null && typeof id !== "string" && typeof id !== "number")
      return badRequest();
    const requestId = id ?? undefined;
    if (typeof event !== "string") return badRequest(requestId);
    if (channel !== undefined && channel !== null && typeof channel !== "string")
      return badRequest(requestId);
    const command: Command = { event };
    if (typeof channel === "string") command.channel = channel;
    if (requestId !== undefined) command.id = requestId;
    if (data !== undefined && data !== null) {
      command.data =
        encoding === "base64" && typeof data === "string" ? Buffer.from(data, "base64") : (data as Data);
    }
    return { type: "command", command };
  },

  encode(message: Message): string {
    if (message.event !== DELIVERY_EVENT) return JSON.stringify(message);
    const { data } = message;
    if (!(data instanceof Uint8Array)) return JSON.stringify(message);
    const text = bytesAsText(data);
    const fields = { event: message.event, from: message.from, channel: message.channel };
    return text !== undefined
      ? JSON.stringify({ ...fields, data: text })
      : JSON.stringify({ ...fields, data: bytesAsBase64(data), encoding: "base64" });
  },
};

function badRequest(id?: RequestId): Decoded {
  return { type: "reply", reply: reply("bad_request", undefined, id) };
}
