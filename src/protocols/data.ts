import { isUtf8 } from "node:buffer";
import type { Data } from "../core/message.js";

/** Binary data as text when it is valid UTF-8; undefined when it is not (the caller then uses base64). */
export function bytesAsText(bytes: Uint8Array): string | undefined {
  return isUtf8(bytes)
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
    : undefined;
}

export function bytesAsBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Text as is, binary as is, json as its JSON text: the bytes a protobuf client receives. */
export function dataAsBytes(data: Data): Uint8Array {
  if (data instanceof Uint8Array) return data;
  return Buffer.from(typeof data === "string" ? data : JSON.stringify(data), "utf8");
}
