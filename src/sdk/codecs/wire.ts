/**
 * One frame of the JSON or protobuf protocol, as the SDK reads and writes it (docs/protocol.md). `data` is what
 * the application gave or gets: any JSON value or bytes on JSON, bytes on protobuf.
 */
export interface Wire {
  event: string;
  channel?: string;
  from?: string;
  id?: string;
  data?: unknown;
  offset?: number;
  epoch?: string;
  recovered?: boolean;
  limit?: number;
  reply_to?: string;
  timeout_ms?: number;
  reason?: string;
  complete?: boolean;
}

/** Turns Wire objects into frames and back; `decode` throws on a frame it cannot read. */
export interface Codec {
  readonly protocol: "json" | "pb";
  /** The WebSocket's binaryType this codec reads. */
  encode(message: Wire): string | Uint8Array;
  decode(frame: string | ArrayBuffer | Uint8Array): Wire;
}

export const utf8Encoder = new TextEncoder();
export const utf8Decoder = new TextDecoder();
